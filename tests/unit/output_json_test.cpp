#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "inferload/output/json_writer.hpp"

namespace inferload::output {
namespace {

TEST(JsonQuote, EscapesLikeJsonStringify) {
  EXPECT_EQ(json_quote(""), "\"\"");
  EXPECT_EQ(json_quote("plain"), "\"plain\"");
  EXPECT_EQ(json_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_quote("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(json_quote(std::string("\x01\x1f\x00", 3)), "\"\\u0001\\u001f\\u0000\"");
  // Slashes, DEL and non-ASCII are not escaped by JSON.stringify.
  EXPECT_EQ(json_quote("a/b\x7f"), "\"a/b\x7f\"");
  EXPECT_EQ(json_quote("µs — ✓ 模型"), "\"µs — ✓ 模型\"");
}

TEST(JsonWriter, LayoutMatchesStringifyWithFourSpaces) {
  std::ostringstream out;
  JsonWriter w(out);
  w.begin_object();
  w.key("name");
  w.string("");
  w.key("groups");
  w.begin_object();
  w.end_object();
  w.key("nested");
  w.begin_object();
  w.key("n");
  w.number(0.5);
  w.key("i");
  w.integer(44);
  w.key("b");
  w.boolean(false);
  w.key("nan");
  w.number(std::nan(""));
  w.end_object();
  w.end_object();
  EXPECT_EQ(out.str(),
            "{\n"
            "    \"name\": \"\",\n"
            "    \"groups\": {},\n"
            "    \"nested\": {\n"
            "        \"n\": 0.5,\n"
            "        \"i\": 44,\n"
            "        \"b\": false,\n"
            "        \"nan\": null\n"
            "    }\n"
            "}");
}

TEST(JsonWriter, EmptyTopLevelAndCustomIndent) {
  std::ostringstream a;
  JsonWriter wa(a);
  wa.begin_object();
  wa.end_object();
  EXPECT_EQ(a.str(), "{}");

  std::ostringstream b;
  JsonWriter wb(b, 2);
  wb.begin_object();
  wb.key("k\"ey");
  wb.number(1e21);
  wb.end_object();
  EXPECT_EQ(b.str(), "{\n  \"k\\\"ey\": 1e+21\n}");
}

}  // namespace
}  // namespace inferload::output
