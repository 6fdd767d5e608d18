#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "inferload/net/endpoint.hpp"

namespace inferload::net {
namespace {

std::string error_of(std::string_view url) {
  try {
    parse_http_url(url);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(HttpUrl, AQueryOrFragmentIsSaidToBeOneWhereverItStarts) {
  // Without a path the query used to be read as part of the port ("bad port \"9000?x=1\"").
  for (const char* url : {"http://h:9000?x=1", "http://h:9000/p?x", "http://h?x", "http://h:9000#frag",
                          "http://h#f", "http://[::1]:9000?x", "http://h:9000/?"}) {
    EXPECT_EQ(error_of(url), std::string("\"") + url + "\": a query or fragment is not allowed") << url;
  }
}

TEST(HttpUrl, PortsAndPrefixes) {
  const HttpUrl u = parse_http_url("http://h:9000/prefix/");
  EXPECT_EQ(u.host, "h");
  EXPECT_EQ(u.port, 9000);
  EXPECT_EQ(u.base_path, "/prefix");
  EXPECT_EQ(parse_http_url("http://h").port, 80);
  EXPECT_EQ(error_of("http://h:90x0"), "\"http://h:90x0\": bad port \"90x0\"");
  EXPECT_EQ(error_of("http://h:70000/p"), "\"http://h:70000/p\": bad port \"70000\"");
}

TEST(HttpUrl, HttpsIsTlsOn443UnlessAPortIsGiven) {
  const HttpUrl u = parse_http_url("https://seldon-mesh/prefix");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.base_path, "/prefix");
  EXPECT_EQ(parse_http_url("https://[::1]:8443").port, 8443);
  EXPECT_FALSE(parse_http_url("http://h:443").tls);
  EXPECT_EQ(error_of("ftp://h"), "\"ftp://h\": expected a URL starting with http:// or https://");
  EXPECT_EQ(error_of("HTTPS//h"), "\"HTTPS//h\": expected a URL starting with http:// or https://");
}

}  // namespace
}  // namespace inferload::net
