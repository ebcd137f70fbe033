#pragma once
// The client side of XEP-0114 (jabber:component:accept): a plain TCP stream to an
// XMPP server's component port (5223), opened to '<name>.<domain>'; the server
// answers with a stream id and we prove the shared secret with
// <handshake>hex(SHA-1(id + secret))</handshake>. The server answers <handshake/>,
// or <stream:error><not-authorized/> when it rejects the secret.
//
// TLS (optional, `tls_trust` set): the stream opens with version='1.0', the server
// must offer STARTTLS in its stream features (xmpp/component.h), and its
// certificate must chain to the trust bundle (a CA, or the servers' own
// certificates) and name the XMPP domain. There is no fallback to plain TCP: a
// server without TLS, or with a certificate the trust does not vouch for, is a
// failed connection whose message says which.
//
// Blocking, with bounded time-outs: one connector thread owns the client and does
// nothing else meanwhile. The stop flag is looked at at least every 100 ms.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "xml/element.h"

namespace convene::callbridge {

struct ConnectFailure {
  // held: a standby was told <conflict/>: the name is served elsewhere (not a fault).
  enum class Kind { unreachable, authentication, protocol, held };
  Kind kind;
  std::string message;  // "connection refused", "secret rejected (not-authorized)", ...
};

class ComponentClient {
 public:
  ComponentClient();
  ~ComponentClient();
  ComponentClient(const ComponentClient&) = delete;
  ComponentClient& operator=(const ComponentClient&) = delete;

  struct Tls {
    std::string trust_file;  // PEM bundle; empty: no TLS
    std::string domain;      // the name the server's certificate must hold
    bool standby;            // <handshake standby='true'>: take the name only if nobody holds it
  };
  // Connect to address:port, open the stream to `component` (TLS first when
  // `tls.trust_file` is set) and authenticate.
  std::optional<ConnectFailure> connect(const std::string& address, uint16_t port, const std::string& component,
                                        const std::string& secret, std::chrono::milliseconds timeout,
                                        const std::atomic<bool>& stop, const Tls& tls = {});

  // Read stanzas until the connection ends or `stop` is set; returns why it ended.
  // `on_stanza` runs on this thread and may call send(); so does `on_tick`, at
  // least every 100 ms.
  std::string run(const std::function<void(xml::Element&)>& on_stanza, const std::atomic<bool>& stop,
                  const std::function<void()>& on_tick = {});

  // Queue-free blocking write of one stanza (bounded by a 5 s time-out).
  bool send(std::string_view bytes);
  // Send </stream:stream> (if connected) and close the socket.
  void close();
  bool connected() const;
  // This end of the connection, "127.0.0.1:4711" as the server names its peer
  // (so status can tell which process holds a name); empty when not connected.
  std::string local_address() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace convene::callbridge
