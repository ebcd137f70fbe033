#pragma once
// The web admin's HTTPS listener: RESTinio on standalone Asio, one thread
// ("web-io") running its own io_context (accepts, TLS, reads, writes), TLS from
// the context tls/ builds. Every request is handed whole (body read, at most
// kMaxReadBody bytes, else the connection is closed) to one handler, which runs
// on one of kRequestWorkers "web-cmd" threads (request_workers.h): a slow
// command holds its worker, never the listener.
//
// RESTinio 0.6 still calls Asio functions that ASIO_NO_DEPRECATED removes
// (buffer_cast), so https_listener.cpp alone is built without that definition
// (src/web/CMakeLists.txt); no Asio object crosses this header.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "util/result.h"
#include "web/http_message.h"

namespace asio::ssl {
class context;
}

namespace convene::web {

// What the library reads at most; handlers refuse smaller bodies with 413 themselves.
// RESTinio 0.6 has no hook between the headers and the body, so a body must be
// read to be answered: up to this size it is (and gets 413 from the routes), a
// larger one makes RESTinio close the connection unanswered.
inline constexpr std::uint64_t kMaxReadBody = 16 * 1024 * 1024;
// Threads that run the handler, and requests that may wait for one (then 503).
inline constexpr std::size_t kRequestWorkers = 2;
inline constexpr std::size_t kMaxWaitingRequests = 64;

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpsListener {
 public:
  // Binds address:port (errors name them) and starts serving.
  static Result<std::unique_ptr<HttpsListener>> start(const std::string& address, uint16_t port,
                                                      std::shared_ptr<asio::ssl::context> tls, HttpHandler handler);
  // Stops accepting, closes connections and ends the thread.
  ~HttpsListener();

  const std::string& address() const { return address_; }
  uint16_t port() const { return port_; }

 private:
  struct Impl;
  HttpsListener(std::string address, uint16_t port, std::unique_ptr<Impl> impl);
  std::string address_;
  uint16_t port_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace convene::web
