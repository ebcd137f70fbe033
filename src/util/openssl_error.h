#pragma once
// OpenSSL's error queue as operator text: the one reader of it, so every library
// words OpenSSL's failures alike.
#include <string>

namespace convene {

// Drains this thread's OpenSSL error queue into one line: the reason part of each
// error ("certificate verify failed"), joined by "; ", or "no detail from OpenSSL"
// when the queue held nothing. Call right after the failed OpenSSL call, so stale
// errors never leak into a later message.
std::string take_openssl_error();

}  // namespace convene
