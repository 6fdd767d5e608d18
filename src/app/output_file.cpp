#include "inferload/app/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "inferload/app/cli.hpp"

namespace inferload::app {

OutputFile::OutputFile(std::string flag, std::string path) : flag_(std::move(flag)), path_(std::move(path)) {
  if (path_.empty()) fail("is empty", 0);
  // Job manifests name files under results/; the directory may not exist yet.
  const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) fail("cannot create the directory \"" + parent.string() + "\": " + ec.message(), 0);
  }
  // O_EXCL tells a file this run creates (removed again if the run fails) from one it reuses.
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd_ >= 0) {
    created_ = true;
    return;
  }
  if (errno == EEXIST) fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd_ < 0) fail("cannot open for writing", errno);
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (created_ && !written_) ::unlink(path_.c_str());
}

void OutputFile::write(std::string_view text) {
  struct stat st {};
  // A pipe or a device (/dev/stdout) cannot be truncated and need not be.
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && ::ftruncate(fd_, 0) != 0) fail("cannot truncate", errno);
  while (!text.empty()) {
    const ssize_t n = ::write(fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot write", n < 0 ? errno : EIO);
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  const int fd = fd_;
  fd_ = -1;
  // NFS and quotas may report a failed write only at close.
  if (::close(fd) != 0) fail("cannot write", errno);
  written_ = true;
}

void OutputFile::fail(const std::string& what, int err) const {
  std::string msg = flag_ + " \"" + path_ + "\": " + what;
  if (err != 0) msg.append(": ").append(std::strerror(err));
  throw ExitError(kExitOtherError, msg);
}

}  // namespace inferload::app
