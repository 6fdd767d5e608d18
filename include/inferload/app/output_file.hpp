#pragma once
// A result file named by a flag. It is opened before the test, so that a bad path is a one-line
// error before any load is sent, and written after it.
#include <string>
#include <string_view>

namespace inferload::app {

class OutputFile {
 public:
  // Creates the missing parent directories and opens `path` for writing. An existing file keeps
  // its content until write(), so a run that fails before its results leaves it as it was.
  // Throws ExitError(kExitOtherError) naming `flag` and the path.
  OutputFile(std::string flag, std::string path);
  // A file this object created is removed unless write() completed: a failed run leaves no
  // empty or partial result behind.
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Replaces the content with `text` and closes the file, every error checked. Throws
  // ExitError(kExitOtherError) naming the flag and the path.
  void write(std::string_view text);

  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void fail(const std::string& what, int err) const;

  std::string flag_;
  std::string path_;
  int fd_ = -1;
  bool created_ = false;
  bool written_ = false;
};

}  // namespace inferload::app
