// libFuzzer target for the HTTP/2 client connection (http2::Connection) as a whole: the input is
// everything a server sends on one connection, handed to the real Connection through a fake
// reactor and socket, once whole, once byte by byte and twice in random slices (the last time
// with sends completing the other way), and nothing the streams or the connection end up with
// may depend on those cuts: per stream the header fields (and whether they were trailers), the
// DATA bytes and how it ended (kind, code, failure), and the connection's final state. Every
// opened stream must end exactly once, or, when the input just stops, still be open (it is then
// cancelled, and no callback may follow). What the client sent is checked too, though it may
// differ between runs (WINDOW_UPDATEs are batched per received slice): valid frames after the
// preface, none above the largest SETTINGS_MAX_FRAME_SIZE the server announced, request bodies
// sent intact and never beyond what the server's windows allowed. A fifth run destroys the
// connection from inside the first stream end it tells, and only has to survive that.
//
// The streams (1..8) are opened right after the server's first SETTINGS frame (no response
// can come before the request, so that is the one point a real server's bytes say it happens):
// the input is cut there, and each part is split on its own.
//
// Input: 6 prefix bytes, then the server's side of a connection (frames, no preface).
//   [0..1]  seed of the random slicing
//   [2]     bits 0-2: streams to open - 1; bit 3: sends complete later (on the next turn), not
//           at once; bit 4: our stream window is 1024 bytes (not 4 MiB); bit 5: the request
//           header block is 40000 bytes (CONTINUATION frames, or the request is refused when
//           the server's SETTINGS_MAX_HEADER_LIST_SIZE is below it); bit 6: on_data refuses a DATA payload
//           that starts with 0xff
//   [3..4]  request body size: value * 200000 / 65535 (big-endian)
//   [5]     bits 0-1: after the input, 1: the peer closes (on_receive_end(0)), 2: the peer
//           resets (ECONNRESET), else nothing; bits 2-4: when not 0, last_stream_id is
//           2 * value - 1 (the ids run out); bit 5: our max header list size is 64
#include "inferload/http2/connection.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <coroutine>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace h2 = inferload::http2;
namespace rt = inferload::runtime;
namespace net = inferload::net;

constexpr std::size_t kPrefixBytes = 6;
constexpr std::size_t kMaxBytewise = 4096;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "http2_connection_fuzz: %s\n", what);
  std::abort();
}
#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) fail("check failed: " #cond " (line " + std::to_string(__LINE__) + ")"); \
  } while (0)
[[noreturn]] void fail(const std::string& what) { fail(what.c_str()); }

struct FuzzInput {
  std::uint16_t split_seed = 0;
  std::size_t streams = 1;
  bool send_later = false;
  bool small_window = false;
  bool big_headers = false;
  bool refuse_ff = false;
  std::size_t body_size = 0;
  int end_mode = 0;
  std::uint32_t last_stream_id = h2::kStreamIdMask;
  bool small_header_list = false;
  std::string_view server;  // the server's bytes
  std::size_t cut = 0;      // where the streams open: the end of the first SETTINGS frame
};

enum class Split { whole, bytewise, random, random_other_send, destroy_in_end };

const char* to_string(Split s) {
  switch (s) {
    case Split::whole: return "whole";
    case Split::bytewise: return "byte-by-byte";
    case Split::random: return "random";
    case Split::random_other_send: return "random, other send mode";
    case Split::destroy_in_end: return "random, connection destroyed in on_end";
  }
  return "?";
}

// ---- a reactor and socket that do no I/O -------------------------------------------------

class FakeReactor;

class FakeSocket final : public rt::Socket {
 public:
  FakeSocket(FakeReactor& r, rt::SocketEvents& events, bool send_later) noexcept
      : reactor_(r), events_(events), send_later_(send_later) {}
  int fd() const noexcept override { return -1; }
  rt::IoStatus connect(const sockaddr*, socklen_t) noexcept override { return rt::IoStatus::done(0); }
  rt::IoStatus send(const rt::ConstBuffer* buffers, std::size_t count) noexcept override;
  void start_receive() noexcept override { receiving_ = true; }
  void close() noexcept override { open_ = false; }
  bool is_open() const noexcept override { return open_; }

  rt::SocketEvents& events() noexcept { return events_; }
  bool receiving() const noexcept { return receiving_ && open_; }
  bool send_pending() const noexcept { return send_pending_; }
  void complete_send() noexcept {
    send_pending_ = false;
    events_.on_sent(0);
  }

 private:
  FakeReactor& reactor_;
  rt::SocketEvents& events_;
  bool send_later_;
  bool open_ = true;
  bool receiving_ = false;
  bool send_pending_ = false;
};

class FakeReactor final : public rt::Reactor {
 public:
  explicit FakeReactor(bool send_later) noexcept : send_later_(send_later) {}
  ~FakeReactor() override { CHECK(socket_ == nullptr); }

  rt::IoBackend backend() const noexcept override { return rt::IoBackend::epoll; }
  rt::SocketPtr open_tcp(int, rt::SocketEvents& events, int&) noexcept override {
    CHECK(socket_ == nullptr);
    ++sockets_opened_;
    socket_ = new FakeSocket(*this, events, send_later_);
    return rt::SocketPtr(socket_, rt::SocketReleaser{this});
  }
  void release(rt::Socket* s) noexcept override {
    CHECK(s == socket_);
    s->close();
    delete s;
    socket_ = nullptr;
  }

  FakeSocket* socket() noexcept { return socket_; }
  std::string sent;  // every byte the client wrote, in order
  int sockets_opened_ = 0;

 protected:
  // The only I/O: a send that was left pending completes on the next turn.
  void wait_and_dispatch(rt::Nanos) override {
    if (socket_ && socket_->send_pending()) socket_->complete_send();
  }
  void wake() noexcept override {}

 private:
  bool send_later_;
  FakeSocket* socket_ = nullptr;
};

rt::IoStatus FakeSocket::send(const rt::ConstBuffer* buffers, std::size_t count) noexcept {
  CHECK(open_);
  CHECK(!send_pending_);  // one send at a time
  CHECK(count >= 1 && count <= kMaxSendBuffers);
  for (std::size_t i = 0; i < count; ++i) reactor_.sent.append(buffers[i].data, buffers[i].size);
  if (!send_later_) return rt::IoStatus::done(0);
  send_pending_ = true;
  return rt::IoStatus::later();
}

// ---- what the streams and the connection end up with -----------------------------------

struct StreamOutcome {
  std::uint32_t id = 0;
  std::vector<std::string> headers;  // "name: value", trailers prefixed with "T "
  std::string data;
  int ends = 0;
  h2::StreamEnd end;
  bool cancelled = false;  // still open when the input ran out
  bool operator==(const StreamOutcome& o) const {
    return id == o.id && headers == o.headers && data == o.data && ends == o.ends && end.kind == o.end.kind &&
           end.code == o.end.code && end.failure == o.end.failure && end.sys_error == o.end.sys_error &&
           cancelled == o.cancelled;
  }
};

struct Outcome {
  bool opened_streams = false;
  std::vector<StreamOutcome> streams;
  h2::Connection::State state = h2::Connection::State::idle;
  std::uint32_t active = 0;
  std::uint32_t stream_limit = 0;
  net::Failure end_failure = net::Failure::none;
  int end_sys_error = 0;
  bool end_before_open = false;
  bool socket_open = false;
  bool operator==(const Outcome&) const = default;
};

struct Run;

class Probe final : public h2::StreamHandler {
 public:
  Probe(Run& run, StreamOutcome& out) noexcept : run_(run), out_(out), stream(*this) {}
  void on_header(std::string_view name, std::string_view value, bool trailers) noexcept override {
    CHECK(out_.ends == 0 && !out_.cancelled);
    std::string field = trailers ? "T " : "";
    field.append(name).append(": ").append(value);
    out_.headers.push_back(std::move(field));
  }
  bool on_data(std::string_view data) noexcept override;
  void on_end(const h2::StreamEnd& end) noexcept override;

 private:
  Run& run_;
  StreamOutcome& out_;

 public:
  h2::Stream stream;
};

struct Run {
  const FuzzInput& in;
  Split split;
  FakeReactor reactor;
  std::optional<h2::Connection> conn;
  inferload::metrics::ByteCounts bytes;
  std::vector<std::unique_ptr<Probe>> probes;
  Outcome out;
  std::string body;
  std::string header_block;
  std::size_t header_list_size = 0;  // RFC 9113 10.5.1: names, values, 32 octets a field
  bool destroyed_in_end = false;

  Run(const FuzzInput& i, Split s, bool send_later) : in(i), split(s), reactor(send_later) {
    out.streams.reserve(8);
  }
};

bool Probe::on_data(std::string_view data) noexcept {
  CHECK(out_.ends == 0 && !out_.cancelled);
  CHECK(!data.empty());
  out_.data.append(data);
  return !(run_.in.refuse_ff && static_cast<unsigned char>(data[0]) == 0xff);
}

void Probe::on_end(const h2::StreamEnd& end) noexcept {
  CHECK(out_.ends == 0 && !out_.cancelled);
  CHECK(!stream.open());
  ++out_.ends;
  out_.end = end;
  if (run_.split == Split::destroy_in_end && run_.conn) {
    run_.conn.reset();
    run_.destroyed_in_end = true;
  }
}

// ---- driving it -------------------------------------------------------------------------

struct Rng {
  std::uint32_t state;
  std::uint32_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
};

std::vector<std::string_view> slices(std::string_view bytes, Split split, Rng& rng) {
  std::vector<std::string_view> out;
  if (bytes.empty()) return out;
  if (split == Split::whole) {
    out.push_back(bytes);
    return out;
  }
  while (!bytes.empty()) {
    std::size_t n = 1;
    if (split != Split::bytewise) {
      switch (rng.next() % 4) {
        case 0: n = 1 + rng.next() % 3; break;
        case 1: n = 1 + rng.next() % 16; break;
        case 2: n = 1 + rng.next() % 200; break;
        default: n = 1 + rng.next() % 5000; break;
      }
    }
    n = std::min(n, bytes.size());
    out.push_back(bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
  return out;
}

// One loop turn: the task always suspends, on a timer just past the reactor's now, so that the
// reactor runs its turn hooks (the connection's flush and delivery) and its I/O (a pending send
// completes) before the next loop's timers resume it. (runtime::sleep_until would not do: it
// does not suspend at all once its deadline has passed.)
class Turn {
 public:
  explicit Turn(rt::Reactor& r) noexcept : reactor_(r), timer_(&Turn::fire, this) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    waiter_ = h;
    reactor_.timers().arm(timer_, reactor_.now() + 1);
  }
  void await_resume() const noexcept {}

 private:
  static void fire(void* self, rt::FireReason) noexcept { static_cast<Turn*>(self)->waiter_.resume(); }
  rt::Reactor& reactor_;
  rt::Timer timer_;
  std::coroutine_handle<> waiter_;
};

Turn turn(Run& r) { return Turn(r.reactor); }

bool can_feed(Run& r) { return r.conn && r.reactor.socket() && r.reactor.socket()->receiving(); }

// Hands one slice over in a buffer of its own, which is scribbled over and freed as soon as
// on_received returns: the connection may keep nothing pointing into it.
void feed(Run& r, std::string_view slice) {
  auto buf = std::make_unique<char[]>(slice.size());
  std::copy(slice.begin(), slice.end(), buf.get());
  r.reactor.socket()->events().on_received(buf.get(), slice.size());
  std::fill(buf.get(), buf.get() + slice.size(), '\xa5');
}

void open_streams(Run& r) {
  std::size_t pieces = 0;
  rt::ConstBuffer body[2];
  const std::size_t first = r.body.size() / 3;
  if (!r.body.empty()) {
    body[0] = {r.body.data(), first};
    body[1] = {r.body.data() + first, r.body.size() - first};
    pieces = 2;
  }
  for (std::size_t i = 0; i < r.in.streams && r.conn && r.conn->can_open(); ++i) {
    StreamOutcome& so = r.out.streams.emplace_back();
    auto& p = r.probes.emplace_back(std::make_unique<Probe>(r, so));
    r.conn->open(p->stream, r.header_block, body, pieces, r.header_list_size);
    so.id = p->stream.id();  // a request above the server's SETTINGS_MAX_HEADER_LIST_SIZE ends at once
    r.out.opened_streams = true;
  }
}

rt::Task<void> drive(Run& r) {
  static const net::ResolvedEndpoint endpoint = [] {
    net::ResolvedEndpoint e;
    e.family = AF_INET;
    e.addr_len = sizeof(sockaddr_in);
    e.addr.ss_family = AF_INET;
    e.text = "127.0.0.1:50051";
    return e;
  }();
  r.conn->connect(endpoint, rt::kNever);
  co_await turn(r);
  Rng rng{static_cast<std::uint32_t>(r.in.split_seed) * 2654435761u + 1};
  const std::string_view before = r.in.server.substr(0, r.in.cut);
  const std::string_view after = r.in.server.substr(r.in.cut);
  for (std::string_view s : slices(before, r.split, rng)) {
    if (!can_feed(r)) break;
    feed(r, s);
    co_await turn(r);
  }
  if (r.conn) open_streams(r);
  co_await turn(r);
  for (std::string_view s : slices(after, r.split, rng)) {
    if (!can_feed(r)) break;
    feed(r, s);
    co_await turn(r);
  }
  if ((r.in.end_mode == 1 || r.in.end_mode == 2) && can_feed(r)) {
    r.reactor.socket()->events().on_receive_end(r.in.end_mode == 1 ? 0 : ECONNRESET);
    co_await turn(r);
  }
  // Whatever is still open is given up on; its handler must not hear of it again.
  for (std::size_t i = 0; i < r.probes.size(); ++i) {
    if (!r.probes[i]->stream.open()) continue;
    CHECK(r.conn);
    r.out.streams[i].cancelled = true;
    r.conn->cancel(r.probes[i]->stream);
    CHECK(!r.probes[i]->stream.open());
  }
  // Let the last sends finish: bodies are bounded, so this settles in a few turns.
  for (int i = 0; i < 3 || (r.reactor.socket() && r.reactor.socket()->send_pending()); ++i) {
    if (i > 1000) fail("sends never settle");
    co_await turn(r);
  }
  if (r.conn) {
    const h2::Connection& c = *r.conn;
    r.out.state = c.state();
    r.out.active = c.active_streams();
    r.out.stream_limit = c.stream_limit();
    r.out.end_failure = c.end().failure;
    r.out.end_sys_error = c.end().sys_error;
    r.out.end_before_open = c.end().before_open;
    CHECK(c.waiters() == 0);
    CHECK(c.active_streams() == 0);
    CHECK(c.streams_opened() == r.probes.size());
  }
  r.out.socket_open = r.reactor.socket() != nullptr;
}

// ---- checking what the client sent -----------------------------------------------------

// Upper bounds from the server's frames (all of them, delivered or not, so they hold for any
// run): the largest SETTINGS_MAX_FRAME_SIZE and SETTINGS_INITIAL_WINDOW_SIZE announced, and the
// sum of WINDOW_UPDATE increments per stream (0: the connection).
struct ServerAllowance {
  std::uint64_t max_frame_size = h2::kDefaultMaxFrameSize;
  std::uint64_t max_initial_window = h2::kDefaultInitialWindowSize;
  std::map<std::uint32_t, std::uint64_t> increments;
};

ServerAllowance allowance(std::string_view server) {
  ServerAllowance a;
  std::size_t pos = 0;
  while (server.size() - pos >= h2::kFrameHeaderSize) {
    const h2::FrameHeader h = h2::decode_frame_header(server.data() + pos);
    pos += h2::kFrameHeaderSize;
    const std::string_view payload = server.substr(pos, h.length);
    pos += payload.size();
    if (h.type == h2::FrameType::settings && !h.has(h2::flags::ack) && payload.size() % 6 == 0) {
      for (std::size_t i = 0; i < payload.size() / 6; ++i) {
        const h2::Setting s = h2::settings_entry(payload, i);
        if (s.id == h2::SettingId::max_frame_size) a.max_frame_size = std::max<std::uint64_t>(a.max_frame_size, s.value);
        if (s.id == h2::SettingId::initial_window_size) {
          a.max_initial_window = std::max<std::uint64_t>(a.max_initial_window, s.value);
        }
      }
    }
    if (h.type == h2::FrameType::window_update && payload.size() == 4) {
      a.increments[h.stream_id] += h2::window_increment(payload);
    }
  }
  return a;
}

void check_sent(const Run& r, ServerAllowance a) {
  std::string_view sent = r.reactor.sent;
  if (sent.empty()) return;
  CHECK(sent.substr(0, h2::kClientPreface.size()) == h2::kClientPreface);
  sent.remove_prefix(h2::kClientPreface.size());
  h2::FrameReader reader(h2::kLargestMaxFrameSize);
  reader.feed(sent.data(), sent.size());
  std::map<std::uint32_t, std::uint64_t> data_sent;  // 0: the connection
  std::map<std::uint32_t, bool> ended;
  bool first = true;
  for (;;) {
    h2::Frame f;
    const h2::ReadStatus st = reader.next(f);
    if (st == h2::ReadStatus::need_more) break;
    if (st != h2::ReadStatus::frame) {
      fail(std::string("the client sent a broken frame: ") + h2::to_string(reader.error()));
    }
    if (first) CHECK(f.header.type == h2::FrameType::settings && !f.header.has(h2::flags::ack));
    first = false;
    CHECK(f.header.length <= a.max_frame_size);
    const std::uint32_t id = f.header.stream_id;
    if (f.header.type == h2::FrameType::headers || f.header.type == h2::FrameType::data) {
      bool ours = false;
      for (const auto& s : r.out.streams) ours = ours || s.id == id;
      CHECK(ours);
    }
    if (f.header.type == h2::FrameType::data) {
      CHECK(!ended[id]);
      CHECK(!f.header.has(h2::flags::padded));
      const std::uint64_t offset = data_sent[id];
      CHECK(offset + f.payload.size() <= r.body.size());
      CHECK(f.payload == std::string_view(r.body).substr(offset, f.payload.size()));
      data_sent[id] += f.payload.size();
      data_sent[0] += f.payload.size();
      if (f.header.has(h2::flags::end_stream)) {
        ended[id] = true;
        CHECK(data_sent[id] == r.body.size());
      }
      CHECK(data_sent[id] <= a.max_initial_window + a.increments[id]);
      CHECK(data_sent[0] <= h2::kDefaultInitialWindowSize + a.increments[0]);
    }
    if (f.header.type == h2::FrameType::headers) {
      CHECK(data_sent[id] == 0);
      ended[id] = f.header.has(h2::flags::end_stream);
      CHECK(ended[id] == r.body.empty());
    }
  }
  CHECK(reader.next(*std::make_unique<h2::Frame>()) == h2::ReadStatus::need_more);
}

std::string c_string(std::string_view bytes) {
  std::string out = "\"";
  char buf[8];
  for (unsigned char c : bytes) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "\\x%02x\"\"", c);
      out += buf;
    }
  }
  return out + "\"";
}

void print(const Outcome& o, const char* label) {
  std::fprintf(stderr, "-- %s: state %d, active %u, limit %u, end failure %d/%d%s, socket %s\n", label,
               static_cast<int>(o.state), o.active, o.stream_limit, static_cast<int>(o.end_failure), o.end_sys_error,
               o.end_before_open ? " before open" : "", o.socket_open ? "open" : "closed");
  for (const auto& s : o.streams) {
    std::fprintf(stderr, "   stream %u: ends %d kind %d code %u failure %d sys %d%s, %zu data bytes %s\n", s.id, s.ends,
                 static_cast<int>(s.end.kind), static_cast<unsigned>(s.end.code), static_cast<int>(s.end.failure),
                 s.end.sys_error, s.cancelled ? " (cancelled)" : "", s.data.size(), c_string(s.data.substr(0, 64)).c_str());
    for (const auto& h : s.headers) std::fprintf(stderr, "     %s\n", c_string(h).c_str());
  }
}

Outcome run(const FuzzInput& in, Split split) {
  const bool send_later = split == Split::random_other_send ? !in.send_later : in.send_later;
  Run r(in, split, send_later);
  r.body.resize(in.body_size);
  for (std::size_t i = 0; i < r.body.size(); ++i) r.body[i] = static_cast<char>(i * 7 + 13);
  auto literal = [&](std::string_view name, std::string_view value) {
    auto integer = [&](std::size_t v) {  // RFC 7541 5.1, 7-bit prefix, no Huffman
      if (v < 127) return r.header_block.push_back(static_cast<char>(v));
      r.header_block.push_back(127);
      v -= 127;
      while (v >= 128) {
        r.header_block.push_back(static_cast<char>(v % 128 + 128));
        v /= 128;
      }
      r.header_block.push_back(static_cast<char>(v));
    };
    r.header_list_size += name.size() + value.size() + 32;
    r.header_block.push_back(0);
    integer(name.size());
    r.header_block.append(name);
    integer(value.size());
    r.header_block.append(value);
  };
  literal(":method", "POST");
  literal(":scheme", "http");
  literal(":path", "/inference.GRPCInferenceService/ModelInfer");
  literal(":authority", "127.0.0.1:50051");
  literal("content-type", "application/grpc");
  literal("te", "trailers");
  if (in.big_headers) literal("x-padding", std::string(40000, 'p'));

  h2::ConnectionSettings settings;
  if (in.small_window) settings.stream_window = 1024;
  settings.last_stream_id = in.last_stream_id;
  if (in.small_header_list) settings.max_header_list_size = 64;
  r.conn.emplace(r.reactor, settings, "127.0.0.1:50051", &r.bytes);
  r.reactor.spawn(drive(r));
  r.reactor.run();
  CHECK(r.reactor.live_tasks() == 0);
  CHECK(r.reactor.sockets_opened_ == 1);
  if (split != Split::destroy_in_end) {
    CHECK(r.conn);
    CHECK(r.bytes.sent <= r.reactor.sent.size());  // a send cut off by a lost socket is not counted
  }
  // Every stream ended exactly once, or was still open when the input ran out.
  if (!r.destroyed_in_end) {
    for (const auto& s : r.out.streams) CHECK(s.ends + (s.cancelled ? 1 : 0) == 1);
  }
  check_sent(r, allowance(in.server));
  r.conn.reset();  // after which no handler may be called (the probes check)
  CHECK(r.reactor.socket() == nullptr);
  return std::move(r.out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kPrefixBytes) return 0;
  FuzzInput in;
  in.split_seed = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
  in.streams = (data[2] & 7) + 1;
  in.send_later = data[2] & 0x08;
  in.small_window = data[2] & 0x10;
  in.big_headers = data[2] & 0x20;
  in.refuse_ff = data[2] & 0x40;
  in.body_size = static_cast<std::size_t>(data[3] << 8 | data[4]) * 200000 / 65535;
  in.end_mode = data[5] & 3;
  if (const std::uint32_t v = (data[5] >> 2) & 7; v != 0) in.last_stream_id = 2 * v - 1;
  in.small_header_list = data[5] & 0x20;
  in.server = std::string_view(reinterpret_cast<const char*>(data) + kPrefixBytes, size - kPrefixBytes);
  // The end of the first SETTINGS frame (not an ACK), or of the input when there is none.
  in.cut = in.server.size();
  for (std::size_t pos = 0; in.server.size() - pos >= h2::kFrameHeaderSize;) {
    const h2::FrameHeader h = h2::decode_frame_header(in.server.data() + pos);
    pos = std::min(in.server.size(), pos + h2::kFrameHeaderSize + h.length);
    if (h.type == h2::FrameType::settings && !h.has(h2::flags::ack)) {
      in.cut = pos;
      break;
    }
  }

  const Outcome whole = run(in, Split::whole);
  static const bool verbose = std::getenv("HTTP2_CONNECTION_FUZZ_VERBOSE") != nullptr;
  if (verbose) print(whole, "whole");
  const Split others[] = {Split::bytewise, Split::random, Split::random_other_send};
  for (Split split : others) {
    if (split == Split::bytewise && in.server.size() > kMaxBytewise) continue;
    const Outcome other = run(in, split);
    if (!(other == whole)) {
      std::fprintf(stderr, "input: %s\n", c_string(std::string_view(reinterpret_cast<const char*>(data), size)).c_str());
      print(whole, "whole");
      print(other, to_string(split));
      fail(std::string("the split changed the outcome: whole vs ") + to_string(split));
    }
  }
  run(in, Split::destroy_in_end);
  return 0;
}
