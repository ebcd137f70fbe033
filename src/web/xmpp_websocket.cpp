#include "web/xmpp_websocket.h"

#include <atomic>
#include <mutex>
#include <optional>

#include "admin/daemon.h"
#include "node/node.h"
#include "util/log.h"
#include "web/webadmin_config.h"
#include "web/websocket_frames.h"
#include "xmpp/service.h"
#include "xmpp/websocket_framing.h"

namespace convene::web {

namespace {

HttpResponse refuse(int status, std::string text) { return {status, "text/plain; charset=utf-8", text + "\n", {}}; }

bool offers_xmpp(const std::string& protocols) {
  size_t i = 0;
  while (i <= protocols.size()) {
    size_t comma = protocols.find(',', i);
    if (comma == std::string::npos) comma = protocols.size();
    auto item = protocols.substr(i, comma - i);
    auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos && item.substr(b, e - b + 1) == "xmpp") return true;
    i = comma + 1;
  }
  return false;
}

// One upgraded connection carrying one client stream. The WebSocket side
// (on_bytes, on_gone) runs on the listener's thread; the stream side (write,
// close) on the stream's xmpp-io thread.
class XmppOverWebSocket final : public WebSocketSession,
                                public xmpp::StreamTransport,
                                public std::enable_shared_from_this<XmppOverWebSocket> {
 public:
  XmppOverWebSocket(std::shared_ptr<WebSocketChannel> channel, std::string peer)
      : channel_(std::move(channel)), reader_(0), peer_(std::move(peer)) {}

  // Before the first byte is read: a message is one stanza, so the stanza limit is
  // the message limit.
  void set_stream(std::weak_ptr<xmpp::TransportedStream> stream, size_t max_message) {
    stream_ = std::move(stream);
    reader_ = ws::FrameReader(max_message);
  }

  // ---- WebSocketSession (listener thread) ----
  void on_bytes(std::string_view bytes) override {
    events_.clear();
    reader_.feed(bytes, events_);
    auto stream = stream_.lock();
    for (auto& e : events_) {
      switch (e.kind) {
        case ws::Event::Kind::text: {
          if (!stream) return;
          switch (xmpp::translate_client_message(e.payload, translated_)) {
            case xmpp::ClientMessage::open:
            case xmpp::ClientMessage::close:
            case xmpp::ClientMessage::element: stream->receive(std::move(translated_)); break;
            case xmpp::ClientMessage::malformed:
              return end(stream, ws::kCloseNormal, "not-well-formed", "a message must be one XML element");
            case xmpp::ClientMessage::wrong_namespace:
              return end(stream, ws::kCloseNormal, "invalid-namespace", "<open/> and <close/> are in " +
                                                                           std::string(xmpp::kFramingNs));
          }
          break;
        }
        case ws::Event::Kind::binary:
          return end(stream, ws::kCloseUnsupportedData, "unsupported-stanza-type", "binary messages carry no XMPP");
        case ws::Event::Kind::ping: answer_ping(std::move(e.payload)); break;
        case ws::Event::Kind::pong: break;
        case ws::Event::Kind::close: {
          // The peer closed without <close/>: the carrier is gone (a resumable
          // XEP-0198 session stays resumable, as when a TCP connection drops).
          send_now(ws::encode_close(ws::kCloseNormal));
          close();
          if (stream) stream->end({}, {});
          return;
        }
        case ws::Event::Kind::fail:
          logger("web")->info("{}: WebSocket closed: {}", peer_, e.payload);
          return end(stream, e.code, e.code == ws::kCloseTooBig ? "policy-violation" : "bad-format", e.payload);
      }
    }
  }

  void on_gone() override {
    {
      std::lock_guard lock(mu_);
      channel_.reset();
    }
    if (auto stream = stream_.lock()) stream->end({}, {});
  }

  // ---- StreamTransport (the stream's thread) ----
  void write(std::string bytes, std::function<void(bool ok)> done) override {
    messages_.clear();
    framing_.translate(bytes, messages_);
    std::string frames;
    for (const auto& m : messages_) frames += ws::encode_frame(ws::Opcode::text, m);
    std::lock_guard lock(mu_);
    if (!channel_) return done(false);
    if (frames.empty()) return done(true);
    channel_->send(std::move(frames), std::move(done));
  }

  void close() override {
    std::lock_guard lock(mu_);
    if (!channel_) return;
    channel_->send(ws::encode_close(close_code_.load()), {});
    channel_->close();
    channel_.reset();
  }

 private:
  // Ends the stream with a stream error; the close frame follows its <close/>.
  void end(const std::shared_ptr<xmpp::TransportedStream>& stream, uint16_t code, std::string condition,
           std::string text) {
    close_code_ = code;
    if (stream) {
      stream->end(std::move(condition), std::move(text));
    } else {
      close();
    }
  }

  // One pong in flight at a time, answering the latest ping when it is written (RFC
  // 6455 §5.5.3 allows answering only the latest): a peer that pings without reading
  // cannot make the channel queue pongs without bound. Listener thread only (the
  // channel calls `done` there too).
  void answer_ping(std::string payload) {
    if (pong_in_flight_) {
      owed_pong_ = std::move(payload);
      return;
    }
    std::lock_guard lock(mu_);
    if (!channel_) return;
    pong_in_flight_ = true;
    channel_->send(ws::encode_frame(ws::Opcode::pong, payload), [weak = weak_from_this()](bool ok) {
      auto self = weak.lock();
      if (!self) return;
      self->pong_in_flight_ = false;
      if (ok && self->owed_pong_) {
        auto next = std::move(*self->owed_pong_);
        self->owed_pong_.reset();
        self->answer_ping(std::move(next));
      }
    });
  }

  void send_now(std::string frame) {
    std::lock_guard lock(mu_);
    if (channel_) channel_->send(std::move(frame), {});
  }

  std::mutex mu_;  // channel_
  std::shared_ptr<WebSocketChannel> channel_;  // null once closed or gone
  std::weak_ptr<xmpp::TransportedStream> stream_;
  std::atomic<uint16_t> close_code_{ws::kCloseNormal};
  // listener thread
  ws::FrameReader reader_;
  std::vector<ws::Event> events_;
  std::string translated_;
  bool pong_in_flight_ = false;
  std::optional<std::string> owed_pong_;  // the latest ping's payload, while a pong is in flight
  // stream thread
  xmpp::ServerFraming framing_;
  std::vector<std::string> messages_;
  std::string peer_;
};

}  // namespace

std::string xmpp_websocket_url(const std::string& host) { return "wss://" + host + kXmppWebSocketPath; }

std::optional<std::string> canonical_origin(const std::string& origin) {
  std::string o;
  for (char c : origin) o += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string scheme;
  if (o.rfind("https://", 0) == 0) scheme = "https";
  else if (o.rfind("http://", 0) == 0) scheme = "http";
  else return std::nullopt;
  std::string rest = o.substr(scheme.size() + 3);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty()) return std::nullopt;
  std::string host = rest, port;
  if (rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) return std::nullopt;
    host = rest.substr(0, close + 1);
    auto tail = rest.substr(close + 1);
    if (!tail.empty()) {
      if (tail[0] != ':') return std::nullopt;
      port = tail.substr(1);
    }
    for (char c : host.substr(1, host.size() - 2))
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return std::nullopt;
  } else {
    auto colon = rest.find(':');
    if (colon != std::string::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
    }
    if (host.empty()) return std::nullopt;
    for (char c : host)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return std::nullopt;
  }
  if (!port.empty() || (rest.find(':') != std::string::npos && rest.front() != '[')) {
    if (port.empty() || port.size() > 5) return std::nullopt;
    for (char c : port)
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    unsigned long n = std::stoul(port);
    if (n == 0 || n > 65535) return std::nullopt;
    if ((scheme == "https" && n == 443) || (scheme == "http" && n == 80)) port.clear();
  }
  return scheme + "://" + host + (port.empty() ? "" : ":" + port);
}

std::optional<std::string> canonical_websocket_url(const std::string& url) {
  std::string scheme = url.substr(0, 6);
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "wss://") return std::nullopt;
  std::string rest = url.substr(6);
  auto slash = rest.find('/');
  std::string path = slash == std::string::npos ? std::string(kXmppWebSocketPath) : rest.substr(slash);
  auto origin = canonical_origin("https://" + rest.substr(0, slash));
  if (!origin) return std::nullopt;
  // The path goes into host-meta's documents as it is: only URL path characters.
  for (char c : path)
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("/-._~%").find(c) == std::string_view::npos)
      return std::nullopt;
  return "wss://" + origin->substr(8) + path;
}

bool origin_allowed(const std::string& origin, const std::string& host, const std::vector<std::string>& allowed) {
  auto o = canonical_origin(origin);
  if (!o) return false;
  if (auto own = canonical_origin("https://" + host); own && *own == *o) return true;
  for (const auto& a : allowed)
    if (auto c = canonical_origin(a); c && *c == *o) return true;
  return false;
}

WebSocketAnswer answer_xmpp_websocket(Daemon& daemon, const HttpRequest& r) {
  WebSocketAnswer a;
  auto log = logger("web");
  if (r.path != kXmppWebSocketPath) {
    a.refusal = refuse(404, "no WebSocket endpoint here; XMPP is at " + std::string(kXmppWebSocketPath));
    return a;
  }
  WebadminConfig c = webadmin_config(daemon.node().config());
  if (!c.websocket) {
    a.refusal = refuse(404, "XMPP over WebSocket is off on this node ('webadmin websocket on' turns it on)");
    return a;
  }
  if (r.header("sec-websocket-version") != "13") {
    a.refusal = refuse(426, "WebSocket version 13 is required");
    a.refusal->headers.push_back({"Sec-WebSocket-Version", "13"});
    return a;
  }
  if (!offers_xmpp(r.header("sec-websocket-protocol"))) {
    log->info("{}: WebSocket upgrade refused: no 'xmpp' subprotocol offered", r.peer);
    a.refusal = refuse(400, "the WebSocket subprotocol 'xmpp' is required (RFC 7395)");
    return a;
  }
  if (auto origin = r.header("origin"); !origin.empty() && !origin_allowed(origin, r.header("host"), c.websocket_origins)) {
    log->warn("{}: WebSocket upgrade refused: origin '{}' is not allowed", r.peer, origin);
    a.refusal = refuse(403, "origin not allowed; an operator may allow it with 'webadmin websocket origins add <origin>'");
    return a;
  }
  if (!daemon.xmpp().status().running) {
    a.refusal = refuse(503, "the XMPP service does not run on this node");
    return a;
  }
  a.protocol = "xmpp";
  Daemon* d = &daemon;
  a.start = [d, peer = r.peer, port = r.peer_port](std::shared_ptr<WebSocketChannel> channel)
      -> std::shared_ptr<WebSocketSession> {
    auto session = std::make_shared<XmppOverWebSocket>(std::move(channel), peer + ":" + std::to_string(port));
    auto carried = d->xmpp().open_client_stream(session, true, peer, port);
    if (!carried.stream) return nullptr;  // the service stopped since the check: the channel is closed
    session->set_stream(carried.stream, carried.max_stanza_bytes);
    logger("web")->info("{}:{}: XMPP over WebSocket", peer, port);
    return session;
  };
  return a;
}

}  // namespace convene::web
