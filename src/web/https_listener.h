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
#include <optional>
#include <string>
#include <string_view>

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

// ---- WebSocket (RFC 6455) ----
// The listener recognises an opening handshake (GET with Upgrade: websocket,
// Connection: upgrade, Sec-WebSocket-Version 13 and a key) and asks the
// WebSocketHandler; an accepted one gets its 101 answer and from then on its TLS
// connection is a WebSocketChannel: raw bytes both ways (the frames are the
// application's, web/websocket_frames.h), on the listener's thread.

// One upgraded connection. send() and close() may be called from any thread.
class WebSocketChannel {
 public:
  virtual ~WebSocketChannel() = default;
  // Queue bytes (whole frames); `done(true)` once written, false when the
  // connection is gone. Called on the listener's thread.
  virtual void send(std::string bytes, std::function<void(bool ok)> done) = 0;
  // Close the connection once what is queued is written (bounded: 5 s).
  virtual void close() = 0;
};

// The application's side of one upgraded connection, called on the listener's thread.
class WebSocketSession {
 public:
  virtual ~WebSocketSession() = default;
  virtual void on_bytes(std::string_view bytes) = 0;
  virtual void on_gone() = 0;  // the connection closed (by either side) or failed; called once
};

struct WebSocketAnswer {
  // Set: the upgrade is refused with this answer, nothing else happens.
  std::optional<HttpResponse> refusal;
  std::string protocol;  // accepted: the Sec-WebSocket-Protocol to answer
  // Accepted: makes the session once the 101 answer is on its way.
  std::function<std::shared_ptr<WebSocketSession>(std::shared_ptr<WebSocketChannel>)> start;
};
using WebSocketHandler = std::function<WebSocketAnswer(const HttpRequest&)>;

class HttpsListener {
 public:
  // Binds address:port (errors name them) and starts serving.
  static Result<std::unique_ptr<HttpsListener>> start(const std::string& address, uint16_t port,
                                                      std::shared_ptr<asio::ssl::context> tls, HttpHandler handler,
                                                      WebSocketHandler websocket = {});
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
