#pragma once
// Typed access to a parsed JSON document whose every error is one line naming the file and the
// value's path in it ("results/a.json: inferload.metrics[3].type: expected a string").
#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inferload/app/cli.hpp"

namespace inferload::app {

namespace json = boost::json;

// Each accessor names the value by its path in the document ("inferload.metrics[3].type").
class JsonFields {
 public:
  explicit JsonFields(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& why) const {
    throw ExitError(kExitInvalidConfig, file_ + ": " + path + ": " + why);
  }

  const json::value& member(const json::object& o, std::string_view key, const std::string& path) const {
    const json::value* v = o.if_contains(key);
    if (!v) fail(path, "missing \"" + std::string(key) + "\"");
    return *v;
  }
  const json::object& object(const json::value& v, const std::string& path) const {
    if (!v.is_object()) fail(path, "expected an object");
    return v.get_object();
  }
  const json::array& array(const json::value& v, const std::string& path) const {
    if (!v.is_array()) fail(path, "expected an array");
    return v.get_array();
  }
  std::string string(const json::value& v, const std::string& path) const {
    if (!v.is_string()) fail(path, "expected a string");
    return std::string(v.get_string());
  }
  std::uint64_t u64(const json::value& v, const std::string& path) const {
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
    fail(path, "expected a whole number of at least 0");
  }
  std::int64_t i64(const json::value& v, const std::string& path) const {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v.get_uint64());
    fail(path, "expected a whole number");
  }
  double number(const json::value& v, const std::string& path) const {
    if (v.is_double()) return v.get_double();
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    fail(path, "expected a number");
  }
  bool boolean(const json::value& v, const std::string& path) const {
    if (!v.is_bool()) fail(path, "expected true or false");
    return v.get_bool();
  }

  const json::object& object_at(const json::object& o, std::string_view key, const std::string& path) const {
    return object(member(o, key, path), at(path, key));
  }
  const json::array& array_at(const json::object& o, std::string_view key, const std::string& path) const {
    return array(member(o, key, path), at(path, key));
  }
  std::string string_at(const json::object& o, std::string_view key, const std::string& path) const {
    return string(member(o, key, path), at(path, key));
  }
  std::uint64_t u64_at(const json::object& o, std::string_view key, const std::string& path) const {
    return u64(member(o, key, path), at(path, key));
  }
  double number_at(const json::object& o, std::string_view key, const std::string& path) const {
    return number(member(o, key, path), at(path, key));
  }
  std::vector<std::string> strings_at(const json::object& o, std::string_view key, const std::string& path) const {
    std::vector<std::string> out;
    const json::array& a = array_at(o, key, path);
    for (std::size_t i = 0; i < a.size(); ++i) out.push_back(string(a[i], index(at(path, key), i)));
    return out;
  }

  static std::string at(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }
  static std::string index(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

 private:
  std::string file_;
};

}  // namespace inferload::app
