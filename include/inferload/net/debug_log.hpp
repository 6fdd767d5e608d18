#pragma once
// --http-debug[=full]: every request and response written to stderr as k6 logs them (logrus's
// text form, as a Job's log shows it: time="..." level=info msg="Request:\n..." ...
// source=http-debug), headers only, or with bodies. Bounded, unlike k6's: a body is cut at
// kMaxBody bytes, and after max_records records one line says that the rest are not logged, so a
// long test cannot fill a disk. Thread-safe; it costs nothing when off, since clients hold a
// null pointer then.
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace inferload::net {

class DebugLog {
 public:
  static constexpr std::size_t kMaxBody = 16 * 1024;

  DebugLog(bool full, std::uint64_t max_records, std::FILE* out = stderr) noexcept
      : full_(full), max_records_(max_records), out_(out) {}

  bool full() const noexcept { return full_; }
  // A number shared by a request and its response, as k6's request_id is.
  std::uint64_t next_id() noexcept;
  // One record: `title` ("Request:", "Response:", "In Header:", ...), then `text` with CRLF as
  // LF, cut after kMaxBody bytes, then the fields k6 adds.
  void record(std::string_view title, std::string_view text, std::uint64_t id, std::uint32_t vu,
              std::string_view protocol) noexcept;

 private:
  bool full_;
  std::uint64_t max_records_;
  std::FILE* out_;
  std::mutex mu_;
  std::uint64_t records_ = 0;
  std::uint64_t ids_ = 0;
};

}  // namespace inferload::net
