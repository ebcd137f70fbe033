// make_service: settings validation, the TLS context, listeners for clients on
// every listen address and for components where call bridges are, and the
// event-loop threads (one io_context each; new connections are spread round-robin
// over them).
#include "xmpp/service.h"

#include <sched.h>

#include <thread>

#include "cluster/admission.h"
#include "pki/key.h"
#include "tls/tls_context.h"
#include "util/log.h"
#include "util/thread_name.h"
#include "xmpp/c2s.h"
#include "xmpp/cluster_router.h"
#include "xmpp/component_wait.h"
#include "xmpp/component.h"
#include "xmpp/heap_trimmer.h"
#include "xmpp/server.h"

namespace convene::xmpp {

namespace {
// One loop per core this process may run on: under `taskset -c 0` that is one, where
// hardware_concurrency() would still say two and put two loops on one core.
unsigned usable_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}


// Component connections carry the call bridges' shared secrets and may send
// stanzas from any user of their domain: they are taken only where call bridges
// are (settings.h), not on every interface clients use.
std::vector<std::string> component_addresses(const Settings& s) {
  if (!s.component_addresses.empty()) return s.component_addresses;
  std::vector<std::string> out{s.addresses.front()};
  asio::error_code ec;
  auto first = asio::ip::make_address(s.addresses.front(), ec);
  if (!ec && !first.is_loopback()) out.push_back("127.0.0.1");
  return out;
}

// The listeners' context (tls/tls_context.h, Purpose::xmpp_clients); the files are
// checked here first so an operator's mistake is told in the PKI's words.
Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const std::string& key, const std::string& cert,
                                                             const std::string& bundle) {
  if (auto st = pki::check_key_cert_files(key, cert); !st) return st.error();
  return tls::make_tls_context({tls::Purpose::xmpp_clients, key, cert, {}, bundle});
}

class ServiceImpl final : public Service {
 public:
  explicit ServiceImpl(XmppStore& store) : store_(store) {}
  ~ServiceImpl() override { stop(); }

  Status start(const Settings& settings) override {
    std::lock_guard lock(mu_);
    if (server_) return make_error("the XMPP service is already running");
    Settings s = settings;
    auto domain = prepare_domainpart(s.domain);
    if (s.domain.empty() || !domain)
      return make_error("the XMPP domain is not set or not valid", "set it with: xmpp domain <domain>");
    s.domain = *domain;
    if (s.addresses.empty()) return make_error("no listen interface is set", "set one with: xmpp listen <iface>");
    std::shared_ptr<asio::ssl::context> tls;
    if (!s.key_file.empty() || !s.cert_file.empty()) {
      auto t = make_tls_context(s.key_file, s.cert_file, s.bundle_file);
      if (!t) return t.error();
      tls = std::move(*t);
    } else if (!s.allow_plaintext) {
      return make_error("no certificate is set for the XMPP server", "set them with: xmpp certs <key> <cert> [<bundle>]");
    }
    unsigned threads = s.threads ? s.threads : usable_cores();
    auto server = std::make_unique<Server>(store_, s, tls);
    server->log = logger("xmpp");
    std::vector<std::unique_ptr<asio::io_context>> ios;
    for (unsigned i = 0; i < threads; ++i) ios.push_back(std::make_unique<asio::io_context>(1));
    std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors;
    std::vector<std::string> listening;
    std::vector<std::pair<std::string, bool>> binds;  // address, component port?
    for (const auto& address : s.addresses) binds.emplace_back(address, false);
    for (const auto& address : component_addresses(s)) binds.emplace_back(address, true);
    std::vector<bool> component_acceptor;
    for (const auto& [address, component] : binds) {
      asio::error_code ec;
      auto ip = asio::ip::make_address(address, ec);
      if (ec) return make_error("'" + address + "' is not an IP address");
      {
        const uint16_t port = component ? s.component_port : s.client_port;
        auto a = std::make_unique<asio::ip::tcp::acceptor>(*ios[0]);
        asio::ip::tcp::endpoint ep(ip, port);
        a->open(ep.protocol(), ec);
        if (!ec) a->set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec) a->bind(ep, ec);
        if (!ec) a->listen(asio::socket_base::max_listen_connections, ec);
        if (ec)
          return make_error("cannot listen on " + address + ":" + std::to_string(port) + ": " + ec.message(),
                            "check that no other server uses this port");
        listening.push_back(address + ":" + std::to_string(port));
        acceptors.push_back(std::move(a));
        component_acceptor.push_back(component);
      }
    }
    server_ = std::move(server);
    ios_ = std::move(ios);
    acceptors_ = std::move(acceptors);
    listening_ = std::move(listening);
    server_->component_wait = std::make_shared<ComponentWait>(*server_);
    server_->component_wait->start(*ios_[0]);
    for (size_t i = 0; i < acceptors_.size(); ++i) accept(*acceptors_[i], component_acceptor[i]);
    trimmer_ = std::make_unique<HeapTrimmer>(*ios_[0], server_->idle_memory_released);
    trimmer_->start();
    // Posted: the store calls on the thread that applied the message (raft's), which
    // must not wait for the session registry's lock.
    store_.on_offline_stored([server = server_.get(), io = ios_[0].get()](const std::string& user) {
      asio::post(*io, [server, user] { offline_stored(*server, user); });
    });
    for (auto& io : ios_) {
      guards_.emplace_back(asio::make_work_guard(*io));
      threads_.emplace_back([io = io.get()] {
        set_thread_name("xmpp-io");
        io->run();
      });
    }
    server_->log->info("XMPP service for {} listening on {} ({} thread(s){})", s.domain, fmt_list(listening_),
                       threads, s.allow_plaintext ? ", plaintext allowed" : "");
    if (bus_) attach_router();
    return ok_status();
  }

  void set_cluster(std::shared_ptr<ClusterBus> bus) override {
    std::lock_guard lock(mu_);
    if (router_) detach_router();
    bus_ = std::move(bus);
    if (server_ && bus_) attach_router();
  }

  void stop() override {
    std::lock_guard lock(mu_);
    if (!server_) return;
    server_->stopping = true;
    store_.on_offline_stored(nullptr);  // before the loops go: it posts to one
    for (auto& a : acceptors_) asio::post(a->get_executor(), [a = a.get()] {
      asio::error_code ec;
      a->close(ec);
    });
    std::vector<std::shared_ptr<Connection>> open;
    {
      std::lock_guard cl(server_->conn_mu);
      for (auto& [p, w] : server_->connections)
        if (auto c = w.lock()) open.push_back(std::move(c));
    }
    for (auto& c : open) {
      c->post_close("system-shutdown");
      c->on_service_stop();
    }
    // Let the stream errors go out and the sessions end, handing on what their
    // clients did not acknowledge (server.h: stopping), bounded. The router stays
    // until then: the other nodes hear of every session's end now (its client is
    // back on one of them in a moment, and a stale entry would have the cluster
    // refuse what it sends), and what it hands to another node gets confirmed.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    auto done = [&] {
      std::lock_guard cl(server_->conn_mu);
      for (auto& [p, w] : server_->connections)
        if (auto c = w.lock(); c && !c->closed()) return false;
      return server_->registry.counts().local_sessions == 0 && server_->handing_on == 0 &&
             (!router_ || router_->counters().unconfirmed == 0);
    };
    while (!done() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (int left = server_->handing_on; left > 0)
      server_->log->warn("stopping: {} session end(s) or offline write(s) still unfinished after 3 s", left);
    if (router_) detach_router();  // while the loops still run: the router's tick lives on one
    guards_.clear();
    for (auto& io : ios_) io->stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    server_->registry.clear();
    open.clear();
    acceptors_.clear();
    trimmer_.reset();
    server_->component_wait->stop();
    ios_.clear();  // destroys pending handlers and with them the connections
    server_->log->info("XMPP service stopped");
    server_.reset();
    listening_.clear();
  }

  Status replace_certificate(const std::string& key_file, const std::string& cert_file,
                             const std::string& bundle_file) override {
    // Built before the lock: a bad file changes nothing and blocks no status call.
    auto tls = make_tls_context(key_file, cert_file, bundle_file);
    if (!tls) return tls.error();
    std::lock_guard lock(mu_);
    if (!server_) return make_error("the XMPP service is not running");
    server_->set_tls(std::move(*tls));
    server_->log->info("XMPP certificate replaced by {}: new TLS handshakes use it, open sessions keep theirs",
                       cert_file);
    return ok_status();
  }

  ServiceStatus status() const override {
    std::lock_guard lock(mu_);
    ServiceStatus st;
    if (!server_) return st;
    st.running = true;
    st.listening = listening_;
    auto counts = server_->registry.counts();
    st.client_sessions = counts.local_sessions;
    st.cluster_sessions = counts.remote_sessions;
    st.components = std::move(counts.components);
    st.cluster_components = std::move(counts.remote_components);
    st.routed_messages = server_->routed.message;
    st.routed_presences = server_->routed.presence;
    st.routed_iqs = server_->routed.iq;
    if (router_) {
      auto c = router_->counters();
      st.forwarded = c.forwarded;
      st.resent = c.resent;
      st.unconfirmed = c.unconfirmed;
      st.delivered_for_others = c.delivered_here;
      st.duplicates = c.duplicates;
      st.forwarded_straight = c.straight;
      st.passed_on = c.passed_on;
    }
    return st;
  }

  CarriedStream open_client_stream(std::shared_ptr<StreamTransport> transport, bool secure, std::string peer_ip,
                                   uint16_t peer_port) override {
    std::lock_guard lock(mu_);
    if (!server_) return {};
    auto& io = *ios_[next_++ % ios_.size()];
    auto c = std::make_shared<ClientStream>(*server_, io.get_executor(), std::move(transport), secure,
                                            std::move(peer_ip), peer_port);
    asio::post(io, [c] { c->start(); });
    return {c, server_->settings.limits.max_stanza_bytes};
  }

  ComponentHolder component_holder(const std::string& domain) const override {
    std::lock_guard lock(mu_);
    ComponentHolder h;
    if (!server_) {
      h.why_unknown = "the XMPP service does not run on this node";
      return h;
    }
    if (auto local = server_->registry.local_component(domain)) {
      h.where = ComponentHolder::Where::here;
      h.standby = local->standby();
      h.peer = local->peer();
    } else if (auto node = server_->registry.remote_component(domain)) {
      h.where = ComponentHolder::Where::other_node;
      h.node = *node;
    } else if (router_ && !router_->registry_current()) {
      // Nobody in this node's copy, but the copy may lack the holder (cluster_router.h).
      h.why_unknown = "this node has not had the cluster's list of call bridges since it joined or restarted";
    } else {
      h.where = ComponentHolder::Where::nobody;
    }
    return h;
  }

 private:
  static std::string fmt_list(const std::vector<std::string>& v) {
    std::string s;
    for (auto& x : v) s += (s.empty() ? "" : " ") + x;
    return s;
  }

  void accept(asio::ip::tcp::acceptor& acceptor, bool component) {
    auto& io = *ios_[next_++ % ios_.size()];
    acceptor.async_accept(io, [this, &acceptor, &io, component](const asio::error_code& ec,
                                                                 asio::ip::tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        std::shared_ptr<Connection> c;
        if (component) c = std::make_shared<ComponentStream>(*server_, std::move(socket));
        else c = std::make_shared<ClientStream>(*server_, std::move(socket));
        asio::post(io, [c] { c->start(); });
        accept(acceptor, component);
        return;
      }
      // Out of descriptors (EMFILE, ENFILE) or memory: the pending connection stays
      // in the backlog and accepting again at once would fail again at once, a loop
      // that holds a core and starves the sessions on this thread. Pause instead,
      // and say so at most once per 10 s per listener and cause: a full table lasts,
      // and ten lines a second would bury everything else in the log.
      std::size_t unsaid = 0;
      if (accept_failures_.should_log(endpoint_text(acceptor) + " " + ec.message(),
                                      cluster::RefusalLog::Clock::now(), &unsaid))
        logger("xmpp")->warn("cannot accept on {}: {}; pausing accepts for {} ms at each failure (said at most "
                             "every 10 s)",
                             endpoint_text(acceptor), ec.message(), kAcceptPause.count());
      auto timer = std::make_shared<asio::steady_timer>(acceptor.get_executor(), kAcceptPause);
      timer->async_wait([this, &acceptor, component, timer](const asio::error_code& wait_ec) {
        if (!wait_ec && acceptor.is_open()) accept(acceptor, component);
      });
    });
  }
  static constexpr std::chrono::milliseconds kAcceptPause{100};
  static std::string endpoint_text(const asio::ip::tcp::acceptor& acceptor) {
    asio::error_code ec;
    auto ep = acceptor.local_endpoint(ec);
    return ec ? std::string("a listener") : ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  // mu_ held, service running.
  void attach_router() {
    router_ = std::make_shared<ClusterRouter>(*server_, bus_);
    {
      std::lock_guard l(server_->cluster_mu);
      server_->cluster_router = router_;
    }
    server_->registry.add_observer(router_);
    router_->start(*ios_[0]);
  }
  void detach_router() {
    {
      std::lock_guard l(server_->cluster_mu);
      server_->cluster_router.reset();
    }
    server_->registry.remove_observer(router_.get());
    router_->stop();
    router_.reset();
  }

  XmppStore& store_;
  mutable std::mutex mu_;
  std::shared_ptr<ClusterBus> bus_;
  std::shared_ptr<ClusterRouter> router_;
  std::unique_ptr<Server> server_;
  std::vector<std::unique_ptr<asio::io_context>> ios_;
  std::unique_ptr<HeapTrimmer> trimmer_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::vector<std::string> listening_;
  std::atomic<size_t> next_{0};
  cluster::RefusalLog accept_failures_;  // accept failures logged, keyed by listener and cause
};

}  // namespace

std::unique_ptr<Service> make_service(XmppStore& store) { return std::make_unique<ServiceImpl>(store); }

}  // namespace convene::xmpp
