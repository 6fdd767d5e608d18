#include "inferload/http1/error_code.hpp"

namespace inferload::http1 {

int k6_error_code(const Exchange& x) noexcept {
  if (x.status >= 400) return 1000 + x.status;
  return net::k6_error_code(x.failure);
}

std::string k6_error_text(const Exchange& x) {
  if (x.failure == net::Failure::protocol) {
    // Go's io.ErrUnexpectedEOF, which k6 reports for a response cut short.
    if (x.parse_error == ParseError::unexpected_eof) return "unexpected EOF";
    std::string text = net::k6_error_text(x.failure);
    if (x.parse_error != ParseError::none) {
      text += ": ";
      text += to_string(x.parse_error);
    }
    return text;
  }
  if (x.tls_reason && !x.tls_reason->empty() && net::is_tls(x.failure)) {
    // As Go words it: certificate problems come from the verification.
    const bool verification = x.failure == net::Failure::tls_unknown_authority ||
                              x.failure == net::Failure::tls_name_mismatch || x.failure == net::Failure::tls_certificate;
    return verification ? "tls: failed to verify certificate: " + *x.tls_reason : *x.tls_reason;
  }
  if (x.failure != net::Failure::none) return net::k6_error_text(x.failure);
  if (x.status == 200) return {};
  return "status " + std::to_string(x.status);
}

}  // namespace inferload::http1
