// deny_io_uring ERRNO COMMAND [ARGS...]: runs COMMAND with io_uring_setup(2) failing with ERRNO
// (EPERM, ENOSYS or EACCES), the way Docker >= 25 and containerd 2.x seccomp profiles refuse
// it, so that tests can check inferload's automatic fallback to epoll on a real refusal.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>

#if defined(__x86_64__)
constexpr unsigned kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned kArch = AUDIT_ARCH_AARCH64;
#else
#error "unsupported architecture"
#endif

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: deny_io_uring EPERM|ENOSYS|EACCES COMMAND [ARGS...]\n");
    return 2;
  }
  const std::string name = argv[1];
  const unsigned err = name == "EPERM" ? EPERM : name == "ENOSYS" ? ENOSYS : name == "EACCES" ? EACCES : 0;
  if (err == 0) {
    std::fprintf(stderr, "deny_io_uring: unknown errno name %s\n", argv[1]);
    return 2;
  }
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    std::fprintf(stderr, "deny_io_uring: cannot install the seccomp filter: %s\n", std::strerror(errno));
    return 2;
  }
  execvp(argv[2], argv + 2);
  std::fprintf(stderr, "deny_io_uring: cannot run %s: %s\n", argv[2], std::strerror(errno));
  return 127;
}
