#pragma once
// What a name may look like where it travels: a path segment of the request target, and the
// Host header (a reg-name, RFC 3986 3.2.2, without the port).
#include <string>
#include <string_view>

namespace inferload::http1 {

// Percent-encodes every byte that may not stand in a path segment as it is (RFC 3986 3.3:
// unreserved, sub-delims, ':' and '@' stay; '/', '?', '#', '%', controls, spaces and every
// non-ASCII byte are encoded).
std::string percent_encode_path_segment(std::string_view segment);

// Empty when `name` can be a Host header's host name, else why not (a non-ASCII byte, a space,
// a ':' that would read as a port, ...).
std::string host_name_problem(std::string_view name);

}  // namespace inferload::http1
