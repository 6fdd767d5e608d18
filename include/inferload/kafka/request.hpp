#pragma once
// One Kafka request as a VU sees it: produce a record to an inputs topic, then co_await the
// reply that SCv2's gateway writes, with the same key, to the outputs or the error topic.
#include <librdkafka/rdkafka.h>

#include <coroutine>
#include <cstdint>
#include <string>
#include <string_view>

#include "inferload/runtime/clock.hpp"
#include "inferload/runtime/timer.hpp"

namespace inferload::kafka {

using runtime::Nanos;

// A topic to produce to, opened once (Client::topic) and shared by every worker.
struct Topic {
  std::string name;
  rd_kafka_topic_t* handle = nullptr;
  int partitions = 1;  // as the broker's metadata had them when the client was prepared
};

struct Request {
  const Topic* topic = nullptr;
  std::int32_t partition = 0;
  std::string_view name;   // the model or pipeline: the key's middle and the `pipeline` header
  std::string_view value;  // the serialized ModelInferRequest (copied; framed when configured)
};

// How a request ended; each request ends exactly one way.
enum class Fate : std::uint8_t {
  reply,           // a record with the request's key on a reply topic
  error_topic,     // a record with the request's key reporting a failure (seldon-pipeline-errors)
  timed_out,       // the deadline passed first
  produce_failed,  // librdkafka refused the record or reported its delivery as failed
  interrupted,     // a hard stop (of the reactor, or of the VU owning the wait)
};
const char* to_string(Fate f) noexcept;

struct Outcome {
  Fate fate = Fate::interrupted;
  Nanos started = 0;       // the record was handed to librdkafka
  Nanos delivered_at = 0;  // its delivery report arrived (0: none before the outcome)
  Nanos replied_at = 0;    // the reply was read by the consumer (0: no reply)
  // reply: the reply's value, schema framing stripped; error_topic: the record's value, the
  // reason text. Valid until the coroutine next suspends.
  std::string_view value;
  std::string_view error_source;  // error_topic: the seldon-pipeline-errors header's value
  const char* error_name = "";    // produce_failed: librdkafka's name of the error

  // kafka_produce_duration and kafka_req_duration; -1 when the event did not happen.
  Nanos produce_duration() const noexcept { return delivered_at ? delivered_at - started : -1; }
  Nanos request_duration() const noexcept { return replied_at ? replied_at - started : -1; }
};

class Channel;

// co_await channel.request(...): suspends until the request's outcome. Lives in the awaiting
// coroutine's frame; the channel refers to it by a slot while the request is in flight.
class RequestAwaiter {
 public:
  RequestAwaiter(const RequestAwaiter&) = delete;
  RequestAwaiter& operator=(const RequestAwaiter&) = delete;
  // A coroutine destroyed while its request is in flight gives the slot up; what still arrives
  // for it counts as late.
  ~RequestAwaiter();

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) noexcept;
  Outcome await_resume() const noexcept { return out_; }

 private:
  friend class Channel;
  RequestAwaiter(Channel& ch, const Request& rq, Nanos deadline, std::uint32_t owner) noexcept;
  static void fire(void* self, runtime::FireReason reason) noexcept;

  Channel& channel_;
  Request request_;
  Nanos deadline_;
  runtime::Timer timer_;
  std::coroutine_handle<> waiter_;
  Outcome out_;
  std::uint32_t slot_ = 0;
  // A reply that overtook its delivery report: kept until the report comes (or the deadline),
  // so that both durations are known when the request ends.
  rd_kafka_message_t* early_reply_ = nullptr;
  Nanos early_reply_at_ = 0;
  bool early_reply_is_error_ = false;
};

}  // namespace inferload::kafka
