#pragma once
// k6's error_code and error of one exchange (k6-semantics.md 4.4 and 4.5): the error_code tag
// its samples carry, and the name under which the summaries count it.
#include <string>

#include "inferload/http1/client.hpp"

namespace inferload::http1 {

// 1000 + status for a response with status >= 400 (e.g. 1503), the failure's code when there was
// no usable response (e.g. 1212), else 0: a success, or a status below 400 that k6 does not
// count as an error even when it fails a check (e.g. 301).
int k6_error_code(const Exchange& x) noexcept;

// Short k6-style text: "dial: connection refused", "request timeout", "unexpected EOF",
// "malformed HTTP response: bad chunk"; "status 503" for a response, as k6 sets no error text
// for statuses. "" for a 200. Allocates: for reports, not for the request path.
std::string k6_error_text(const Exchange& x);

}  // namespace inferload::http1
