#pragma once
// The config object of the suite's settings.js (getConfig(), the "Config key" column of the
// suite's section 2.1): what the data-plane scripts' setup() returns, and so what k6 writes as
// the summary export's `setup_data`. Kept as a small JSON-shaped tree, in the object's key order,
// with the suite's value types (strings where it keeps a variable as written, numbers where it
// converts one).
#include <string>
#include <utility>
#include <vector>

#include "inferload/scv2/settings.hpp"

namespace inferload::scv2 {

struct ConfigValue {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  double number = 0;
  std::string text;
  std::vector<ConfigValue> items;                            // array
  std::vector<std::pair<std::string, ConfigValue>> members;  // object, in order

  static ConfigValue of(bool b);
  static ConfigValue of(double n);
  static ConfigValue of(std::string s);
  static ConfigValue array(std::vector<ConfigValue> items);
  static ConfigValue object(std::vector<std::pair<std::string, ConfigValue>> members);
};

// `env` gives the variables as set (for the values the suite keeps as written).
ConfigValue k6_config(const Settings& settings, const EnvLookup& env);

}  // namespace inferload::scv2
