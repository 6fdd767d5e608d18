#pragma once
// A worker's end of a Kafka client. The worker issues requests from its VUs' coroutines; the
// client's threads (librdkafka's delivery reports, the consumer) push what concerns them into
// the channel's lock-free completion queue and ring its doorbell, and the worker, at its next
// loop turn, matches each record to the request waiting for it and resumes that VU.
//
// A request's id says where it waits: bits 0-19 its slot in the channel, 20-31 the channel, 32-63
// the slot's generation, so a reply to a request that already timed out finds a newer
// generation (or an empty slot), is dropped and counted. Slots, the key buffer and the queue
// are allocated once: issuing and completing a request allocates nothing of ours (librdkafka
// allocates its record, its copy of the key, value and headers, and the consumed message).
#include <librdkafka/rdkafka.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "inferload/kafka/completion_queue.hpp"
#include "inferload/kafka/framing.hpp"
#include "inferload/kafka/request.hpp"
#include "inferload/kafka/topics.hpp"
#include "inferload/runtime/reactor.hpp"

namespace inferload::kafka {

inline constexpr unsigned kSlotBits = 20;
inline constexpr unsigned kChannelBits = 12;
inline constexpr std::size_t kMaxInFlight = std::size_t{1} << kSlotBits;
inline constexpr std::size_t kMaxChannels = std::size_t{1} << kChannelBits;

inline std::uint32_t channel_of(std::uint64_t id) noexcept {
  return static_cast<std::uint32_t>(id >> kSlotBits) & (kMaxChannels - 1);
}

// What a client thread hands a worker.
struct Completion {
  enum class Kind : std::uint8_t { delivered, delivery_failed, reply, error_reply };
  Kind kind = Kind::delivered;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::uint64_t id = 0;
  Nanos at = 0;
  rd_kafka_message_t* message = nullptr;  // replies: owned by the queue, then by the worker
};

struct ChannelSettings {
  rd_kafka_t* producer = nullptr;
  std::uint64_t nonce = 0;
  std::uint32_t index = 0;
  std::size_t max_in_flight = 4096;
  bool framed = false;
  std::uint32_t schema_id = 0;
};

class Channel {
 public:
  explicit Channel(const ChannelSettings& s);
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel();  // frees the records nobody took

  // On the worker's thread, before its first request: completions wake this reactor.
  void attach(runtime::Reactor& reactor) noexcept;
  // On the worker's thread, once no request is in flight and before the reactor goes: the
  // client's threads stop waking it (what still arrives is dropped).
  void detach() noexcept;

  // Produces the record and suspends until its outcome. `owner` is the VU whose hard stop ends
  // the wait (runtime::Timer::set_owner).
  RequestAwaiter request(const Request& rq, Nanos deadline, std::uint32_t owner = 0) noexcept {
    return RequestAwaiter(*this, rq, deadline, owner);
  }

  std::size_t in_flight() const noexcept { return max_in_flight_ - free_.size(); }
  // Replies whose request had already ended (timed out, interrupted), dropped.
  std::uint64_t late_replies() const noexcept { return late_replies_; }

  // The client's threads: queue a completion (waits while the queue is full and the worker
  // attached); false when it was not queued, and then the caller still owns its message.
  bool deliver(const Completion& c) noexcept;
  // The client's threads, after a batch of deliver(): wakes the worker.
  void notify() noexcept;

 private:
  friend class RequestAwaiter;
  struct Slot {
    std::uint32_t generation = 0;
    RequestAwaiter* waiter = nullptr;
  };

  bool issue(RequestAwaiter& w) noexcept;
  static void on_bell(void* self) noexcept;
  void drain() noexcept;
  void take_reply(RequestAwaiter& w, rd_kafka_message_t* m, Nanos at, bool is_error) noexcept;
  // Ends the request: frees its slot, resumes its coroutine, then frees `message` (whose bytes
  // the outcome shows until the coroutine suspends again).
  void finish(RequestAwaiter& w, Fate fate, rd_kafka_message_t* message) noexcept;
  void free_slot(std::uint32_t slot) noexcept;

  rd_kafka_t* producer_;
  std::uint64_t nonce_;
  std::uint32_t index_;
  std::size_t max_in_flight_;
  bool framed_;
  std::array<char, kFrameBytes> frame_;

  CompletionQueue<Completion> queue_;
  runtime::Doorbell bell_;
  std::atomic<runtime::Reactor*> reactor_{nullptr};
  std::atomic<std::uint32_t> ringers_{0};  // client threads between reading reactor_ and ringing

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  KeyWriter key_;
  std::string framed_value_;
  char request_id_[kRequestIdChars];
  std::uint64_t late_replies_ = 0;
};

}  // namespace inferload::kafka
