#pragma once
// One HTTP/2 client connection (RFC 9113; cleartext, prior knowledge) carrying many concurrent
// streams. It is driven by its socket's events, not by a coroutine of its own: received frames
// are handled as they arrive, and a stream's end resumes whoever waits for it directly.
//
// What it does for its streams: the preface and SETTINGS exchange, PING answers, flow control
// in both directions (request bodies go out as the windows allow; received DATA is given back
// in batched WINDOW_UPDATEs), the server's MAX_CONCURRENT_STREAMS and MAX_FRAME_SIZE, GOAWAY
// (streams above its last stream id end as refused, the rest finish, then the connection
// closes), RST_STREAM, and every protocol error as a failure of the streams involved (a
// connection error ends them all and closes the connection). Nothing is retried.
//
// Frames written during one loop turn leave with one send, at the turn's end. Nothing allocates
// per stream once the buffers have reached their working size.
#include <coroutine>
#include <cstdint>
#include <string>
#include <string_view>

#include "inferload/http2/flow_control.hpp"
#include "inferload/http2/frame.hpp"
#include "inferload/http2/hpack.hpp"
#include "inferload/http2/stream_table.hpp"
#include "inferload/metrics/summary.hpp"
#include "inferload/net/endpoint.hpp"
#include "inferload/net/failure.hpp"
#include "inferload/runtime/reactor.hpp"
#include "inferload/tls/secure_socket.hpp"

namespace inferload::http2 {

using runtime::ConstBuffer;
using runtime::Nanos;

struct ConnectionSettings {
  // Our SETTINGS_INITIAL_WINDOW_SIZE: how much of a response the server may send before we
  // have taken any of it. Large, so that big responses never wait for a WINDOW_UPDATE.
  std::uint32_t stream_window = 4u << 20;
  // The connection window, raised from RFC 9113's 65535 right after the preface.
  std::uint32_t connection_window = 64u << 20;
  std::uint32_t max_frame_size = kDefaultMaxFrameSize;  // our SETTINGS_MAX_FRAME_SIZE
  std::uint32_t max_header_list_size = kDefaultMaxHeaderListSize;
  // Streams open at once, whatever more the server allows.
  std::uint32_t max_streams = 1024;
  // The last stream id this connection uses before it drains and new work goes elsewhere
  // (RFC 9113 5.1.1 allows up to 2^31-1; tests lower it to reach exhaustion quickly).
  std::uint32_t last_stream_id = kStreamIdMask;
};

enum class StreamEndKind : std::uint8_t {
  completed,  // the server ended the stream
  refused,    // the server did not process it: REFUSED_STREAM, or above a GOAWAY's last stream id
  reset,      // the server reset it with RST_STREAM (`code`)
  failed,     // `failure` says why: protocol (we found the server's bytes broken), closed,
              // reset, io_error, broken_pipe (the connection went), timeout, interrupted
};

struct StreamEnd {
  StreamEndKind kind = StreamEndKind::completed;
  ErrorCode code = ErrorCode::no_error;  // refused/reset: the server's; failed/protocol: ours
  net::Failure failure = net::Failure::none;
  int sys_error = 0;
};

// What the connection tells the owner of a stream. Called from the connection's event handling;
// on_end is the last call and may resume a coroutine that destroys the connection.
class StreamHandler {
 public:
  // One field of a response header block; `trailers` for every block after the first.
  virtual void on_header(std::string_view name, std::string_view value, bool trailers) noexcept = 0;
  // Response DATA, padding removed. Returning false ends the stream as a protocol failure and
  // resets it with CANCEL.
  virtual bool on_data(std::string_view data) noexcept = 0;
  virtual void on_end(const StreamEnd& end) noexcept = 0;

 protected:
  ~StreamHandler() = default;
};

class Connection;

// A request/response exchange on a connection, embedded in its owner (no allocation).
class Stream {
 public:
  explicit Stream(StreamHandler& handler) noexcept : handler_(&handler) {}
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  std::uint32_t id() const noexcept { return id_; }
  bool open() const noexcept { return conn_ != nullptr; }

 private:
  friend class Connection;
  StreamHandler* handler_;
  Connection* conn_ = nullptr;
  std::uint32_t id_ = 0;
  ConstBuffer body_[2] = {};
  std::size_t body_pieces_ = 0;
  std::size_t body_size_ = 0;
  std::size_t body_sent_ = 0;
  SendWindow send_window_;
  ReceiveWindow receive_window_;
  std::uint8_t header_blocks_ = 0;
  bool body_done_ = false;  // END_STREAM sent
  StreamEnd end_;
  Stream* blocked_prev_ = nullptr;  // in the list of streams with body bytes waiting for window
  Stream* blocked_next_ = nullptr;
  bool blocked_ = false;
  Stream* done_next_ = nullptr;  // in the list of ended streams waiting to be told
};

// Why a connection can take no more streams (for the owners of waiting requests).
struct ConnectionEnd {
  net::Failure failure = net::Failure::none;  // none: it drains (GOAWAY, ids used up) or was closed
  int sys_error = 0;
  bool before_open = false;  // the connection never got as far as the server's SETTINGS
};

class Connection final : private runtime::SocketEvents {
 public:
  Connection(runtime::Reactor& reactor, const ConnectionSettings& settings, std::string_view authority,
             metrics::ByteCounts* bytes) noexcept;
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  runtime::Reactor& reactor() noexcept { return reactor_; }
  enum class State : std::uint8_t { idle, connecting, handshaking, open, draining, closed };
  State state() const noexcept { return state_; }

  // Connects over TLS through `connector` (which must outlive the connection) from now on. A
  // connector may serve several connections: a pool's slot, whose replacement resumes the session.
  void set_tls(tls::Connector* connector) noexcept { tls_ = connector; }
  // Starts connecting (idle connections only). The connection gives up at `deadline`.
  void connect(const net::ResolvedEndpoint& endpoint, Nanos deadline) noexcept;
  // The VU a connection of its own belongs to (a per-iteration connection): a hard stop of that
  // VU alone ends connecting or the handshake as a hard stop of the reactor would (socket
  // closed, streams and waiters told). Shared connections keep 0: no VU can stop them.
  void set_owner(std::uint32_t owner) noexcept { connect_timer_.set_owner(owner); }
  // May still take streams, now or once connected.
  bool usable() const noexcept {
    return state_ == State::connecting || state_ == State::handshaking || state_ == State::open;
  }
  // A stream may be opened now: a free slot, and nobody waiting for one (they come first).
  bool can_open() const noexcept { return has_free_slot() && waiting_ == 0; }
  std::uint32_t active_streams() const noexcept { return active_; }
  std::uint32_t stream_limit() const noexcept { return stream_limit_; }
  std::size_t waiters() const noexcept { return waiting_; }
  const ConnectionEnd& end() const noexcept { return end_; }
  // Closed, with its last frames written: nothing is left to lose by destroying it.
  bool finished() const noexcept { return state_ == State::closed && !sock_ && active_ == 0 && waiting_ == 0; }

  // Sends a request: `header_block` (HPACK, any length; it is split into HEADERS and
  // CONTINUATION frames as the server's frame size requires) and a body of up to two pieces,
  // which must stay valid until the stream ends. Requires can_open().
  // `header_list_size` is the request's size in RFC 9113 10.5.1's terms (names, values, 32 octets
  // a field): a request above the server's SETTINGS_MAX_HEADER_LIST_SIZE is not sent, and its
  // stream ends at once as failed (protocol, REFUSED_STREAM).
  void open(Stream& stream, std::string_view header_block, const ConstBuffer* body, std::size_t pieces,
            std::size_t header_list_size = 0) noexcept;
  // Gives up on a stream: RST_STREAM(code) goes to the server if it is still open, and the
  // handler is not called again (not even when the stream had ended and its end was not yet
  // told).
  void cancel(Stream& stream, ErrorCode code = ErrorCode::cancel) noexcept;
  // No new streams; the open ones finish, then the connection closes.
  void drain() noexcept;

  // Awaitable: resumes when a stream may be opened on this connection (can_open()), when it no
  // longer can be (!usable(): see end()), at the deadline, or on a hard stop (of the reactor, or
  // of the VU `owner`). Waiters are woken in order of arrival; one that gives up leaves the
  // line to those behind it.
  enum class WaitResult : std::uint8_t { ready, gone, timed_out, interrupted };
  class StreamWait {
   public:
    StreamWait(Connection& c, Nanos deadline, std::uint32_t owner = 0) noexcept;
    StreamWait(const StreamWait&) = delete;
    ~StreamWait();
    bool await_ready() const noexcept;
    void await_suspend(std::coroutine_handle<> h) noexcept;
    WaitResult await_resume() const noexcept { return result_; }

   private:
    friend class Connection;
    static void on_timer(void* self, runtime::FireReason reason) noexcept;
    Connection& c_;
    Nanos deadline_;
    runtime::Timer timer_;
    std::coroutine_handle<> waiter_;
    WaitResult result_ = WaitResult::ready;
    StreamWait* prev_ = nullptr;
    StreamWait* next_ = nullptr;
    bool queued_ = false;
  };
  StreamWait wait_for_stream(Nanos deadline, std::uint32_t owner = 0) noexcept {
    return StreamWait(*this, deadline, owner);
  }

  // Counters for tests and the summary.
  std::uint64_t streams_opened() const noexcept { return streams_opened_; }
  std::uint64_t window_updates_sent() const noexcept { return window_updates_sent_; }
  std::uint64_t sends() const noexcept { return sends_; }
  const SendWindow& connection_send_window() const noexcept { return send_window_; }

 private:
  void on_connected(int error) noexcept override;
  void on_sent(int error) noexcept override;
  void on_received(const char* data, std::size_t len) noexcept override;
  void on_receive_end(int error) noexcept override;
  static void on_connect_timer(void* self, runtime::FireReason reason) noexcept;
  static void on_turn_end(void* self) noexcept;

  bool has_free_slot() const noexcept {
    return state_ == State::open && active_ < stream_limit_ && next_stream_id_ <= settings_.last_stream_id;
  }
  void handle_frame(const Frame& f) noexcept;
  void handle_settings(const Frame& f) noexcept;
  void handle_data(const Frame& f) noexcept;
  void handle_header_block(const Frame& f) noexcept;
  void handle_goaway(const Frame& f) noexcept;
  void handle_window_update(const Frame& f) noexcept;

  void write_headers(Stream& s, std::string_view block) noexcept;
  // Writes as much of each blocked body as the windows and the send buffer allow.
  void pump_bodies() noexcept;
  bool pump_body(Stream& s) noexcept;  // true when the body is all out
  void block(Stream& s) noexcept;
  void unblock(Stream& s) noexcept;

  // The stream leaves the connection's table, lists and count.
  void detach(Stream& s) noexcept;
  // The stream leaves the connection; its handler is told at the end of the current event.
  void end_stream(Stream& s, const StreamEnd& end) noexcept;
  void connection_error(ErrorCode code) noexcept;
  void fail_all(const StreamEnd& end) noexcept;
  void lost(net::Failure failure, int sys_error) noexcept;  // the socket is gone
  void close_socket() noexcept;
  void maybe_close_drained() noexcept;

  void schedule_flush() noexcept { reactor_.at_turn_end(flush_hook_); }
  void flush() noexcept;
  // Tells ended streams' handlers and wakes waiters. The last thing every entry point does: a
  // resumed coroutine may destroy this connection.
  void deliver() noexcept;
  void wake_waiters() noexcept;
  // Adds to bytes_ what went out and came in: these plaintext bytes over TCP; over TLS, the
  // records the socket moved since last time.
  void count_bytes(std::size_t sent, std::size_t received) noexcept;
  void enqueue(StreamWait& w) noexcept;
  void dequeue(StreamWait& w) noexcept;

  runtime::Reactor& reactor_;
  ConnectionSettings settings_;
  std::string authority_;
  metrics::ByteCounts* bytes_;
  tls::Connector* tls_ = nullptr;
  // Over TLS the bytes counted are the records on the wire: the socket's counts when last seen.
  runtime::WireCounts wire_seen_;
  runtime::SocketPtr sock_;
  runtime::Timer connect_timer_;
  runtime::TurnHook flush_hook_;
  State state_ = State::idle;
  ConnectionEnd end_;

  FrameReader reader_;
  HpackDecoder hpack_;
  StreamTable<Stream> streams_;
  std::uint32_t active_ = 0;
  std::uint32_t stream_limit_;
  std::uint32_t next_stream_id_ = 1;
  std::uint32_t goaway_last_id_ = kStreamIdMask;

  // The server's settings.
  std::uint32_t peer_max_frame_size_ = kDefaultMaxFrameSize;
  std::uint32_t peer_initial_window_ = kDefaultInitialWindowSize;
  std::uint32_t peer_max_header_list_size_ = UINT32_MAX;
  bool settings_acked_ = false;  // the server acknowledged ours

  SendWindow send_window_;
  ReceiveWindow receive_window_;

  // The header block being received: its stream (null when it belongs to none of ours any
  // more) and whether its HEADERS frame ended the stream.
  Stream* block_stream_ = nullptr;
  std::uint32_t block_stream_id_ = 0;
  bool block_ends_stream_ = false;
  bool block_trailers_ = false;
  bool block_interim_ = false;  // its :status is 1xx

  Stream* blocked_head_ = nullptr;
  Stream* blocked_tail_ = nullptr;
  Stream* done_head_ = nullptr;
  Stream* done_tail_ = nullptr;
  StreamWait* waiters_head_ = nullptr;
  StreamWait* waiters_tail_ = nullptr;
  std::size_t waiting_ = 0;

  std::string out_;      // frames written since the last send
  std::string sending_;  // the send in flight
  bool send_in_flight_ = false;
  bool close_after_send_ = false;

  bool* alive_ = nullptr;  // set while an event is handled; cleared by the destructor
  bool delivering_ = false;

  std::uint64_t streams_opened_ = 0;
  std::uint64_t window_updates_sent_ = 0;
  std::uint64_t sends_ = 0;
};

}  // namespace inferload::http2
