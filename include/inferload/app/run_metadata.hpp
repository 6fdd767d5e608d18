#pragma once
// --metadata FILE: the results/metadata.txt that SCv2's k6wrapper.sh writes around a k6 run
// (scv2-k6-suite.md 8.6), line for line, so that a job that runs inferload without the wrapper
// still leaves it next to its results: `start:` when the run starts, then `end:`, `args:`,
// `envs:`, `metadata:` ($TEST_METADATA), and inferload's own `pod:` and `namespace:` (the
// Kubernetes downward API's POD_NAME and NAMESPACE, which the wrapper only has as pod labels),
// `inferload:` (the version) and `io_backend:`. Unlike the wrapper's, `envs:` never carries a
// secret's value.
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "inferload/app/cli.hpp"
#include "inferload/runtime/backend.hpp"
#include "inferload/scv2/settings.hpp"

namespace inferload::app {

struct RunMetadata {
  std::vector<std::string> args;         // the command line after the program's name
  std::vector<std::string> environment;  // NAME=VALUE, in the process's order (printenv's)
  std::string test_metadata;             // $TEST_METADATA
  std::string pod;                       // $POD_NAME
  std::string namespace_name;            // $NAMESPACE
  std::string version;
  std::string io_backend;                // as the header shows it: "io_uring (...)", "epoll (...)"
};

// The wrapper's plain `date`: its default format in the C locale and the local time zone (TZ),
// e.g. "Mon Dec  7 02:14:21 UTC 2026".
std::string metadata_date(std::time_t t);

// A variable whose name contains TOKEN, SECRET, PASSWORD, KEY or CREDENTIALS, in any case: the
// file is uploaded to a shared bucket, so its value is written as <redacted>.
bool is_secret_variable(std::string_view name);

// The environment on one line, space-separated as the wrapper's unquoted $(printenv) is, with
// every secret's value <redacted>.
std::string metadata_envs(const std::vector<std::string>& environment);

std::string metadata_start(std::time_t start);
// end:, args:, envs:, metadata:, pod:, namespace:, inferload:, io_backend:, one line each (a newline inside a
// value becomes a space).
std::string metadata_end(std::time_t end, const RunMetadata& m);

class MetadataFile {
 public:
  // Creates the missing parent directories, truncates `path` and writes the start line. Throws
  // ExitError(kExitOtherError) naming `source` (the flag or variable) and the path.
  MetadataFile(std::string source, std::string path, RunMetadata metadata);
  // An error that ends the run before finish() still leaves the end lines, as the wrapper
  // writes them whatever k6 did; a failure to write them is reported on stderr.
  ~MetadataFile();
  MetadataFile(const MetadataFile&) = delete;
  MetadataFile& operator=(const MetadataFile&) = delete;

  // Appends the end lines and closes the file. Throws ExitError(kExitOtherError) as the constructor.
  void finish();

 private:
  void write(std::string_view text);
  [[noreturn]] void fail(const std::string& what, int err) const;

  std::string source_;
  std::string path_;
  RunMetadata metadata_;
  int fd_ = -1;
};

// The file --metadata names, else INFERLOAD_METADATA (read from `env`, the process environment)
// when not empty, opened with its start line; nullptr when neither names one.
std::unique_ptr<MetadataFile> open_metadata(const RunArgs& args, const scv2::EnvLookup& env,
                                            const runtime::BackendChoice& backend);

}  // namespace inferload::app
