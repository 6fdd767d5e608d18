#pragma once
// Request bytes encoded once, before the run: the head (request line and headers, complete with
// Content-Length) per target, and a body that targets of one payload share. Sending a request
// is then a gather write of these two buffers, with no formatting on the hot path.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace inferload::http1 {

struct Header {
  std::string name;
  std::string value;
};

struct RequestTemplate {
  std::string head;
  std::shared_ptr<const std::string> body;  // may be null for no body
  // Head and body in one buffer when the body is small: one contiguous send is cheaper for the
  // kernel than a gather of two (send vs sendmsg), and costs little memory per target.
  std::string wire;
  static constexpr std::size_t kMaxWireBody = 16 * 1024;
  // Where a value written fresh for every request goes (an x-request-id), in `head` and at the
  // same place in `wire`; npos when the request has none.
  std::size_t fresh_value_at = std::string::npos;

  std::size_t size() const noexcept { return head.size() + (body ? body->size() : 0); }
};

// Encodes `method target HTTP/1.1` with the headers in the order given, then Content-Length
// (when there is a body or the method is POST/PUT/PATCH). Throws std::invalid_argument for a
// method, target or header that would break the message (CR, LF, NUL, bad name characters) or a
// Content-Length given as a header.
RequestTemplate make_request(std::string_view method, std::string_view target, const std::vector<Header>& headers,
                             std::shared_ptr<const std::string> body);

}  // namespace inferload::http1
