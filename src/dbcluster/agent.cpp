#include "dbcluster/agent.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "dbcluster/agent_core.h"
#include "dbcluster/agent_replication.h"
#include "dbcluster/agent_status.h"
#include "dbcluster/callbridge_schema.h"
#include "dbcluster/failover.h"
#include "dbcluster/lease_keeper.h"
#include "dbcluster/membership.h"
#include "dbcluster/replication.h"
#include "node/node.h"
#include "pki/verify.h"
#include "util/thread_name.h"

namespace convene::dbcluster {

namespace {

// The members check each other's server certificate against the address they
// dial (sslmode=verify-full): a server certificate that does not name this
// node's address would fail every connection to it, so it is refused up front.
Status check_names_address(const std::filesystem::path& server_cert, const std::filesystem::path& ca,
                           const std::string& shown_name, const std::string& address) {
  pki::VerifyOptions o;
  o.host = address;
  auto report = pki::verify_chain_files(server_cert, ca, pki::current_time(), o);
  if (report.problem != pki::ChainProblem::kHostMismatch) return ok_status();
  return make_error("server certificate " + shown_name + " does not name this node's database address " + address +
                        " (the members check it against the address they connect to)",
                    "Nothing was changed. Issue it with every node's address as subjectAltName, e.g.\n"
                    "'pki csr dbclusterserver CN:dbclusterserver subjectAltName:10.106.85.73,10.106.85.74,"
                    "10.106.85.75', sign it, and run 'database cluster certs' again.");
}

// Wires the parts to the threads and the command mutex (agent.h, agent_core.h).
class AgentImpl final : public Agent {
 public:
  explicit AgentImpl(Node& node) : core_(node), membership_(core_), failover_(core_), lease_(core_) {}
  ~AgentImpl() override { stop(); }

  Status open() {
    // Before anything starts PostgreSQL: a guard's first lease is short, and a
    // start (crash recovery) may take longer.
    lease_.start();
    {
      std::lock_guard lock(core_.command_mutex);
      CONVENE_TRY(membership_.resume());
    }
    log_expiry(core_);
    worker_ = std::thread([this] {
      set_thread_name("db-agent");
      work();
    });
    return ok_status();
  }

  Status set_localnode(const std::string& iface, const std::string& line) override {
    std::lock_guard lock(core_.command_mutex);
    return membership_.set_localnode(iface, line);
  }

  Status set_certs(const CertNames& n, const std::string& line,
                   const std::function<void(const std::string&)>& say) override {
    std::lock_guard lock(core_.command_mutex);
    auto me = core_.my_address();
    auto cert = core_.node.paths().existing_file(n.server_cert);
    auto ca = core_.node.paths().existing_file(n.ca_cert);
    if (me && cert && ca) CONVENE_TRY(check_names_address(*cert, *ca, n.server_cert, *me));
    return membership_.set_certs(n, line, say);
  }

  bool in_cluster() const override { return core_.settings().enabled; }

  Status check_initialize() override {
    std::lock_guard lock(core_.command_mutex);
    CONVENE_TRY(membership_.check_ready());
    return check_installed_names_me();
  }

  Status check_join(const std::string& master) override {
    // Before any connection: the address ends up in postgresql.conf.
    CONVENE_TRY(check_member_address(master));
    std::lock_guard lock(core_.command_mutex);
    CONVENE_TRY(membership_.check_ready());
    CONVENE_TRY(check_installed_names_me());
    return membership_.check_join(master);
  }

  Status initialize(const std::string& line) override {
    std::lock_guard lock(core_.command_mutex);
    auto st = membership_.initialize();
    core_.record_result(line, st);
    return st;
  }

  Status join(const std::string& master, const std::string& line) override {
    CONVENE_TRY(check_member_address(master));
    std::lock_guard lock(core_.command_mutex);
    auto st = membership_.join(master);
    core_.record_result(line, st);
    return st;
  }

  Status start_remove(const std::string& line) override {
    std::lock_guard lock(core_.command_mutex);
    if (core_.disabling) return make_error("a remove is already in progress");
    if (!core_.settings().enabled)
      return make_error("this node is not in a database cluster", "Nothing to remove.");
    {
      // status_text() reads the flag and the time together under state_mutex, not
      // under the command mutex the remove holds: so they are written under it too.
      std::lock_guard state(core_.state_mutex);
      core_.disabling = true;
      core_.disabling_since = AgentClock::now();
    }
    if (remover_.joinable()) remover_.join();
    remover_ = std::thread([this, line] {
      set_thread_name("db-remove");
      std::lock_guard lock(core_.command_mutex);
      auto st = membership_.remove();
      core_.record_result(line, st);
      core_.disabling = false;
    });
    return ok_status();
  }

  std::string status_text() override { return dbcluster::status_text(core_); }
  ReplicationState replication_state() override { return dbcluster::replication_state(core_); }

  Status check_installed_names_me() {
    auto me = core_.my_address();
    if (!me) return me.error();
    auto tls = core_.pg.installed_tls();
    auto cfg = core_.settings();
    return check_names_address(tls.server_cert, tls.ca_cert, cfg.certs ? cfg.certs->server_cert : "", *me);
  }

  Result<std::string> application_conninfo() override {
    DatabaseConfig cfg;
    {
      std::lock_guard lock(core_.state_mutex);
      cfg = core_.settings();
    }
    if (!cfg.enabled) return make_error("this node is not in a database cluster");
    auto me = core_.my_address();
    if (!me) return me.error();
    auto hosts = application_hosts(core_.known_members(), *me, cfg.master);
    return dbcluster::application_conninfo(hosts, core_.pg.installed_tls());
  }

  Result<ClusterView> cluster_view() override {
    DatabaseConfig cfg;
    {
      std::lock_guard lock(core_.state_mutex);
      cfg = core_.settings();
    }
    if (!cfg.enabled) return make_error("this node is not in a database cluster");
    ClusterView v;
    v.members = core_.known_members();
    auto group = core_.lease_group();
    if (!group) {
      v.master = cfg.master;  // an older cluster without failover: the configured master is the master
    } else if (!group->in_majority(FailoverReconciler::kMajorityWindow)) {
      v.master_unknown = "this node reaches no majority of the database agents";
    } else {
      v.master = group->view().master;
      if (v.master.empty()) v.master_unknown = "the database agents have recorded no master yet";
    }
    return v;
  }

  Status with_database(const std::function<Status(PostgresInstance&)>& work) override {
    std::lock_guard lock(core_.command_mutex);
    return work(core_.pg);
  }

  void stop() override {
    {
      std::lock_guard lock(wake_mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
    if (remover_.joinable()) remover_.join();
    {
      std::lock_guard lock(core_.command_mutex);
      core_.close_group();
      if (core_.pg.initialized())
        if (auto st = core_.pg.stop(); !st) core_.log->error("{}", st.error().text());
    }
    // Last: an orderly stop is a fast shutdown, not the guard's immediate one.
    lease_.stop();
  }

 private:
  // The worker thread: a failover round every kPeriod, the certificate expiry
  // warnings every 6 hours.
  void work() {
    auto last_expiry_log = AgentClock::now();
    for (;;) {
      {
        std::unique_lock lock(wake_mutex_);
        wake_.wait_for(lock, FailoverReconciler::kPeriod, [this] { return stopping_; });
        if (stopping_) return;
      }
      if (AgentClock::now() - last_expiry_log > std::chrono::hours(6)) {
        last_expiry_log = AgentClock::now();
        log_expiry(core_);
      }
      std::unique_lock lock(core_.command_mutex, std::try_to_lock);
      if (!lock.owns_lock()) continue;  // a command is changing things
      failover_.step();
    }
  }

  AgentCore core_;
  Membership membership_;         // command_mutex
  FailoverReconciler failover_;   // the worker, command_mutex
  LeaseKeeper lease_;             // its own thread, from open() to the end of stop()
  std::thread worker_, remover_;  // remover_: started under command_mutex
  std::mutex wake_mutex_;         // guards stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace

Result<std::unique_ptr<Agent>> open_agent(Node& node) {
  auto agent = std::make_unique<AgentImpl>(node);
  CONVENE_TRY(agent->open());
  return std::unique_ptr<Agent>(std::move(agent));
}

}  // namespace convene::dbcluster
