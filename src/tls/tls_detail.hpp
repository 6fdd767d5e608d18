#pragma once
// Between the context, which registers it, and the session, which it feeds.
typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;

namespace inferload::tls::detail {

// OpenSSL's new-session callback: hands a session the server issued to the connection's Session.
int remember_session(SSL* ssl, SSL_SESSION* session);

}  // namespace inferload::tls::detail
