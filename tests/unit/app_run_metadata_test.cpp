// --metadata: k6wrapper.sh's metadata.txt line for line, secrets redacted, and a file that gets
// its end lines on every way out of a run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "inferload/app/cli.hpp"
#include "inferload/app/run_metadata.hpp"

namespace inferload::app {
namespace {

// The test's own time zone, set for one test and put back.
class TimeZone {
 public:
  explicit TimeZone(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~TimeZone() {
    if (old_) ::setenv("TZ", old_->c_str(), 1);
    else ::unsetenv("TZ");
    ::tzset();
  }

 private:
  std::optional<std::string> old_;
};

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::filesystem::path temp_dir() {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("inferload-metadata-" + std::to_string(::getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  return dir;
}

RunMetadata sample() {
  RunMetadata m;
  m.args = {"run", "-u", "5", "--metadata", "results/metadata.txt", "infer_constant_vu"};
  m.environment = {"HOME=/root", "MY_API_TOKEN=abc", "MODEL_TYPE=iris", "db_password=hunter2"};
  m.test_metadata = "envoy-run-1";
  m.pod = "envoy-inferload-x7k2p";
  m.namespace_name = "seldon-mesh";
  m.version = "1.2.3";
  m.io_backend = "io_uring (SINGLE_ISSUER|DEFER_TASKRUN, multishot recv)";
  return m;
}

TEST(MetadataDate, IsPlainDateInTheCLocaleAndLocalTimeZone) {
  {
    TimeZone utc("UTC");
    EXPECT_EQ(metadata_date(1796609661), "Mon Dec  7 02:14:21 UTC 2026");  // the day padded with a space
  }
  {
    TimeZone berlin("Europe/Berlin");
    EXPECT_EQ(metadata_date(1773756309), "Tue Mar 17 15:05:09 CET 2026");
  }
}

TEST(MetadataEnvs, SecretsAreRedactedByNameInAnyCase) {
  for (const char* name : {"MY_API_TOKEN", "token", "AWS_SECRET_ACCESS_KEY", "client_secret", "DB_PASSWORD",
                           "PasswordFile", "GS_KEY", "keyring", "GOOGLE_APPLICATION_CREDENTIALS", "Credentials"}) {
    EXPECT_TRUE(is_secret_variable(name)) << name;
  }
  for (const char* name : {"HOME", "MODEL_TYPE", "TEST_METADATA", "K6_VUS", "CRED", "PASS", "TOKE"}) {
    EXPECT_FALSE(is_secret_variable(name)) << name;
  }
  EXPECT_EQ(metadata_envs({"HOME=/root", "MY_API_TOKEN=abc", "MODEL_TYPE=iris", "db_password=a=b", "EMPTY_KEY=",
                           "PATH=/bin:/usr/bin"}),
            "HOME=/root MY_API_TOKEN=<redacted> MODEL_TYPE=iris db_password=<redacted> EMPTY_KEY=<redacted> "
            "PATH=/bin:/usr/bin");
  // One line, whatever a value holds.
  EXPECT_EQ(metadata_envs({"A=x\ny", "B=z\r\n"}), "A=x y B=z  ");
}

TEST(MetadataLines, AreTheWrappersThenOurs) {
  TimeZone utc("UTC");
  EXPECT_EQ(metadata_start(1796609661), "start:Mon Dec  7 02:14:21 UTC 2026\n");
  EXPECT_EQ(metadata_end(1796609661 + 3600, sample()),
            "end:Mon Dec  7 03:14:21 UTC 2026\n"
            "args:run -u 5 --metadata results/metadata.txt infer_constant_vu\n"
            "envs:HOME=/root MY_API_TOKEN=<redacted> MODEL_TYPE=iris db_password=<redacted>\n"
            "metadata:envoy-run-1\n"
            "pod:envoy-inferload-x7k2p\n"
            "namespace:seldon-mesh\n"
            "inferload:1.2.3\n"
            "io_backend:io_uring (SINGLE_ISSUER|DEFER_TASKRUN, multishot recv)\n");
  RunMetadata m = sample();
  m.args = {"run", "--threshold", "http_req_duration: p(95)<1\nx"};
  m.test_metadata = "";
  m.pod = "";
  m.namespace_name = "";
  const std::string end = metadata_end(0, m);
  EXPECT_NE(end.find("\nargs:run --threshold http_req_duration: p(95)<1 x\n"), std::string::npos) << end;
  // Outside Kubernetes the lines are there, empty, so that every file has the same lines.
  EXPECT_NE(end.find("\nmetadata:\npod:\nnamespace:\n"), std::string::npos) << end;
}

TEST(MetadataFile, StartAtOnceEndOnFinishInItsNewDirectory) {
  const auto dir = temp_dir();
  const auto path = dir / "results" / "metadata.txt";
  {
    MetadataFile f("--metadata", path.string(), sample());
    const std::string started = read(path);
    EXPECT_EQ(started.rfind("start:", 0), 0u) << started;
    EXPECT_EQ(started.find('\n'), started.size() - 1) << started;
    f.finish();
  }
  const std::string text = read(path);
  std::vector<std::string> prefixes;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) prefixes.push_back(line.substr(0, line.find(':')));
  EXPECT_EQ(prefixes, (std::vector<std::string>{"start", "end", "args", "envs", "metadata", "pod", "namespace",
                                                "inferload", "io_backend"}))
      << text;
  EXPECT_EQ(text.find("abc"), std::string::npos);
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(MetadataFile, AnErrorThatEndsTheRunStillLeavesTheEndLines) {
  const auto dir = temp_dir();
  const auto path = dir / "metadata.txt";
  std::filesystem::create_directories(dir);
  std::ofstream(path) << "an older run's lines\n";
  try {
    MetadataFile f("--metadata", path.string(), sample());
    throw ExitError(kExitSetupFailed, "INFER_HTTP_ENDPOINT is unreachable");
  } catch (const ExitError&) {
  }
  const std::string text = read(path);
  EXPECT_EQ(text.rfind("start:", 0), 0u) << "truncated at the start, as the wrapper's > does: " << text;
  EXPECT_NE(text.find("\nend:"), std::string::npos) << text;
  EXPECT_NE(text.find("\nio_backend:io_uring"), std::string::npos) << text;
  std::filesystem::remove_all(dir);
}

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const ExitError& e) {
    EXPECT_EQ(e.code(), kExitOtherError);
    return e.what();
  }
  return "";
}

TEST(MetadataFile, AWriteErrorIsOneLineNamingTheSourceAndThePath) {
  EXPECT_EQ(error_of([] { MetadataFile("--metadata", "/dev/full", sample()); }),
            "--metadata \"/dev/full\": cannot write: No space left on device");
  EXPECT_EQ(error_of([] { MetadataFile("INFERLOAD_METADATA", "", sample()); }), "INFERLOAD_METADATA \"\": is empty");
  const auto dir = temp_dir();
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "file") << "x";
  const std::string bad = (dir / "file" / "metadata.txt").string();
  const std::string msg = error_of([&] { MetadataFile("--metadata", bad, sample()); });
  EXPECT_EQ(msg.rfind("--metadata \"" + bad + "\": cannot create the directory", 0), 0u) << msg;
  std::filesystem::remove_all(dir);
}

TEST(OpenMetadata, TheFlagThenInferloadMetadataThenNone) {
  const auto dir = temp_dir();
  runtime::BackendChoice backend;
  backend.backend = runtime::IoBackend::epoll;
  backend.detail = "forced by --io";
  std::map<std::string, std::string> vars = {{"INFERLOAD_METADATA", (dir / "env.txt").string()},
                                             {"TEST_METADATA", "nightly"},
                                             {"POD_NAME", "envoy-inferload-x7k2p"},
                                             {"NAMESPACE", "seldon-mesh"}};
  const scv2::EnvLookup env = [&](const std::string& n) -> std::optional<std::string> {
    const auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  RunArgs args;
  args.arguments = {"run", "-d", "1s"};
  open_metadata(args, env, backend)->finish();
  const std::string from_env = read(dir / "env.txt");
  EXPECT_NE(from_env.find("\nargs:run -d 1s\nenvs:"), std::string::npos) << from_env;
  EXPECT_NE(from_env.find("\nmetadata:nightly\npod:envoy-inferload-x7k2p\nnamespace:seldon-mesh\ninferload:" INFERLOAD_VERSION
                          "\nio_backend:epoll (forced by --io)\n"),
            std::string::npos)
      << from_env;

  args.metadata = (dir / "flag.txt").string();
  open_metadata(args, env, backend).reset();  // the destructor writes the end lines too
  EXPECT_NE(read(dir / "flag.txt").find("\nio_backend:epoll"), std::string::npos);

  args.metadata.reset();
  vars["INFERLOAD_METADATA"] = "";
  EXPECT_EQ(open_metadata(args, env, backend), nullptr);
  std::filesystem::remove_all(dir);
}

TEST(OpenMetadata, ArgsAreTheCommandLineAsGiven) {
  std::vector<std::string> args = {"inferload", "run", "--metadata", "m.txt", "-e", "A=b c", "infer_constant_vu"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  const CommandLine cl = parse_command_line(static_cast<int>(argv.size()), argv.data());
  EXPECT_EQ(cl.run.metadata, "m.txt");
  EXPECT_EQ(cl.run.arguments, (std::vector<std::string>{"run", "--metadata", "m.txt", "-e", "A=b c", "infer_constant_vu"}));
}

}  // namespace
}  // namespace inferload::app
