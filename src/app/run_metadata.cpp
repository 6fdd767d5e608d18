#include "inferload/app/run_metadata.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

extern char** environ;

namespace inferload::app {
namespace {

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out.append(out.empty() ? "" : " ").append(s);
  return out;
}

}  // namespace

std::string metadata_date(std::time_t t) {
  std::tm tm{};
  ::localtime_r(&t, &tm);
  // strftime's %a and %b are the C locale's as long as nothing calls setlocale, which inferload never does.
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Z %Y", &tm);
  return std::string(buf, n);
}

bool is_secret_variable(std::string_view name) {
  std::string upper(name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::string_view word : {"TOKEN", "SECRET", "PASSWORD", "KEY", "CREDENTIALS"}) {
    if (upper.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string metadata_envs(const std::vector<std::string>& environment) {
  std::vector<std::string> shown;
  shown.reserve(environment.size());
  for (const std::string& kv : environment) {
    const std::string name = kv.substr(0, kv.find('='));
    shown.push_back(is_secret_variable(name) ? name + "=<redacted>" : kv);
  }
  return one_line(joined(shown));
}

std::string metadata_start(std::time_t start) { return "start:" + metadata_date(start) + "\n"; }

std::string metadata_end(std::time_t end, const RunMetadata& m) {
  std::string out;
  out += "end:" + metadata_date(end) + "\n";
  out += "args:" + one_line(joined(m.args)) + "\n";
  out += "envs:" + metadata_envs(m.environment) + "\n";
  out += "metadata:" + one_line(m.test_metadata) + "\n";
  out += "pod:" + one_line(m.pod) + "\n";
  out += "namespace:" + one_line(m.namespace_name) + "\n";
  out += "inferload:" + one_line(m.version) + "\n";
  out += "io_backend:" + one_line(m.io_backend) + "\n";
  return out;
}

MetadataFile::MetadataFile(std::string source, std::string path, RunMetadata metadata)
    : source_(std::move(source)), path_(std::move(path)), metadata_(std::move(metadata)) {
  if (path_.empty()) fail("is empty", 0);
  // Job manifests name files under results/, which may not exist yet.
  const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) fail("cannot create the directory \"" + parent.string() + "\": " + ec.message(), 0);
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
  if (fd_ < 0) fail("cannot open for writing", errno);
  write(metadata_start(std::time(nullptr)));
}

MetadataFile::~MetadataFile() {
  if (fd_ < 0) return;
  try {
    finish();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "inferload: %s\n", e.what());
  }
}

void MetadataFile::finish() {
  write(metadata_end(std::time(nullptr), metadata_));
  const int fd = fd_;
  fd_ = -1;
  // NFS and quotas may report a failed write only at close.
  if (::close(fd) != 0) fail("cannot write", errno);
}

void MetadataFile::write(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      // Once a write has failed, the end lines are not tried again by the destructor.
      ::close(fd_);
      fd_ = -1;
      fail("cannot write", err);
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

void MetadataFile::fail(const std::string& what, int err) const {
  std::string msg = source_ + " \"" + path_ + "\": " + what;
  if (err != 0) msg.append(": ").append(std::strerror(err));
  throw ExitError(kExitOtherError, msg);
}

std::unique_ptr<MetadataFile> open_metadata(const RunArgs& args, const scv2::EnvLookup& env,
                                            const runtime::BackendChoice& backend) {
  std::string source = "--metadata";
  std::string path;
  if (args.metadata) {
    path = *args.metadata;
  } else if (auto v = env("INFERLOAD_METADATA"); v && !v->empty()) {
    source = "INFERLOAD_METADATA";
    path = *v;
  } else {
    return nullptr;
  }
  RunMetadata m;
  m.args = args.arguments;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) m.environment.emplace_back(*e);
  m.test_metadata = env("TEST_METADATA").value_or("");
  m.pod = env("POD_NAME").value_or("");
  m.namespace_name = env("NAMESPACE").value_or("");
  m.version = INFERLOAD_VERSION;
  m.io_backend = std::string(runtime::to_string(backend.backend)) + " (" + backend.detail + ")";
  return std::make_unique<MetadataFile>(std::move(source), std::move(path), std::move(m));
}

}  // namespace inferload::app
