// --http-debug's records: logrus's text form with the message quoted, CRLF as LF, bodies cut at
// their bound, and nothing more than the record bound but one line saying so.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "inferload/net/debug_log.hpp"

using inferload::net::DebugLog;

namespace {

std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

}  // namespace

TEST(DebugLog, ARecordIsOneQuotedLineWithCrLfAsLf) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  DebugLog log(false, 10, f);
  const auto id = log.next_id();
  log.record("Request:", "GET /x HTTP/1.1\r\nHost: \"m\"\r\n\r\n", id, 3, "HTTP/1.1");
  const std::string out = contents(f);
  std::fclose(f);
  EXPECT_NE(out.find(R"(level=info msg="Request:\nGET /x HTTP/1.1\nHost: \"m\"\n\n" proto=HTTP/1.1 request_id=1 source=http-debug vu=3)"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.rfind("time=\"", 0), 0u);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
}

TEST(DebugLog, ABodyIsCutAtItsBound) {
  std::FILE* f = std::tmpfile();
  DebugLog log(true, 10, f);
  log.record("Response:", std::string(DebugLog::kMaxBody + 100, 'x'), log.next_id(), 1, "HTTP/1.1");
  const std::string out = contents(f);
  std::fclose(f);
  EXPECT_EQ(std::count(out.begin(), out.end(), 'x'), static_cast<long>(DebugLog::kMaxBody));
  EXPECT_NE(out.find("[100 more bytes not logged]"), std::string::npos) << out.substr(out.size() - 200);
}

TEST(DebugLog, RecordsBeyondTheBoundAreOneWarning) {
  std::FILE* f = std::tmpfile();
  DebugLog log(false, 3, f);
  for (int i = 0; i < 10; ++i) log.record("Request:", "x", log.next_id(), 1, "HTTP/1.1");
  const std::string out = contents(f);
  std::fclose(f);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 4) << out;
  EXPECT_NE(out.find("level=warning msg=\"--http-debug: 3 records logged; the rest are not\""), std::string::npos) << out;
}
