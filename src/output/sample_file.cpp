#include "inferload/output/sample_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace inferload::output {

SampleFile::SampleFile(const std::string& path) : path_(path) {
  if (path == "-") {
    file_ = stdout;
  } else {
    const std::filesystem::path p(path);
    std::error_code ec;
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_) throw std::runtime_error(path + ": " + std::strerror(errno));
    gzip_ = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
    // Our buffer holds whole rows and is written in one call: stdio's own would split a row
    // between what reached the file and what a second signal's immediate exit drops.
    std::setvbuf(file_, nullptr, _IONBF, 0);
  }
  if (gzip_) {
    // Level 1: a sample file at 50,000 requests a second is hundreds of MB of CSV a minute, and
    // the default level would make the output thread the bottleneck; still one gzip stream.
    if (deflateInit2(&z_, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      std::fclose(file_);
      throw std::runtime_error(path + ": zlib could not start a gzip stream");
    }
  }
  buffer_.reserve(kBufferBytes * 2);
}

SampleFile::~SampleFile() {
  if (!closed_) close();
}

void SampleFile::put(const void* data, std::size_t n) {
  if (error_ != 0 || n == 0) return;
  if (std::fwrite(data, 1, n, file_) != n) error_ = errno != 0 ? errno : EIO;
}

void SampleFile::drain(int flush_mode) {
  if (!gzip_) {
    put(buffer_.data(), buffer_.size());
    buffer_.clear();
    if (flush_mode != Z_NO_FLUSH && std::fflush(file_) != 0 && error_ == 0) error_ = errno;
    return;
  }
  z_.next_in = reinterpret_cast<Bytef*>(buffer_.data());
  z_.avail_in = static_cast<uInt>(buffer_.size());
  // The compressed bytes stay here until a flush point: a stream cut anywhere else (a second
  // signal exits at once) would decompress into a row cut in the middle.
  do {
    const std::size_t used = compressed_.size();
    compressed_.resize(used + kBufferBytes);
    z_.next_out = reinterpret_cast<Bytef*>(compressed_.data() + used);
    z_.avail_out = static_cast<uInt>(kBufferBytes);
    deflate(&z_, flush_mode);
    compressed_.resize(compressed_.size() - z_.avail_out);
  } while (z_.avail_out == 0 || (flush_mode == Z_FINISH && z_.avail_in != 0));
  buffer_.clear();
  if (flush_mode == Z_NO_FLUSH) return;
  put(compressed_.data(), compressed_.size());
  compressed_.clear();
  if (std::fflush(file_) != 0 && error_ == 0) error_ = errno;
}

std::string SampleFile::close() {
  if (closed_) return {};
  closed_ = true;
  drain(gzip_ ? Z_FINISH : Z_SYNC_FLUSH);
  if (gzip_) deflateEnd(&z_);
  if (file_ != stdout) {
    if (std::fclose(file_) != 0 && error_ == 0) error_ = errno;
  } else if (std::fflush(file_) != 0 && error_ == 0) {
    error_ = errno;
  }
  file_ = nullptr;
  if (error_ != 0) return path_ + ": " + std::strerror(error_);
  return {};
}

}  // namespace inferload::output
