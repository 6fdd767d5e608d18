#include "inferload/http2/connection.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace inferload::http2 {
namespace {

// Body bytes are copied into the send buffer only while it holds less than this: a large
// upload goes out in slices as sends complete instead of being buffered whole.
constexpr std::size_t kMaxBufferedSend = 512 * 1024;

}  // namespace

Connection::Connection(runtime::Reactor& reactor, const ConnectionSettings& settings, std::string_view authority,
                       metrics::ByteCounts* bytes) noexcept
    : reactor_(reactor),
      settings_(settings),
      authority_(authority),
      bytes_(bytes),
      sock_(nullptr, runtime::SocketReleaser{&reactor}),
      connect_timer_(&Connection::on_connect_timer, this),
      flush_hook_(&Connection::on_turn_end, this),
      reader_(kDefaultMaxFrameSize),
      hpack_(settings.max_header_list_size),
      streams_(std::min<std::uint32_t>(settings.max_streams, 128)),
      stream_limit_(settings.max_streams),
      receive_window_(std::max(settings.connection_window, kDefaultInitialWindowSize)) {
  settings_.last_stream_id = std::min(settings_.last_stream_id, kStreamIdMask);
  settings_.max_streams = std::max<std::uint32_t>(settings_.max_streams, 1);
  stream_limit_ = settings_.max_streams;
}

Connection::~Connection() {
  if (alive_) *alive_ = false;
  // Owners end their streams before the connection goes; whatever is left is only detached.
  streams_.for_each([](std::uint32_t, Stream* s) { s->conn_ = nullptr; });
  while (waiters_head_) dequeue(*waiters_head_);
  sock_.reset();
}

void Connection::connect(const net::ResolvedEndpoint& endpoint, Nanos deadline) noexcept {
  if (state_ != State::idle) return;
  state_ = State::connecting;
  reactor_.timers().arm(connect_timer_, deadline);
  int err = 0;
  if (tls_) {
    wire_seen_ = {};
    sock_ = tls_->open(reactor_, endpoint.family, *this, err);
  } else {
    sock_ = reactor_.open_tcp(endpoint.family, *this, err);
  }
  if (!sock_) {
    lost(tls::classify_failure(tls_, err, true), err);
    return;
  }
  const runtime::IoStatus st = sock_->connect(reinterpret_cast<const sockaddr*>(&endpoint.addr), endpoint.addr_len);
  if (!st.pending) {
    // Completed at once (a backend may do that on loopback): handled as the event would be,
    // except that nobody can be waiting yet, so nothing is delivered from inside this call.
    if (st.error != 0) {
      lost(tls::classify_failure(tls_, st.error, true), st.error);
      return;
    }
    on_connected(0);
  }
}

void Connection::on_connected(int error) noexcept {
  if (state_ != State::connecting) return;
  if (error != 0) {
    lost(tls::classify_failure(tls_, error, true), error);
    deliver();
    return;
  }
  state_ = State::handshaking;
  sock_->start_receive();
  out_.append(kClientPreface);
  const Setting ours[] = {
      {SettingId::enable_push, 0},
      {SettingId::initial_window_size, settings_.stream_window},
      {SettingId::max_frame_size, std::clamp(settings_.max_frame_size, kDefaultMaxFrameSize, kLargestMaxFrameSize)},
      {SettingId::max_header_list_size, settings_.max_header_list_size},
  };
  append_settings(out_, ours);
  if (receive_window_.initial_window() > kDefaultInitialWindowSize) {
    append_window_update(out_, 0, receive_window_.initial_window() - kDefaultInitialWindowSize);
    ++window_updates_sent_;
  }
  schedule_flush();
}

void Connection::on_connect_timer(void* self, runtime::FireReason reason) noexcept {
  auto* c = static_cast<Connection*>(self);
  if (c->state_ != State::connecting && c->state_ != State::handshaking) return;
  c->lost(reason == runtime::FireReason::interrupted ? net::Failure::interrupted : net::Failure::connect_timeout,
          reason == runtime::FireReason::interrupted ? ECANCELED : ETIMEDOUT);
  c->deliver();
}

void Connection::on_turn_end(void* self) noexcept {
  auto* c = static_cast<Connection*>(self);
  c->flush();
  c->deliver();
}

// ---- sending ----------------------------------------------------------------------------

void Connection::open(Stream& s, std::string_view header_block, const ConstBuffer* body, std::size_t pieces,
                      std::size_t header_list_size) noexcept {
  s.conn_ = this;
  s.id_ = next_stream_id_;
  next_stream_id_ += 2;
  s.body_pieces_ = std::min<std::size_t>(pieces, 2);
  s.body_size_ = 0;
  for (std::size_t i = 0; i < s.body_pieces_; ++i) {
    s.body_[i] = body[i];
    s.body_size_ += body[i].size;
  }
  s.body_sent_ = 0;
  s.send_window_ = SendWindow(peer_initial_window_);
  s.receive_window_ = ReceiveWindow(settings_.stream_window);
  s.header_blocks_ = 0;
  s.body_done_ = false;
  s.end_ = {};
  if (streams_.size() >= streams_.capacity()) streams_.reserve(2 * streams_.capacity());
  streams_.insert(s.id_, &s);
  ++active_;
  ++streams_opened_;
  if (header_list_size > peer_max_header_list_size_) {
    // Nothing went out: the id is spent, the stream ends as the server would have refused it.
    s.body_done_ = true;
    end_stream(s, {StreamEndKind::failed, ErrorCode::refused_stream, net::Failure::protocol, 0});
    schedule_flush();
    return;
  }
  write_headers(s, header_block);
  if (!s.body_done_ && !pump_body(s)) block(s);
  // Ids are spent: the streams open finish here, new work goes to another connection.
  if (next_stream_id_ > settings_.last_stream_id && state_ == State::open) state_ = State::draining;
  schedule_flush();
}

void Connection::write_headers(Stream& s, std::string_view block) noexcept {
  const std::size_t max = peer_max_frame_size_;
  const bool end_stream = s.body_size_ == 0;
  std::string_view first = block.substr(0, max);
  block.remove_prefix(first.size());
  append_headers(out_, s.id_, first, end_stream, block.empty());
  while (!block.empty()) {
    const std::string_view part = block.substr(0, max);
    block.remove_prefix(part.size());
    append_continuation(out_, s.id_, part, block.empty());
  }
  if (end_stream) s.body_done_ = true;
}

bool Connection::pump_body(Stream& s) noexcept {
  while (s.body_sent_ < s.body_size_) {
    if (out_.size() >= kMaxBufferedSend) return false;
    const std::uint32_t n = next_data_frame_size(s.send_window_, send_window_, peer_max_frame_size_,
                                                 s.body_size_ - s.body_sent_);
    if (n == 0) return false;
    const bool last = s.body_sent_ + n == s.body_size_;
    char header[kFrameHeaderSize];
    encode_frame_header({n, FrameType::data, last ? flags::end_stream : std::uint8_t{0}, s.id_}, header);
    out_.append(header, kFrameHeaderSize);
    // The frame's bytes may span both pieces of the body.
    std::size_t offset = s.body_sent_;
    std::size_t left = n;
    for (std::size_t i = 0; i < s.body_pieces_ && left > 0; ++i) {
      const ConstBuffer& piece = s.body_[i];
      if (offset >= piece.size) {
        offset -= piece.size;
        continue;
      }
      const std::size_t take = std::min(left, piece.size - offset);
      out_.append(piece.data + offset, take);
      left -= take;
      offset = 0;
    }
    s.send_window_.consume(n);
    send_window_.consume(n);
    s.body_sent_ += n;
  }
  s.body_done_ = true;
  return true;
}

void Connection::block(Stream& s) noexcept {
  if (s.blocked_) return;
  s.blocked_ = true;
  s.blocked_prev_ = blocked_tail_;
  s.blocked_next_ = nullptr;
  if (blocked_tail_) blocked_tail_->blocked_next_ = &s;
  else blocked_head_ = &s;
  blocked_tail_ = &s;
}

void Connection::unblock(Stream& s) noexcept {
  if (!s.blocked_) return;
  if (s.blocked_prev_) s.blocked_prev_->blocked_next_ = s.blocked_next_;
  else blocked_head_ = s.blocked_next_;
  if (s.blocked_next_) s.blocked_next_->blocked_prev_ = s.blocked_prev_;
  else blocked_tail_ = s.blocked_prev_;
  s.blocked_ = false;
  s.blocked_prev_ = s.blocked_next_ = nullptr;
}

void Connection::pump_bodies() noexcept {
  if (!sock_) return;
  for (Stream* s = blocked_head_; s;) {
    Stream* next = s->blocked_next_;
    if (pump_body(*s)) unblock(*s);
    else if (send_window_.available() == 0 || out_.size() >= kMaxBufferedSend) break;
    s = next;
  }
  if (!out_.empty()) schedule_flush();
}

void Connection::flush() noexcept {
  while (sock_ && !send_in_flight_ && !out_.empty()) {
    std::swap(out_, sending_);
    out_.clear();
    const ConstBuffer b{sending_.data(), sending_.size()};
    ++sends_;
    const runtime::IoStatus st = sock_->send(&b, 1);
    if (st.pending) {
      send_in_flight_ = true;
      return;
    }
    if (st.error != 0) {
      lost(tls::classify_failure(tls_, st.error, false), st.error);
      return;
    }
    count_bytes(sending_.size(), 0);
    sending_.clear();
    pump_bodies();
  }
  if (close_after_send_ && !send_in_flight_ && out_.empty()) close_socket();
}

void Connection::on_sent(int error) noexcept {
  send_in_flight_ = false;
  if (error != 0) {
    lost(tls::classify_failure(tls_, error, false), error);
    deliver();
    return;
  }
  count_bytes(sending_.size(), 0);
  sending_.clear();
  if (close_after_send_ && out_.empty()) {
    close_socket();
    deliver();
    return;
  }
  pump_bodies();
  if (!out_.empty()) schedule_flush();
  deliver();
}

// ---- receiving --------------------------------------------------------------------------

void Connection::count_bytes(std::size_t sent, std::size_t received) noexcept {
  if (!bytes_) return;
  const runtime::WireCounts* wire = sock_ ? sock_->wire_counts() : nullptr;
  if (!wire) {
    bytes_->sent += sent;
    bytes_->received += received;
    return;
  }
  bytes_->sent += wire->sent - wire_seen_.sent;
  bytes_->received += wire->received - wire_seen_.received;
  wire_seen_ = *wire;
}

void Connection::on_received(const char* data, std::size_t len) noexcept {
  count_bytes(0, len);
  if (state_ == State::closed || state_ == State::idle || state_ == State::connecting) return;
  reader_.feed(data, len);
  for (;;) {
    Frame f;
    const ReadStatus st = reader_.next(f);
    if (st == ReadStatus::need_more) break;
    if (st == ReadStatus::frame) {
      handle_frame(f);
      if (state_ == State::closed) break;
      continue;
    }
    if (st == ReadStatus::stream_error) {
      const std::uint32_t id = reader_.error_stream_id();
      append_rst_stream(out_, id, reader_.error());
      if (Stream* s = streams_.find(id)) end_stream(*s, {StreamEndKind::failed, reader_.error(), net::Failure::protocol, 0});
      continue;
    }
    connection_error(reader_.error());
    break;
  }
  if (state_ != State::closed && receive_window_.update_due()) {
    append_window_update(out_, 0, receive_window_.take_update());
    ++window_updates_sent_;
  }
  if (!out_.empty()) schedule_flush();
  deliver();
}

void Connection::handle_frame(const Frame& f) noexcept {
  switch (f.header.type) {
    case FrameType::data:
      handle_data(f);
      return;
    case FrameType::headers:
    case FrameType::continuation:
      handle_header_block(f);
      return;
    case FrameType::rst_stream: {
      const std::uint32_t id = f.header.stream_id;
      if (Stream* s = streams_.find(id)) {
        const ErrorCode code = rst_stream_code(f.payload);
        end_stream(*s, {code == ErrorCode::refused_stream ? StreamEndKind::refused : StreamEndKind::reset, code,
                        net::Failure::none, 0});
      } else if (id >= next_stream_id_ || (id & 1) == 0) {
        connection_error(ErrorCode::protocol_error);  // a stream we never opened
      }
      return;
    }
    case FrameType::settings:
      if (f.header.has(flags::ack)) {
        if (!settings_acked_) {
          settings_acked_ = true;
          reader_.set_max_frame_size(std::clamp(settings_.max_frame_size, kDefaultMaxFrameSize, kLargestMaxFrameSize));
        }
        return;
      }
      handle_settings(f);
      return;
    case FrameType::push_promise:
      connection_error(ErrorCode::protocol_error);  // our SETTINGS_ENABLE_PUSH is 0
      return;
    case FrameType::ping:
      if (!f.header.has(flags::ack)) append_ping(out_, ping_opaque(f.payload), true);
      return;
    case FrameType::goaway:
      handle_goaway(f);
      return;
    case FrameType::window_update:
      handle_window_update(f);
      return;
    default:
      return;  // PRIORITY and extension frames carry nothing a client needs
  }
}

void Connection::handle_settings(const Frame& f) noexcept {
  for (std::size_t i = 0; i < settings_count(f.payload); ++i) {
    const Setting s = settings_entry(f.payload, i);
    switch (s.id) {
      case SettingId::enable_push:
        if (s.value != 0) return connection_error(ErrorCode::protocol_error);  // RFC 9113 6.5.2
        break;
      case SettingId::max_concurrent_streams:
        stream_limit_ = std::min(s.value, settings_.max_streams);
        streams_.reserve(stream_limit_);
        break;
      case SettingId::initial_window_size: {
        ErrorCode bad = ErrorCode::no_error;
        const std::uint32_t old_initial = peer_initial_window_;
        streams_.for_each([&](std::uint32_t, Stream* st) {
          if (st->send_window_.on_initial_window_change(old_initial, s.value) != ErrorCode::no_error) {
            bad = ErrorCode::flow_control_error;
          }
        });
        if (bad != ErrorCode::no_error) return connection_error(bad);
        peer_initial_window_ = s.value;
        break;
      }
      case SettingId::max_frame_size:
        peer_max_frame_size_ = s.value;
        break;
      case SettingId::max_header_list_size:
        peer_max_header_list_size_ = s.value;
        break;
      default:
        break;  // HEADER_TABLE_SIZE: our header blocks never use the dynamic table
    }
  }
  append_settings_ack(out_);
  // Room for every stream the connection may now open (a server that names no limit allows our
  // own cap), sized here, not per stream.
  streams_.reserve(stream_limit_);
  if (state_ == State::handshaking) {
    state_ = State::open;
    connect_timer_.cancel();
  }
  pump_bodies();
}

void Connection::handle_data(const Frame& f) noexcept {
  const std::uint32_t length = f.header.length;
  if (receive_window_.on_data(length) != ErrorCode::no_error) return connection_error(ErrorCode::flow_control_error);
  // Whatever becomes of the bytes, the connection window gets them back: they have been read.
  receive_window_.consumed(length);
  const std::uint32_t id = f.header.stream_id;
  Stream* s = streams_.find(id);
  if (!s) {
    // A stream we reset or gave up on may still be in flight; one we never opened may not.
    if (id >= next_stream_id_ || (id & 1) == 0) connection_error(ErrorCode::protocol_error);
    return;
  }
  auto stream_fails = [&](ErrorCode code) {
    append_rst_stream(out_, id, code);
    end_stream(*s, {StreamEndKind::failed, code, net::Failure::protocol, 0});
  };
  if (s->header_blocks_ == 0) return stream_fails(ErrorCode::protocol_error);  // DATA before HEADERS
  if (s->receive_window_.on_data(length) != ErrorCode::no_error) return stream_fails(ErrorCode::flow_control_error);
  s->receive_window_.consumed(length);
  if (!f.payload.empty() && !s->handler_->on_data(f.payload)) return stream_fails(ErrorCode::cancel);
  if (f.header.has(flags::end_stream)) {
    end_stream(*s, {});
  } else if (s->receive_window_.update_due()) {
    append_window_update(out_, id, s->receive_window_.take_update());
    ++window_updates_sent_;
  }
}

void Connection::handle_header_block(const Frame& f) noexcept {
  if (f.header.type == FrameType::headers) {
    const std::uint32_t id = f.header.stream_id;
    Stream* s = streams_.find(id);
    if (!s && (id >= next_stream_id_ || (id & 1) == 0)) return connection_error(ErrorCode::protocol_error);
    block_stream_ = s;
    block_stream_id_ = id;
    block_ends_stream_ = f.header.has(flags::end_stream);
    block_trailers_ = s && s->header_blocks_ > 0;
    block_interim_ = false;
    if (s) ++s->header_blocks_;
  }
  const bool end_headers = f.header.has(flags::end_headers);
  // Decoded even when the stream is gone: the dynamic table must follow the server's.
  const HpackStatus st = hpack_.decode(f.payload, end_headers, [this](std::string_view name, std::string_view value) {
    if (!block_trailers_ && name == ":status" && value.size() == 3 && value[0] == '1') block_interim_ = true;
    if (block_stream_) block_stream_->handler_->on_header(name, value, block_trailers_);
  });
  if (st == HpackStatus::compression_error) return connection_error(ErrorCode::compression_error);
  if (!end_headers) return;
  Stream* s = std::exchange(block_stream_, nullptr);
  if (!s) return;
  auto stream_fails = [&](ErrorCode code) {
    append_rst_stream(out_, s->id_, code);
    end_stream(*s, {StreamEndKind::failed, code, net::Failure::protocol, 0});
  };
  if (st == HpackStatus::header_list_too_large) return stream_fails(ErrorCode::cancel);
  if (block_interim_) {
    // A 1xx response (RFC 9113 8.1): the final response's headers are still to come, and it
    // cannot end the stream.
    s->header_blocks_ = 0;
    if (block_ends_stream_) stream_fails(ErrorCode::protocol_error);
    return;
  }
  if (block_ends_stream_) return end_stream(*s, {});
  // Trailers must end the stream (RFC 9113 8.1).
  if (block_trailers_) stream_fails(ErrorCode::protocol_error);
}

void Connection::handle_goaway(const Frame& f) noexcept {
  const GoAway g = decode_goaway(f.payload);
  goaway_last_id_ = std::min(goaway_last_id_, g.last_stream_id);
  // Streams the server will not process end as refused; collected first, since ending one
  // changes the table.
  Stream* refused = nullptr;
  streams_.for_each([&](std::uint32_t id, Stream* s) {
    if (id > goaway_last_id_) {
      s->done_next_ = refused;
      refused = s;
    }
  });
  while (refused) {
    Stream* s = refused;
    refused = s->done_next_;
    end_stream(*s, {StreamEndKind::refused, g.code, net::Failure::none, 0});
  }
  if (state_ == State::open || state_ == State::handshaking) state_ = State::draining;
  maybe_close_drained();
}

void Connection::handle_window_update(const Frame& f) noexcept {
  const std::uint32_t increment = window_increment(f.payload);
  if (f.header.stream_id == 0) {
    if (send_window_.on_window_update(increment) != ErrorCode::no_error) return connection_error(ErrorCode::flow_control_error);
  } else if (Stream* s = streams_.find(f.header.stream_id)) {
    if (s->send_window_.on_window_update(increment) != ErrorCode::no_error) {
      append_rst_stream(out_, s->id_, ErrorCode::flow_control_error);
      end_stream(*s, {StreamEndKind::failed, ErrorCode::flow_control_error, net::Failure::protocol, 0});
      return;
    }
  }
  pump_bodies();
}

void Connection::on_receive_end(int error) noexcept {
  if (state_ == State::closed) return;
  lost(error == 0 ? net::Failure::closed : tls::classify_failure(tls_, error, false), error);
  deliver();
}

// ---- ending -----------------------------------------------------------------------------

void Connection::detach(Stream& s) noexcept {
  streams_.erase(s.id_);
  --active_;
  unblock(s);
  if (block_stream_ == &s) block_stream_ = nullptr;
  s.conn_ = nullptr;
}

void Connection::end_stream(Stream& s, const StreamEnd& end) noexcept {
  if (s.conn_ != this) return;
  // The server answered before our body was all out: the rest is not wanted (RFC 9113 8.1).
  if (end.kind == StreamEndKind::completed && !s.body_done_) append_rst_stream(out_, s.id_, ErrorCode::no_error);
  detach(s);
  s.end_ = end;
  s.done_next_ = nullptr;
  if (done_tail_) done_tail_->done_next_ = &s;
  else done_head_ = &s;
  done_tail_ = &s;
  maybe_close_drained();
}

void Connection::cancel(Stream& s, ErrorCode code) noexcept {
  if (s.conn_ != this) {
    for (Stream** p = &done_head_; *p; p = &(*p)->done_next_) {
      if (*p != &s) continue;
      *p = s.done_next_;
      if (done_tail_ == &s) {
        done_tail_ = nullptr;
        for (Stream* t = done_head_; t; t = t->done_next_) done_tail_ = t;
      }
      s.done_next_ = nullptr;
      break;
    }
    return;
  }
  if (sock_ && state_ != State::closed) {
    append_rst_stream(out_, s.id_, code);
    schedule_flush();
  }
  detach(s);
  // A slot is free: waiters are woken at the turn's end, not from inside the caller.
  if (waiters_head_) schedule_flush();
  maybe_close_drained();
}

void Connection::drain() noexcept {
  // A closed connection may still owe the server its last frames (a GOAWAY after a connection
  // error): it closes once they are out, not now.
  if (state_ == State::open) {
    state_ = State::draining;
  } else if (state_ == State::connecting || state_ == State::handshaking || state_ == State::idle) {
    state_ = State::closed;
    connect_timer_.cancel();
    close_socket();
  }
  maybe_close_drained();
  if (waiters_head_) schedule_flush();
}

void Connection::maybe_close_drained() noexcept {
  if (state_ != State::draining || active_ != 0) return;
  state_ = State::closed;
  connect_timer_.cancel();
  close_after_send_ = true;
  if (!send_in_flight_ && out_.empty()) close_socket();
  else schedule_flush();
}

void Connection::fail_all(const StreamEnd& end) noexcept {
  Stream* all = nullptr;
  streams_.for_each([&](std::uint32_t, Stream* s) {
    s->done_next_ = all;
    all = s;
  });
  while (all) {
    Stream* s = all;
    all = s->done_next_;
    end_stream(*s, end);
  }
}

void Connection::connection_error(ErrorCode code) noexcept {
  if (state_ == State::closed) return;
  const bool before_open = state_ == State::connecting || state_ == State::handshaking;
  state_ = State::closed;
  connect_timer_.cancel();
  end_ = {net::Failure::protocol, 0, before_open};
  append_goaway(out_, 0, code);
  close_after_send_ = true;
  fail_all({StreamEndKind::failed, code, net::Failure::protocol, 0});
  schedule_flush();
}

void Connection::lost(net::Failure failure, int sys_error) noexcept {
  const bool before_open = state_ == State::connecting || state_ == State::handshaking;
  const bool was_closed = state_ == State::closed;
  state_ = State::closed;
  connect_timer_.cancel();
  close_socket();
  if (!was_closed) end_ = {failure, sys_error, before_open};
  fail_all({StreamEndKind::failed, ErrorCode::no_error, failure, sys_error});
}

void Connection::close_socket() noexcept {
  // Over TLS, what only the records carried (the handshake of a connection that failed, alerts).
  if (sock_ && sock_->wire_counts()) {
    count_bytes(0, 0);
  }
  sock_.reset();
  send_in_flight_ = false;
  close_after_send_ = false;
  out_.clear();
  sending_.clear();
  flush_hook_.cancel();
  // Still-waiting requests learn that this connection is gone.
  if (waiters_head_ || done_head_) reactor_.at_turn_end(flush_hook_);
}

// ---- telling owners ---------------------------------------------------------------------

void Connection::deliver() noexcept {
  if (delivering_) return;
  delivering_ = true;
  bool alive = true;
  alive_ = &alive;
  for (;;) {
    if (waiters_head_ && (has_free_slot() || !usable())) {
      StreamWait& w = *waiters_head_;
      dequeue(w);
      w.timer_.cancel();
      w.result_ = usable() ? WaitResult::ready : WaitResult::gone;
      std::exchange(w.waiter_, {}).resume();
      if (!alive) return;
      continue;
    }
    if (Stream* s = done_head_) {
      done_head_ = s->done_next_;
      if (!done_head_) done_tail_ = nullptr;
      s->done_next_ = nullptr;
      s->handler_->on_end(s->end_);
      if (!alive) return;
      continue;
    }
    break;
  }
  alive_ = nullptr;
  delivering_ = false;
}

void Connection::enqueue(StreamWait& w) noexcept {
  w.queued_ = true;
  w.prev_ = waiters_tail_;
  w.next_ = nullptr;
  if (waiters_tail_) waiters_tail_->next_ = &w;
  else waiters_head_ = &w;
  waiters_tail_ = &w;
  ++waiting_;
}

void Connection::dequeue(StreamWait& w) noexcept {
  if (!w.queued_) return;
  if (w.prev_) w.prev_->next_ = w.next_;
  else waiters_head_ = w.next_;
  if (w.next_) w.next_->prev_ = w.prev_;
  else waiters_tail_ = w.prev_;
  w.prev_ = w.next_ = nullptr;
  w.queued_ = false;
  --waiting_;
}

Connection::StreamWait::StreamWait(Connection& c, Nanos deadline, std::uint32_t owner) noexcept
    : c_(c), deadline_(deadline), timer_(&StreamWait::on_timer, this) {
  timer_.set_owner(owner);
}

Connection::StreamWait::~StreamWait() { c_.dequeue(*this); }

bool Connection::StreamWait::await_ready() const noexcept {
  // Nobody cuts in line: with others waiting, a free slot is theirs.
  if (c_.can_open() && c_.waiters_head_ == nullptr) return true;
  if (!c_.usable()) {
    const_cast<StreamWait*>(this)->result_ = WaitResult::gone;
    return true;
  }
  return false;
}

void Connection::StreamWait::await_suspend(std::coroutine_handle<> h) noexcept {
  waiter_ = h;
  c_.enqueue(*this);
  // Armed even without a deadline, so that a hard stop finds every waiter through the timers.
  c_.reactor_.timers().arm(timer_, deadline_);
}

void Connection::StreamWait::on_timer(void* self, runtime::FireReason reason) noexcept {
  auto* w = static_cast<StreamWait*>(self);
  w->c_.dequeue(*w);
  w->result_ = reason == runtime::FireReason::interrupted ? WaitResult::interrupted : WaitResult::timed_out;
  std::exchange(w->waiter_, {}).resume();
}

}  // namespace inferload::http2
