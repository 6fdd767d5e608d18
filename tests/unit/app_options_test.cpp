#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "inferload/app/cli.hpp"
#include "inferload/app/open_files.hpp"
#include "inferload/app/options.hpp"
#include "inferload/app/output_file.hpp"
#include "inferload/runtime/duration.hpp"

namespace inferload::app {
namespace {

using runtime::DurationSyntax;
using runtime::kSecond;

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const ExitError& e) {
    EXPECT_EQ(e.code(), kExitOtherError);
    return e.what();
  }
  return "";
}

TEST(Counts, AreNeverWrappedIntoTheirType) {
  // 2^32 + 1 used to become 1 once cast to int, 2^31 a negative count.
  EXPECT_EQ(error_of([] { parse_count("--vus", "4294967297", 1, kMaxVus); }),
            "--vus: 4294967297 is out of range (allowed: 1 to 1000000)");
  EXPECT_EQ(error_of([] { parse_count("K6_VUS", "2147483648", 1, kMaxVus); }),
            "K6_VUS: 2147483648 is out of range (allowed: 1 to 1000000)");
  EXPECT_EQ(error_of([] { parse_count("--workers", "4294967297", 1, kMaxWorkers); }),
            "--workers: 4294967297 is out of range (allowed: 1 to 1024)");
  // Beyond 64 bits: from_chars overflows, which is still "out of range", not "not a number".
  EXPECT_EQ(error_of([] { parse_count("--iterations", "99999999999999999999999", 1, kMaxIterations); }),
            "--iterations: 99999999999999999999999 is out of range (allowed: 1 to 9223372036854775807)");
  EXPECT_NE(error_of([] { parse_count("--iterations", "9223372036854775808", 1, kMaxIterations); }).find("out of range"),
            std::string::npos);
  EXPECT_EQ(parse_count("--iterations", "9223372036854775807", 1, kMaxIterations), kMaxIterations);
  EXPECT_EQ(parse_count("--vus", "1000000", 1, kMaxVus), kMaxVus);
  EXPECT_EQ(parse_count("--vus", "007", 1, kMaxVus), 7u);
  EXPECT_NE(error_of([] { parse_count("--vus", "0", 1, kMaxVus); }).find("out of range"), std::string::npos);
}

TEST(Counts, TextThatIsNoNumberNamesTheSourceAndTheRange) {
  for (const char* bad : {"", "abc", "-1", "+5", "5x", " 5", "5 ", "1e3", "0x10"}) {
    const std::string msg = error_of([&] { parse_count("K6_ITERATIONS", bad, 1, 10); });
    EXPECT_EQ(msg, std::string("K6_ITERATIONS: \"") + bad + "\" is not a whole number (allowed: 1 to 10)") << bad;
  }
}

TEST(Durations, StayFarFromInt64Overflow) {
  EXPECT_EQ(parse_duration_option("--duration", "1000000h", DurationSyntax::cli), kMaxDuration);
  EXPECT_EQ(parse_duration_option("K6_DURATION", "1d", DurationSyntax::extended), 86400 * kSecond);
  EXPECT_EQ(error_of([] { parse_duration_option("--duration", "1000001h", DurationSyntax::cli); }),
            "--duration: invalid duration \"1000001h\": too large (at most 1000000h0m0s)");
  for (const char* huge : {"99999999999h", "2562048h", "9223372036854775808ns", "99999999999999999999999999s",
                           "2562047h47m16.854775808s"}) {
    EXPECT_NE(error_of([&] { parse_duration_option("--timeout", huge, DurationSyntax::cli); }).find("--timeout: "),
              std::string::npos)
        << huge;
  }
  EXPECT_NE(error_of([] { parse_duration_option("K6_DURATION", "99999999999999999", DurationSyntax::extended); })
                .find("too large"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_duration_option("--duration", "10", DurationSyntax::cli); }).find("--duration: "),
            std::string::npos);
}

TEST(Durations, TheParserHoldsEveryInt64AndNothingMore) {
  EXPECT_EQ(runtime::parse_duration("9223372036854775807ns"), runtime::kNever);
  EXPECT_EQ(runtime::parse_duration("2562047h47m16.854775807s"), runtime::kNever);
  EXPECT_THROW(runtime::parse_duration("9223372036854775808ns"), std::invalid_argument);
  EXPECT_THROW(runtime::parse_duration("2562047h47m16.854775808s"), std::invalid_argument);
  EXPECT_THROW(runtime::parse_duration("9223372036854775808", DurationSyntax::extended), std::invalid_argument);
  EXPECT_EQ(runtime::parse_duration("2s", DurationSyntax::cli, 2 * kSecond), 2 * kSecond);
  EXPECT_THROW(runtime::parse_duration("2001ms", DurationSyntax::cli, 2 * kSecond), std::invalid_argument);
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/inferload-output-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static std::string read(const std::filesystem::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  std::filesystem::path dir_;
};

using OutputFiles = TempDir;

TEST_F(OutputFiles, DirectoriesAreCreatedWhenOpenedAndTheTextWrittenWhole) {
  const auto path = dir_ / "results" / "deep" / "base.json";
  OutputFile f("--summary-export", path.string());
  EXPECT_TRUE(std::filesystem::is_directory(path.parent_path()));
  f.write("{\"a\": 1}");
  EXPECT_EQ(read(path), "{\"a\": 1}");
}

TEST_F(OutputFiles, AnExistingFileIsKeptUntilWrittenThenReplaced) {
  const auto path = dir_ / "old.json";
  std::ofstream(path) << "a longer previous content";
  {
    OutputFile f("--summary-export", path.string());
    EXPECT_EQ(read(path), "a longer previous content");
    f.write("new");
  }
  EXPECT_EQ(read(path), "new");
  { OutputFile unused("--summary-export", path.string()); }
  EXPECT_EQ(read(path), "new") << "a run that failed must not empty an earlier result";
}

TEST_F(OutputFiles, AFileCreatedForARunThatFailedIsRemoved) {
  const auto path = dir_ / "never.json";
  { OutputFile f("--summary-export", path.string()); }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(OutputFiles, BadPathsAreOneLineErrorsNamingTheFlagAndThePath) {
  std::ofstream(dir_ / "plain") << "x";
  const std::string under_a_file = (dir_ / "plain" / "x.json").string();
  const std::string msg = error_of([&] { OutputFile f("--summary-export", under_a_file); });
  EXPECT_EQ(msg.rfind("--summary-export \"" + under_a_file + "\": cannot create the directory", 0), 0u) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);

  const std::string a_directory = dir_.string();
  EXPECT_EQ(error_of([&] { OutputFile f("--summary-export", a_directory); }),
            "--summary-export \"" + a_directory + "\": cannot open for writing: Is a directory");
  EXPECT_NE(error_of([] { OutputFile f("--summary-export", ""); }).find("--summary-export"), std::string::npos);

  if (::geteuid() != 0) {  // root writes anywhere
    const auto locked = dir_ / "locked";
    std::filesystem::create_directory(locked);
    ::chmod(locked.c_str(), 0500);
    EXPECT_NE(error_of([&] { OutputFile f("--summary-export", (locked / "x.json").string()); }).find("Permission denied"),
              std::string::npos);
  }
}

TEST_F(OutputFiles, AFullDeviceIsAWriteError) {
  OutputFile f("--summary-export", "/dev/full");
  EXPECT_EQ(error_of([&] { f.write("{}"); }), "--summary-export \"/dev/full\": cannot write: No space left on device");
}

TEST(OpenFiles, TheWarningNamesTheLimitTheNeedAndTheFix) {
  EXPECT_EQ(descriptors_needed(1200, 1, 0), 1232u);
  EXPECT_EQ(descriptors_needed(1200, 1, 2), 1240u);
  EXPECT_EQ(open_file_warning(1200, 1232, 1000),
            "warning: 1200 VUs need about 1232 open files but the open-file limit (ulimit -n) is 1000; "
            "connections beyond it will fail");
  EXPECT_EQ(open_file_warning(1200, 1232, 1232), "");
  EXPECT_NE(open_file_warning(1, 2000, 1000).find("1 VU needs"), std::string::npos);
}

}  // namespace
}  // namespace inferload::app
