#include "web/https_listener.h"

#include <restinio/all.hpp>
#include <restinio/tls.hpp>

#include <array>
#include <deque>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "util/log.h"
#include "web/websocket_frames.h"
#include "util/thread_name.h"
#include "web/request_workers.h"

namespace convene::web {

namespace {

using Traits = restinio::single_thread_tls_traits_t<restinio::asio_timer_manager_t, restinio::null_logger_t>;
using Server = restinio::http_server_t<Traits>;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

HttpRequest to_request(const restinio::request_handle_t& req) {
  HttpRequest out;
  out.method = req->header().method().c_str();
  out.path = std::string(req->header().path());
  out.query = std::string(req->header().query());
  req->header().for_each_field([&](const restinio::http_header_field_t& f) {
    out.headers[lower(f.name())] = f.value();
  });
  out.body = req->body();
  out.peer = req->remote_endpoint().address().to_string();
  out.peer_port = req->remote_endpoint().port();
  return out;
}

std::string reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 302: return "Found";
    case 303: return "See Other";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

// The handler's answer; an exception is logged and answered 500.
HttpResponse answer_of(const HttpHandler& handler, const restinio::request_handle_t& req) {
  try {
    return handler(to_request(req));
  } catch (const std::exception& e) {
    logger("web")->error("request {} failed: {}", std::string(req->header().path()), e.what());
    return {500, "text/plain; charset=utf-8", "internal error\n", {}};
  }
}

// Any thread: RESTinio hands the response to the connection's own executor.
void send(const restinio::request_handle_t& req, HttpResponse answer) {
  auto resp = req->create_response(restinio::http_status_line_t{
      restinio::http_status_code_t{static_cast<std::uint16_t>(answer.status)}, reason(answer.status)});
  resp.append_header(restinio::http_field::content_type, answer.content_type);
  resp.append_header("Cache-Control", "no-store");
  resp.append_header("X-Content-Type-Options", "nosniff");
  for (auto& [name, value] : answer.headers) resp.append_header(name, value);
  resp.set_body(std::move(answer.body));
  resp.done();
}

bool has_token(const std::string& list, const std::string& token) {
  // "keep-alive, Upgrade": comma-separated, case-insensitive.
  std::string l = lower(list);
  size_t i = 0;
  while (i <= l.size()) {
    size_t comma = l.find(',', i);
    if (comma == std::string::npos) comma = l.size();
    std::string item = l.substr(i, comma - i);
    auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos && item.substr(b, e - b + 1) == token) return true;
    i = comma + 1;
  }
  return false;
}

bool is_websocket_upgrade(const HttpRequest& r) {
  return r.method == "GET" && has_token(r.header("upgrade"), "websocket") &&
         has_token(r.header("connection"), "upgrade") && !r.header("sec-websocket-key").empty();
}

// An upgraded connection: RESTinio's TLS socket, moved out of its HTTP connection
// (as restinio::websocket::basic::upgrade does), read and written here, because
// RESTinio's own WebSocket connection sizes its buffer from the frame header
// without any limit (a 2^63-byte length is an allocation). Runs on "web-io".
class Channel final : public WebSocketChannel, public std::enable_shared_from_this<Channel> {
 public:
  using Internals = restinio::impl::connection_t<Traits>::upgrade_internals_t;
  explicit Channel(Internals internals)
      : internals_(std::move(internals)), timer_(internals_.m_socket.get_executor()) {}

  void begin(std::string handshake_answer, std::shared_ptr<WebSocketSession> session) {
    session_ = std::move(session);
    send(std::move(handshake_answer), {});
    read();
  }

  void send(std::string bytes, std::function<void(bool)> done) override {
    asio::post(internals_.m_socket.get_executor(),
               [self = shared_from_this(), bytes = std::move(bytes), done = std::move(done)]() mutable {
                 if (self->gone_ || self->closing_) {
                   if (done) done(false);
                   return;
                 }
                 self->queue_.emplace_back(std::move(bytes), std::move(done));
                 self->write();
               });
  }

  // On the listener's thread: close now (the listener is stopping).
  void shut() { finish(); }

  void close() override {
    asio::post(internals_.m_socket.get_executor(), [self = shared_from_this()] {
      if (self->gone_ || self->closing_) return;
      self->closing_ = true;
      if (!self->writing_) return self->finish();
      self->timer_.expires_after(std::chrono::seconds(5));  // a peer that does not read
      self->timer_.async_wait([self](const asio::error_code& ec) {
        if (!ec) self->finish();
      });
    });
  }

 private:
  void read() {
    internals_.m_socket.async_read_some(
        asio::buffer(buffer_), [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
          if (self->gone_) return;
          if (ec) return self->finish();
          if (self->session_) self->session_->on_bytes(std::string_view(self->buffer_.data(), n));
          if (!self->gone_ && !self->closing_) self->read();
        });
  }

  void write() {
    if (writing_ || queue_.empty() || gone_) return;
    writing_ = true;
    asio::async_write(internals_.m_socket, asio::buffer(queue_.front().first),
                      [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                        self->writing_ = false;
                        auto done = std::move(self->queue_.front().second);
                        self->queue_.pop_front();
                        if (done) done(!ec);
                        if (self->gone_) return;  // finished while this write was in flight
                        if (ec) return self->finish();
                        if (!self->queue_.empty()) return self->write();
                        if (self->closing_) self->finish();
                      });
  }

  void finish() {
    if (gone_) return;
    gone_ = true;
    timer_.cancel();
    asio::error_code ec;
    internals_.m_socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    internals_.m_socket.close(ec);
    // A write in flight still reads the front's bytes until its completion (which
    // closing the socket hastens) takes them off; the rest go now.
    auto unsent = writing_ ? std::next(queue_.begin()) : queue_.begin();
    for (auto it = unsent; it != queue_.end(); ++it)
      if (it->second) it->second(false);
    queue_.erase(unsent, queue_.end());
    if (auto s = std::move(session_)) s->on_gone();
  }

  Internals internals_;
  asio::steady_timer timer_;
  std::shared_ptr<WebSocketSession> session_;
  std::deque<std::pair<std::string, std::function<void(bool)>>> queue_;
  // Small: a pending read holds it for the connection's whole idle life (asio's TLS
  // stream has its own 17 KiB record buffer in front of it anyway).
  std::array<char, 2 * 1024> buffer_{};
  bool writing_ = false, closing_ = false, gone_ = false;
};

// The upgraded connections, so that stopping the listener closes them (and tells
// their sessions) before its io_context goes.
struct Channels {
  std::mutex mu;
  std::vector<std::weak_ptr<Channel>> list;
  void add(const std::shared_ptr<Channel>& c) {
    std::lock_guard lock(mu);
    std::erase_if(list, [](const std::weak_ptr<Channel>& w) { return w.expired(); });
    list.push_back(c);
  }
  void shut_all() {
    std::vector<std::shared_ptr<Channel>> open;
    {
      std::lock_guard lock(mu);
      for (auto& w : list)
        if (auto c = w.lock()) open.push_back(std::move(c));
      list.clear();
    }
    for (auto& c : open) c->shut();
  }
};

restinio::request_handling_status_t upgrade(const restinio::request_handle_t& req, const HttpRequest& request,
                                            WebSocketAnswer answer, Channels& channels) {
  std::string head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
  head += "Sec-WebSocket-Accept: " + ws::accept_key(request.header("sec-websocket-key")) + "\r\n";
  if (!answer.protocol.empty()) head += "Sec-WebSocket-Protocol: " + answer.protocol + "\r\n";
  head += "\r\n";
  auto conn_ptr = std::move(restinio::impl::access_req_connection(*req));
  if (!conn_ptr) return restinio::request_rejected();
  auto& con = dynamic_cast<restinio::impl::connection_t<Traits>&>(*conn_ptr);
  auto channel = std::make_shared<Channel>(con.move_upgrade_internals());
  channels.add(channel);
  auto session = answer.start(channel);
  if (!session) {
    channel->close();
    return restinio::request_accepted();
  }
  channel->begin(std::move(head), std::move(session));
  return restinio::request_accepted();
}

}  // namespace

struct HttpsListener::Impl {
  asio::io_context io;
  std::shared_ptr<Channels> channels = std::make_shared<Channels>();
  std::unique_ptr<Server> server;
  std::thread thread;
  std::unique_ptr<RequestWorkers> workers;
};

Result<std::unique_ptr<HttpsListener>> HttpsListener::start(const std::string& address, uint16_t port,
                                                            std::shared_ptr<asio::ssl::context> tls,
                                                            HttpHandler handler, WebSocketHandler websocket) {
  auto impl = std::make_unique<Impl>();
  Impl* raw = impl.get();
  impl->workers = std::make_unique<RequestWorkers>(kRequestWorkers, kMaxWaitingRequests);
  try {
    auto settings = restinio::server_settings_t<Traits>{}
                        .address(address)
                        .port(port)
                        .tls_context(std::move(*tls))
                        .read_next_http_message_timelimit(std::chrono::seconds(30))
                        .handle_request_timeout(std::chrono::seconds(60))
                        .max_pipelined_requests(1)
                        // An answer leaves in more than one write (headers, body, TLS
                        // records): without this, Nagle holds the last one for the
                        // client's delayed ACK (about 40 ms per request on a kept connection).
                        .socket_options_setter([](restinio::socket_options_t& options) {
                          options.set_option(asio::ip::tcp::no_delay{true});
                        })
                        .incoming_http_msg_limits(restinio::incoming_http_msg_limits_t{}
                                                      .max_body_size(kMaxReadBody)
                                                      .max_url_size(8192)
                                                      .max_field_count(100))
                        .request_handler([raw, handler = std::move(handler), websocket = std::move(websocket),
                                          channels = impl->channels](restinio::request_handle_t req) {
                          // A WebSocket upgrade is decided and made here: it takes the
                          // connection over, on this thread.
                          if (websocket && req->header().has_field("Upgrade")) {
                            std::optional<HttpResponse> refused;
                            try {
                              auto request = to_request(req);
                              if (is_websocket_upgrade(request)) {
                                auto decision = websocket(request);
                                if (!decision.refusal) return upgrade(req, request, std::move(decision), *channels);
                                refused = std::move(*decision.refusal);
                              }
                            } catch (const std::exception& e) {
                              logger("web")->error("upgrade {} failed: {}", std::string(req->header().path()),
                                                   e.what());
                              refused = HttpResponse{500, "text/plain; charset=utf-8", "internal error\n", {}};
                            }
                            if (refused) {
                              send(req, std::move(*refused));
                              return restinio::request_accepted();
                            }
                          }
                          // On a worker: the io thread goes back to the other connections.
                          bool queued = raw->workers->post([handler, req] { send(req, answer_of(handler, req)); });
                          if (!queued)
                            send(req, {503, "text/plain; charset=utf-8",
                                       "ERROR: the web admin is busy: too many requests wait for an answer\n"
                                       "  Try again in a moment.\n",
                                       {{"Retry-After", "1"}}});
                          return restinio::request_accepted();
                        });
    impl->server = std::make_unique<Server>(restinio::external_io_context(impl->io), std::move(settings));
    impl->server->open_sync();  // binds here, before the thread runs: errors come back to the caller
  } catch (const std::exception& e) {
    return make_error("cannot listen on " + address + ":" + std::to_string(port) + ": " + e.what(),
                      "Is another program on that port? Choose another with 'webadmin listen <iface> <port>'.");
  }
  impl->thread = std::thread([raw] {
    set_thread_name("web-io");
    raw->io.run();
  });
  return std::unique_ptr<HttpsListener>(new HttpsListener(address, port, std::move(impl)));
}

HttpsListener::HttpsListener(std::string address, uint16_t port, std::unique_ptr<Impl> impl)
    : address_(std::move(address)), port_(port), impl_(std::move(impl)) {}

HttpsListener::~HttpsListener() {
  Impl* raw = impl_.get();
  // The waiting requests are answered first, while the io thread still writes;
  // requests arriving meanwhile get 503.
  raw->workers.reset();
  asio::post(raw->io, [channels = raw->channels] { channels->shut_all(); });
  raw->server->close_async([raw] { raw->io.stop(); },
                           [raw](std::exception_ptr) { raw->io.stop(); });
  if (raw->thread.joinable()) raw->thread.join();
  raw->server.reset();
}

}  // namespace convene::web
