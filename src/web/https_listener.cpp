#include "web/https_listener.h"

#include <restinio/all.hpp>
#include <restinio/tls.hpp>

#include <thread>

#include "util/log.h"
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

}  // namespace

struct HttpsListener::Impl {
  asio::io_context io;
  std::unique_ptr<Server> server;
  std::thread thread;
  std::unique_ptr<RequestWorkers> workers;
};

Result<std::unique_ptr<HttpsListener>> HttpsListener::start(const std::string& address, uint16_t port,
                                                            std::shared_ptr<asio::ssl::context> tls,
                                                            HttpHandler handler) {
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
                        .request_handler([raw, handler = std::move(handler)](restinio::request_handle_t req) {
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
  raw->server->close_async([raw] { raw->io.stop(); },
                           [raw](std::exception_ptr) { raw->io.stop(); });
  if (raw->thread.joinable()) raw->thread.join();
  raw->server.reset();
}

}  // namespace convene::web
