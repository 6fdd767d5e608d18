#include "inferload/net/tcp_stream.hpp"

#include <cerrno>

namespace inferload::net {

TcpStream::TcpStream(runtime::Reactor& reactor) noexcept
    : reactor_(reactor), sock_(nullptr, runtime::SocketReleaser{&reactor}), timer_(&TcpStream::on_timer, this) {}

TcpStream::~TcpStream() { close(); }

void TcpStream::close() noexcept {
  sock_.reset();
  timer_.cancel();
  send_in_flight_ = false;
  pending_.clear();
  pending_handed_out_ = false;
  end_ = RecvStatus::data;
  end_error_ = 0;
  send_error_ = 0;
}

TcpStream::Op TcpStream::connect(const ResolvedEndpoint& ep, Nanos deadline) noexcept {
  close();
  int err = 0;
  sock_ = opener_ ? opener_->open(reactor_, ep.family, *this, err) : reactor_.open_tcp(ep.family, *this, err);
  if (!sock_) return Op(*this, Op::Kind::none, deadline, err);
  const runtime::IoStatus st = sock_->connect(reinterpret_cast<const sockaddr*>(&ep.addr), ep.addr_len);
  if (!st.pending) {
    if (st.error == 0) sock_->start_receive();
    return Op(*this, Op::Kind::none, deadline, st.error);
  }
  return Op(*this, Op::Kind::connect, deadline, 0);
}

TcpStream::Op TcpStream::send(const ConstBuffer* buffers, std::size_t count, Nanos deadline) noexcept {
  const int err = start_send(buffers, count);
  if (err != 0 || !send_in_flight_) return Op(*this, Op::Kind::none, deadline, err);
  return Op(*this, Op::Kind::send, deadline, 0);
}

int TcpStream::start_send(const ConstBuffer* buffers, std::size_t count) noexcept {
  if (!is_open()) return ENOTCONN;
  send_size_ = 0;
  for (std::size_t i = 0; i < count; ++i) send_size_ += buffers[i].size;
  send_done_at_ = 0;
  send_error_ = 0;
  const runtime::IoStatus st = sock_->send(buffers, count);
  if (st.pending) {
    send_in_flight_ = true;
    return 0;
  }
  if (st.error == 0) {
    bytes_sent_ += send_size_;
    send_done_at_ = runtime::now_ns();
  }
  return st.error;
}

bool TcpStream::Op::await_suspend(std::coroutine_handle<> h) noexcept {
  s_.wait(kind_ == Kind::connect ? Waiting::connect : Waiting::send, h, deadline_);
  return true;
}

int TcpStream::Op::await_resume() noexcept {
  return kind_ == Kind::none ? result_ : s_.op_result_;
}

TcpStream::Recv TcpStream::recv(Nanos deadline) noexcept {
  if (pending_handed_out_) {
    pending_.clear();
    pending_handed_out_ = false;
  }
  return Recv(*this, deadline);
}

bool TcpStream::take_ready_recv(RecvResult& out) noexcept {
  if (!pending_.empty()) {
    out = {RecvStatus::data, pending_.data(), pending_.size(), 0};
    pending_handed_out_ = true;
    return true;
  }
  if (send_error_ != 0) {
    out = {RecvStatus::error, nullptr, 0, send_error_};
    return true;
  }
  if (end_ != RecvStatus::data) {
    out = {end_, nullptr, 0, end_error_};
    return true;
  }
  if (!is_open()) {
    out = {RecvStatus::error, nullptr, 0, ENOTCONN};
    return true;
  }
  return false;
}

bool TcpStream::Recv::await_ready() noexcept { return s_.take_ready_recv(s_.recv_result_); }

void TcpStream::Recv::await_suspend(std::coroutine_handle<> h) noexcept { s_.wait(Waiting::recv, h, deadline_); }

RecvResult TcpStream::Recv::await_resume() noexcept { return s_.recv_result_; }

void TcpStream::wait(Waiting what, std::coroutine_handle<> h, Nanos deadline) noexcept {
  waiting_ = what;
  waiter_ = h;
  // Armed even without a deadline, so that a hard stop finds every waiter through the timers.
  reactor_.timers().arm(timer_, deadline);
}

// Resuming is the last thing each of these does: the coroutine may destroy this stream.
void TcpStream::wake(int op_result) noexcept {
  timer_.cancel();
  op_result_ = op_result;
  waiting_ = Waiting::none;
  std::exchange(waiter_, {}).resume();
}

void TcpStream::wake_recv(RecvResult r) noexcept {
  timer_.cancel();
  recv_result_ = r;
  waiting_ = Waiting::none;
  std::exchange(waiter_, {}).resume();
}

void TcpStream::on_connected(int error) noexcept {
  if (error == 0) sock_->start_receive();
  if (waiting_ == Waiting::connect) wake(error);
}

void TcpStream::on_sent(int error) noexcept {
  send_in_flight_ = false;
  if (error == 0) {
    bytes_sent_ += send_size_;
    send_done_at_ = reactor_.now();
  } else {
    send_error_ = error;
  }
  if (waiting_ == Waiting::send) {
    wake(error);
  } else if (waiting_ == Waiting::recv && error != 0) {
    wake_recv({RecvStatus::error, nullptr, 0, error});
  }
}

void TcpStream::on_received(const char* data, std::size_t len) noexcept {
  bytes_received_ += len;
  if (waiting_ == Waiting::recv && pending_.empty()) {
    wake_recv({RecvStatus::data, data, len, 0});
    return;
  }
  pending_.append(data, len);
}

void TcpStream::on_receive_end(int error) noexcept {
  end_ = error == 0 ? RecvStatus::eof : RecvStatus::error;
  end_error_ = error;
  if (waiting_ == Waiting::recv) wake_recv({end_, nullptr, 0, error});
}

void TcpStream::on_timer(void* self, runtime::FireReason reason) noexcept {
  auto* s = static_cast<TcpStream*>(self);
  const bool interrupted = reason == runtime::FireReason::interrupted;
  const Waiting was = s->waiting_;
  if (was == Waiting::none) return;
  // The socket is closed first so that no late completion can reach a waiter that gave up.
  s->sock_.reset();
  s->send_in_flight_ = false;
  if (was == Waiting::recv) {
    s->recv_result_ = {interrupted ? RecvStatus::interrupted : RecvStatus::timed_out, nullptr, 0,
                       interrupted ? ECANCELED : ETIMEDOUT};
  } else {
    s->op_result_ = interrupted ? ECANCELED : ETIMEDOUT;
  }
  s->waiting_ = Waiting::none;
  std::exchange(s->waiter_, {}).resume();
}

}  // namespace inferload::net
