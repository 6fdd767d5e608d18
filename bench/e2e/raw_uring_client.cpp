// The least a single-threaded HTTP/1.1 keep-alive client can do on this kernel with io_uring:
// C connections, each sends the same pre-encoded request, waits for the whole response, repeats.
// No timing per request, no metrics, no coroutines, no allocation after setup (unless a response
// head arrives in pieces). The benchmark compares inferload with it to tell what the driver costs
// from what the kernel costs.
//
// raw_uring_client --port P [--host 127.0.0.1] --request-file F (-c C) (--duration S | --requests N)
//                  [--recv multishot|single] [--send-cqe]
// Prints "completed N failed F seconds T".
// By default a receive is multishot into a provided-buffer ring and a successful send posts no
// completion (IOSQE_CQE_SKIP_SUCCESS), which saves one io_uring_enter per request when the
// connections are few; --recv single and --send-cqe show what each of these is worth.
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr unsigned kGroup = 0;
constexpr std::uint64_t kSend = 0, kRecv = 1;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string request_file;
  unsigned connections = 64;
  double duration = 0;
  std::uint64_t requests = 0;
  bool multishot = true;
  bool skip_send_cqe = true;
};

[[noreturn]] void die(const std::string& what, int err = 0) {
  std::fprintf(stderr, "raw_uring_client: %s%s%s\n", what.c_str(), err ? ": " : "", err ? std::strerror(err) : "");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--host") o.host = value();
    else if (a == "--port") o.port = std::atoi(value().c_str());
    else if (a == "--request-file") o.request_file = value();
    else if (a == "-c" || a == "--connections") o.connections = static_cast<unsigned>(std::atoi(value().c_str()));
    else if (a == "--duration") o.duration = std::atof(value().c_str());
    else if (a == "--requests") o.requests = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--recv") {
      std::string v = value();
      if (v != "multishot" && v != "single") die("--recv takes multishot or single");
      o.multishot = v == "multishot";
    } else if (a == "--send-cqe") o.skip_send_cqe = false;
    else die("unknown argument " + a);
  }
  if (o.port <= 0 || o.request_file.empty() || o.connections == 0 || (o.duration <= 0) == (o.requests == 0))
    die("usage: --port P --request-file F -c C (--duration S | --requests N) [--recv multishot|single] [--send-cqe]");
  return o;
}

double now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Length of the response head in p[0, n) including its blank line, or 0 while it is incomplete;
// `length` gets its Content-Length, or -1. One memchr per header line keeps this near the cost
// of touching the bytes. nginx always sends Content-Length for the fixed response, so chunked
// and close-delimited bodies are out of scope here.
std::size_t parse_head(const char* p, std::size_t n, long& length) {
  length = -1;
  const char* const end = p + n;
  for (const char* line = p; line < end;) {
    const char* nl = static_cast<const char*>(std::memchr(line, '\n', static_cast<std::size_t>(end - line)));
    if (!nl) return 0;
    const std::size_t len = static_cast<std::size_t>(nl - line);
    if (len <= 1) return static_cast<std::size_t>(nl + 1 - p);
    if (len > 15 && (line[8] | 0x20) == 'l' && strncasecmp(line, "content-length:", 15) == 0) {
      long v = 0;
      const char* d = line + 15;
      while (d < nl && *d == ' ') ++d;
      for (; d < nl && *d >= '0' && *d <= '9'; ++d) v = v * 10 + (*d - '0');
      length = v;
    }
    line = nl + 1;
  }
  return 0;
}

struct Conn {
  int fd = -1;
  std::size_t sent = 0;       // bytes of the current request handed to the kernel
  bool in_body = false;
  bool ok = false;            // the current response's status is 200
  std::size_t body_left = 0;
  std::string partial_head;   // only used when a head arrives in pieces
  char* single_buf = nullptr; // --recv single: this connection's own receive buffer
};

class Client {
 public:
  explicit Client(const Options& o) : o_(o) {
    std::ifstream f(o.request_file, std::ios::binary);
    if (!f) die("cannot read " + o.request_file, errno);
    request_.assign(std::istreambuf_iterator<char>(f), {});
    if (request_.empty()) die(o.request_file + " is empty");

    // Every connection can have a response in the kernel at once, so the ring is sized for
    // that; an exhausted ring would end the multishot receives with ENOBUFS.
    buf_count_ = 1024;
    while (buf_count_ < 2 * o.connections && buf_count_ < 32768) buf_count_ *= 2;

    io_uring_params p{};
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
    p.cq_entries = 4 * buf_count_;
    int ret = io_uring_queue_init_params(4096, &ring_, &p);
    if (ret < 0) die("io_uring_setup", -ret);

    if (o.multishot) {
      // liburing 2.3 has no io_uring_setup_buf_ring: the ring memory is ours to map.
      br_bytes_ = buf_count_ * sizeof(io_uring_buf);
      void* mem = mmap(nullptr, br_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
      if (mem == MAP_FAILED) die("mmap", errno);
      br_ = static_cast<io_uring_buf_ring*>(mem);
      io_uring_buf_ring_init(br_);
      io_uring_buf_reg reg{};
      reg.ring_addr = reinterpret_cast<std::uint64_t>(mem);
      reg.ring_entries = buf_count_;
      reg.bgid = kGroup;
      ret = io_uring_register_buf_ring(&ring_, &reg, 0);
      if (ret < 0) die("io_uring_register_buf_ring", -ret);
      mask_ = io_uring_buf_ring_mask(buf_count_);
      buffers_.reset(new char[static_cast<std::size_t>(buf_count_) * kBufSize]);
      for (unsigned i = 0; i < buf_count_; ++i)
        io_uring_buf_ring_add(br_, buffers_.get() + std::size_t{i} * kBufSize, kBufSize,
                              static_cast<unsigned short>(i), mask_, static_cast<int>(i));
      io_uring_buf_ring_advance(br_, static_cast<int>(buf_count_));
    } else {
      buffers_.reset(new char[std::size_t{o.connections} * kSingleBufSize]);
    }

    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(o.port));
    if (inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1) die("bad --host " + o.host);
    conns_.resize(o.connections);
    for (unsigned i = 0; i < o.connections; ++i) {
      // Blocking sockets: io_uring polls for readiness itself instead of returning EAGAIN.
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) die("socket", errno);
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) die("connect", errno);
      conns_[i].fd = fd;
      if (!o.multishot) conns_[i].single_buf = buffers_.get() + std::size_t{i} * kSingleBufSize;
    }
  }

  void run() {
    start_ = now();
    deadline_ = o_.duration > 0 ? start_ + o_.duration : 0;
    for (unsigned i = 0; i < conns_.size(); ++i) {
      arm_recv(i);
      if (may_issue()) issue(i);
    }
    while (inflight_ > 0) {
      io_uring_submit_and_wait(&ring_, 1);
      if (deadline_ > 0 && issuing_ && now() >= deadline_) issuing_ = false;
      unsigned head, seen = 0;
      io_uring_cqe* cqe;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        on_cqe(cqe);
      }
      io_uring_cq_advance(&ring_, seen);
    }
    const double seconds = now() - start_;
    std::printf("completed %llu failed %llu seconds %.3f\n", static_cast<unsigned long long>(completed_),
                static_cast<unsigned long long>(failed_), seconds);
  }

 private:
  static constexpr unsigned kBufSize = 2048;
  static constexpr unsigned kSingleBufSize = 8192;

  bool may_issue() {
    if (!issuing_) return false;
    if (o_.requests > 0 && issued_ >= o_.requests) return issuing_ = false;
    return true;
  }

  io_uring_sqe* sqe() {
    io_uring_sqe* s = io_uring_get_sqe(&ring_);
    while (!s) {
      io_uring_submit(&ring_);
      s = io_uring_get_sqe(&ring_);
    }
    return s;
  }

  static std::uint64_t tag(unsigned conn, std::uint64_t op) { return (std::uint64_t{conn} << 1) | op; }

  void arm_recv(unsigned i) {
    io_uring_sqe* s = sqe();
    if (o_.multishot) {
      io_uring_prep_recv_multishot(s, conns_[i].fd, nullptr, 0, 0);
      s->flags |= IOSQE_BUFFER_SELECT;
      s->buf_group = kGroup;
    } else {
      io_uring_prep_recv(s, conns_[i].fd, conns_[i].single_buf, kSingleBufSize, 0);
    }
    io_uring_sqe_set_data64(s, tag(i, kRecv));
  }

  void issue(unsigned i) {
    ++issued_;
    ++inflight_;
    conns_[i].sent = 0;
    send_rest(i);
  }

  void send_rest(unsigned i) {
    Conn& c = conns_[i];
    io_uring_sqe* s = sqe();
    // MSG_WAITALL makes io_uring retry a short send itself, so a successful completion always
    // means the whole request, and skipping it loses nothing.
    io_uring_prep_send(s, c.fd, request_.data() + c.sent, request_.size() - c.sent, MSG_WAITALL);
    if (o_.skip_send_cqe) s->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(s, tag(i, kSend));
  }

  void on_cqe(io_uring_cqe* cqe) {
    const std::uint64_t data = io_uring_cqe_get_data64(cqe);
    const unsigned i = static_cast<unsigned>(data >> 1);
    Conn& c = conns_[i];
    if ((data & 1) == kSend) {
      if (cqe->res < 0) die("send", -cqe->res);
      c.sent += static_cast<std::size_t>(cqe->res);
      if (c.sent < request_.size()) send_rest(i);
      return;
    }
    if (cqe->res <= 0) {
      if (cqe->res == -ENOBUFS) {  // every buffer was in use: the multishot receive ended
        arm_recv(i);
        return;
      }
      die(cqe->res == 0 ? "server closed a connection" : "recv", -cqe->res);
    }
    if (o_.multishot) {
      const unsigned id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
      char* buf = buffers_.get() + std::size_t{id} * kBufSize;
      feed(i, buf, static_cast<std::size_t>(cqe->res));
      // Back to the kernel at once: the bytes are consumed, nothing keeps a pointer into them.
      io_uring_buf_ring_add(br_, buf, kBufSize, static_cast<unsigned short>(id), mask_, 0);
      io_uring_buf_ring_advance(br_, 1);
      if (!(cqe->flags & IORING_CQE_F_MORE)) arm_recv(i);
    } else {
      feed(i, c.single_buf, static_cast<std::size_t>(cqe->res));
      arm_recv(i);
    }
  }

  void feed(unsigned i, const char* data, std::size_t len) {
    Conn& c = conns_[i];
    while (len > 0) {
      if (c.in_body) {
        const std::size_t take = len < c.body_left ? len : c.body_left;
        c.body_left -= take;
        data += take;
        len -= take;
        if (c.body_left == 0) done(i);
        continue;
      }
      const char* head = data;
      std::size_t head_len = len;
      if (!c.partial_head.empty()) {
        c.partial_head.append(data, len);
        head = c.partial_head.data();
        head_len = c.partial_head.size();
      }
      long cl;
      const std::size_t used = parse_head(head, head_len, cl);
      if (used == 0) {
        if (c.partial_head.empty()) c.partial_head.assign(data, len);
        return;
      }
      c.ok = used >= 13 && std::memcmp(head, "HTTP/1.1 200 ", 13) == 0;
      if (cl < 0) die("a response without Content-Length");
      const std::size_t rest = head_len - used;  // bytes after the head, all from `data`
      c.partial_head.clear();
      data += len - rest;
      len = rest;
      c.in_body = true;
      c.body_left = static_cast<std::size_t>(cl);
      if (c.body_left == 0) {
        c.in_body = false;
        done(i);
      }
    }
  }

  void done(unsigned i) {
    conns_[i].in_body = false;
    --inflight_;
    if (conns_[i].ok) ++completed_;
    else ++failed_;
    if (may_issue()) issue(i);
  }

  Options o_;
  std::string request_;
  io_uring ring_{};
  io_uring_buf_ring* br_ = nullptr;
  std::size_t br_bytes_ = 0;
  unsigned buf_count_ = 0;
  int mask_ = 0;
  std::unique_ptr<char[]> buffers_;
  std::vector<Conn> conns_;
  double start_ = 0, deadline_ = 0;
  bool issuing_ = true;
  std::uint64_t issued_ = 0, completed_ = 0, failed_ = 0, inflight_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Client client(parse(argc, argv));
  client.run();
  return 0;
}
