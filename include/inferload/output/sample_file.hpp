#pragma once
// The file a sample output writes: plain, or one gzip stream when its name ends in ".gz" (as
// k6's CSV and JSON outputs do, and as SCv2's Job writes results/base.gz). Buffered; flush()
// hands what is buffered to the kernel, so a reader (or a pod being killed) sees whole rows up
// to the last flush. A gzip stream's compressed bytes wait for the flush (saveInterval) in
// memory: written any earlier, a cut stream would end in the middle of a row.
#include <zlib.h>

#include <cstdio>
#include <string>
#include <string_view>

namespace inferload::output {

class SampleFile {
 public:
  // Opens (creating parent directories) or throws std::runtime_error naming the path. "-" is
  // standard output.
  explicit SampleFile(const std::string& path);
  ~SampleFile();
  SampleFile(const SampleFile&) = delete;
  SampleFile& operator=(const SampleFile&) = delete;

  void write(std::string_view bytes) {
    buffer_.append(bytes);
    if (buffer_.size() >= kBufferBytes) drain(Z_NO_FLUSH);
  }
  void flush() { drain(Z_SYNC_FLUSH); }
  // Ends the stream (gzip's trailer) and closes; "" or what failed, naming the path.
  std::string close();
  const std::string& path() const noexcept { return path_; }
  bool gzip() const noexcept { return gzip_; }

 private:
  static constexpr std::size_t kBufferBytes = 1 << 16;
  void drain(int flush_mode);
  void put(const void* data, std::size_t n);

  std::string path_;
  std::FILE* file_ = nullptr;
  bool gzip_ = false;
  bool closed_ = false;
  z_stream z_{};
  std::string buffer_;
  std::string compressed_;  // gzip: compressed since the last flush point
  int error_ = 0;  // the first errno a write met
};

}  // namespace inferload::output
