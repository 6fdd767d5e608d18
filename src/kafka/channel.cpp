#include "inferload/kafka/channel.hpp"

#include <thread>

namespace inferload::kafka {

using runtime::FireReason;

const char* to_string(Fate f) noexcept {
  switch (f) {
    case Fate::reply: return "reply";
    case Fate::error_topic: return "error_topic";
    case Fate::timed_out: return "timed_out";
    case Fate::produce_failed: return "produce_failed";
    case Fate::interrupted: return "interrupted";
  }
  return "?";
}

RequestAwaiter::RequestAwaiter(Channel& ch, const Request& rq, Nanos deadline, std::uint32_t owner) noexcept
    : channel_(ch), request_(rq), deadline_(deadline), timer_(&RequestAwaiter::fire, this) {
  timer_.set_owner(owner);
}

RequestAwaiter::~RequestAwaiter() {
  if (channel_.slots_[slot_].waiter != this) return;
  channel_.free_slot(slot_);
  if (early_reply_) rd_kafka_message_destroy(early_reply_);
}

bool RequestAwaiter::await_suspend(std::coroutine_handle<> h) noexcept {
  waiter_ = h;
  return channel_.issue(*this);
}

void RequestAwaiter::fire(void* self, FireReason reason) noexcept {
  auto& w = *static_cast<RequestAwaiter*>(self);
  if (rd_kafka_message_t* m = w.early_reply_) {
    // The reply is here; only its delivery report was missing.
    w.early_reply_ = nullptr;
    w.channel_.take_reply(w, m, w.early_reply_at_, w.early_reply_is_error_);
    return;
  }
  w.channel_.finish(w, reason == FireReason::expired ? Fate::timed_out : Fate::interrupted, nullptr);
}

Channel::Channel(const ChannelSettings& s)
    : producer_(s.producer),
      nonce_(s.nonce),
      index_(s.index),
      max_in_flight_(s.max_in_flight),
      framed_(s.framed),
      frame_(frame_prefix(s.schema_id)),
      // Every request yields at most a delivery report and a reply; twice the requests in flight
      // hold them all, and a full queue only makes the client's thread wait for the worker.
      queue_(2 * s.max_in_flight),
      bell_(&Channel::on_bell, this),
      slots_(s.max_in_flight) {
  free_.reserve(max_in_flight_);
  for (std::size_t i = max_in_flight_; i-- > 0;) free_.push_back(static_cast<std::uint32_t>(i));
}

Channel::~Channel() {
  Completion c;
  while (queue_.try_pop(c)) {
    if (c.message) rd_kafka_message_destroy(c.message);
  }
}

void Channel::attach(runtime::Reactor& reactor) noexcept { reactor_.store(&reactor, std::memory_order_seq_cst); }

void Channel::detach() noexcept {
  runtime::Reactor* r = reactor_.exchange(nullptr, std::memory_order_seq_cst);
  if (!r) return;
  // Paired with notify(): a client thread either saw the reactor gone or is counted here.
  while (ringers_.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
  r->run_doorbells();  // takes this bell off the reactor's list if it was rung
  drain();
}

bool Channel::deliver(const Completion& c) noexcept {
  while (!queue_.try_push(c)) {
    if (!reactor_.load(std::memory_order_acquire)) return false;  // nobody will empty it
    notify();
    std::this_thread::yield();
  }
  return true;
}

void Channel::notify() noexcept {
  ringers_.fetch_add(1, std::memory_order_seq_cst);
  if (runtime::Reactor* r = reactor_.load(std::memory_order_seq_cst)) bell_.ring(*r);
  ringers_.fetch_sub(1, std::memory_order_seq_cst);
}

void Channel::on_bell(void* self) noexcept { static_cast<Channel*>(self)->drain(); }

bool Channel::issue(RequestAwaiter& w) noexcept {
  Outcome& out = w.out_;
  if (free_.empty()) {
    out.fate = Fate::produce_failed;
    out.error_name = "in-flight limit";
    return false;
  }
  const std::uint32_t slot = free_.back();
  free_.pop_back();
  const std::uint64_t id = std::uint64_t{slots_[slot].generation} << 32 |
                           std::uint64_t{index_} << kSlotBits | slot;
  format_request_id(nonce_, id, request_id_);
  const std::string_view rid(request_id_, kRequestIdChars);
  const Request& rq = w.request_;
  const std::string_view key = key_.write(rq.partition, rq.name, rid);
  std::string_view value = rq.value;
  if (framed_) {
    framed_value_.assign(frame_.data(), frame_.size());
    framed_value_.append(value);
    value = framed_value_;
  }
  out.started = runtime::now_ns();
  const rd_kafka_resp_err_t err = rd_kafka_producev(
      producer_, RD_KAFKA_V_RKT(rq.topic->handle), RD_KAFKA_V_PARTITION(rq.partition),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key.data(), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
      RD_KAFKA_V_HEADER(kRequestIdHeader.data(), rid.data(), static_cast<ssize_t>(rid.size())),
      RD_KAFKA_V_HEADER(kPipelineHeader.data(), rq.name.data(), static_cast<ssize_t>(rq.name.size())),
      RD_KAFKA_V_HEADER(kInferTypeHeader.data(), kInferTypeProtoRequest.data(),
                        static_cast<ssize_t>(kInferTypeProtoRequest.size())),
      RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(id))), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    free_slot(slot);
    out.fate = Fate::produce_failed;
    out.error_name = rd_kafka_err2name(err);
    return false;
  }
  w.slot_ = slot;
  slots_[slot].waiter = &w;
  runtime::Reactor* r = reactor_.load(std::memory_order_relaxed);
  r->timers().arm(w.timer_, w.deadline_);
  return true;
}

void Channel::free_slot(std::uint32_t slot) noexcept {
  slots_[slot].waiter = nullptr;
  ++slots_[slot].generation;
  free_.push_back(slot);
}

void Channel::drain() noexcept {
  Completion c;
  while (queue_.try_pop(c)) {
    const auto slot = static_cast<std::uint32_t>(c.id & (kMaxInFlight - 1));
    const auto generation = static_cast<std::uint32_t>(c.id >> 32);
    RequestAwaiter* w = nullptr;
    if (slot < slots_.size() && slots_[slot].generation == generation) w = slots_[slot].waiter;
    const bool is_reply = c.kind == Completion::Kind::reply || c.kind == Completion::Kind::error_reply;
    if (!w || (is_reply && w->early_reply_)) {
      // Its request has ended (or this is a second reply to the same key).
      if (is_reply) ++late_replies_;
      if (c.message) rd_kafka_message_destroy(c.message);
      continue;
    }
    switch (c.kind) {
      case Completion::Kind::delivered:
        w->out_.delivered_at = c.at;
        if (rd_kafka_message_t* m = w->early_reply_) {
          w->early_reply_ = nullptr;
          take_reply(*w, m, w->early_reply_at_, w->early_reply_is_error_);
        }
        break;
      case Completion::Kind::delivery_failed:
        if (rd_kafka_message_t* m = w->early_reply_) {
          w->early_reply_ = nullptr;
          take_reply(*w, m, w->early_reply_at_, w->early_reply_is_error_);
        } else {
          w->out_.error_name = rd_kafka_err2name(c.err);
          finish(*w, Fate::produce_failed, nullptr);
        }
        break;
      case Completion::Kind::reply:
      case Completion::Kind::error_reply:
        if (w->out_.delivered_at == 0) {
          w->early_reply_ = c.message;
          w->early_reply_at_ = c.at;
          w->early_reply_is_error_ = c.kind == Completion::Kind::error_reply;
        } else {
          take_reply(*w, c.message, c.at, c.kind == Completion::Kind::error_reply);
        }
        break;
    }
  }
}

void Channel::take_reply(RequestAwaiter& w, rd_kafka_message_t* m, Nanos at, bool is_error) noexcept {
  Outcome& out = w.out_;
  out.replied_at = at;
  out.value = std::string_view(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
  if (is_error) {
    rd_kafka_headers_t* headers = nullptr;
    const void* v = nullptr;
    std::size_t n = 0;
    if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_header_get_last(headers, kPipelineErrorsHeader.data(), &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR && v) {
      out.error_source = std::string_view(static_cast<const char*>(v), n);
    }
  } else if (framed_) {
    if (const auto u = unframe(out.value)) out.value = u->payload;
  }
  finish(w, is_error ? Fate::error_topic : Fate::reply, m);
}

void Channel::finish(RequestAwaiter& w, Fate fate, rd_kafka_message_t* message) noexcept {
  w.out_.fate = fate;
  w.timer_.cancel();
  free_slot(w.slot_);
  const std::coroutine_handle<> h = w.waiter_;
  h.resume();  // may destroy `w`
  if (message) rd_kafka_message_destroy(message);
}

}  // namespace inferload::kafka
