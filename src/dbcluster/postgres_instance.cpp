#include "dbcluster/postgres_instance.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "dbcluster/process.h"
#include "pki/certificate_info.h"
#include "pki/pem.h"
#include "util/files.h"
#include "util/safe_files.h"
#include "util/log.h"

namespace convene::dbcluster {

namespace fs = std::filesystem;

namespace {
const std::string kBin = "/usr/lib/postgresql/15/bin/";

// Written as postgres's from the first byte (write_file_atomic's owner): these
// directories belong to postgres, and a chown after the rename could be made to
// follow a link postgres swapped in for the file.
Status write_postgres_file(const fs::path& path, const std::string& content, unsigned mode = 0600) {
  auto account = postgres_account();
  if (!account) return account.error();
  return write_file_atomic(path, content, mode, FileOwner{account->uid, account->gid});
}

// The CN PostgreSQL's `cert` authentication sees for the installed client
// certificate: the name the ident map admits.
Result<std::string> client_common_name(const fs::path& cert_file) {
  auto certs = pki::load_certificates(cert_file);
  if (!certs) return certs.error();
  if (certs->empty()) return make_error("no certificate in '" + cert_file.string() + "'");
  auto info = pki::read_certificate_info(certs->front().get());
  if (!info) return info.error();
  auto cn = info->subject.get("CN");
  CONVENE_TRY(check_certificate_name(cn));
  return cn;
}

Status make_postgres_dir(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return make_error("cannot create '" + path.string() + "': " + ec.message());
  if (chmod(path.c_str(), 0700) != 0) return make_error("cannot chmod '" + path.string() + "'");
  return chown_to_postgres(path, false);
}

// Lets the postgres group traverse (not list) a root-owned directory.
Status allow_traversal(const fs::path& path) {
  auto account = postgres_account();
  if (!account) return account.error();
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return make_error("cannot stat '" + path.string() + "'");
  if (st.st_uid == account->uid) return ok_status();
  if (st.st_gid != account->gid && chown(path.c_str(), st.st_uid, account->gid) != 0)
    return make_error("cannot set group of '" + path.string() + "': " + std::strerror(errno));
  if ((st.st_mode & 0010) == 0 && chmod(path.c_str(), (st.st_mode & 07777) | 0010) != 0)
    return make_error("cannot chmod '" + path.string() + "': " + std::strerror(errno));
  return ok_status();
}
}  // namespace

PostgresInstance::PostgresInstance(fs::path node_dir) : dir_(std::move(node_dir)), state_(dir_ / "state") {}

TlsFiles PostgresInstance::installed_tls() const {
  auto d = certs_dir();
  return {d / "server.key", d / "server.crt", d / "client.key", d / "client.crt", d / "ca.crt"};
}

Status PostgresInstance::prepare() {
  // Never make_dirs() an existing state dir: it would chmod 0700 and cut a running
  // PostgreSQL off its own files for a moment.
  if (!fs::exists(state_)) CONVENE_TRY(make_dirs(state_, true));
  CONVENE_TRY(allow_traversal(dir_));
  CONVENE_TRY(allow_traversal(state_));
  CONVENE_TRY(make_postgres_dir(run_dir()));
  CONVENE_TRY(make_postgres_dir(certs_dir()));
  // Every directory above the node's must let postgres through.
  auto r = run_program({"/usr/bin/test", "-x", state_.string()});
  if (!r) return r.error();
  if (r->exit_code != 0)
    return make_error("the postgres account cannot reach '" + state_.string() + "'",
                      "Let it traverse every directory above the node directory (chmod o+x, or group postgres g+x).");
  return ok_status();
}

bool PostgresInstance::initialized() const { return fs::exists(data_dir() / "PG_VERSION"); }

Status PostgresInstance::initdb() {
  CONVENE_TRY(make_postgres_dir(data_dir()));
  CONVENE_TRY(run_checked("initdb", {kBin + "initdb", "-D", data_dir().string(), "-U", "postgres", "-E", "UTF8",
                                     "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=reject", "--no-instructions"}));
  auto conf_file = data_dir() / "postgresql.conf";
  auto conf = read_regular_file(conf_file);
  if (!conf) return conf.error();
  return write_postgres_file(
      conf_file, *conf + "\n# Convene: the settings its database agent controls\ninclude_if_exists = 'convene.conf'\n");
}

Status PostgresInstance::configure(const PgSettings& s, StandbySignal signal) {
  if (!s.listen_address.empty()) CONVENE_TRY(check_member_address(s.listen_address));
  auto tls = installed_tls();
  std::string conf;
  conf += "# Written by convened; rewritten on every change.\n";
  conf += "listen_addresses = " + conf_quote(s.listen_address) + "\n";
  conf += "port = " + std::to_string(kPort) + "\n";
  conf += "unix_socket_directories = " + conf_quote(run_dir().string()) + "\n";
  conf += "unix_socket_permissions = 0700\n";
  conf += "ssl = " + std::string(s.ssl ? "on" : "off") + "\n";
  if (s.ssl) {
    conf += "ssl_cert_file = " + conf_quote(tls.server_cert.string()) + "\n";
    conf += "ssl_key_file = " + conf_quote(tls.server_key.string()) + "\n";
    conf += "ssl_ca_file = " + conf_quote(tls.ca_cert.string()) + "\n";
  }
  conf += "wal_level = replica\nwal_log_hints = on\nmax_wal_senders = 10\nmax_replication_slots = 10\n";
  conf += "wal_keep_size = '128MB'\nhot_standby = on\nhot_standby_feedback = on\n";
  conf += "wal_receiver_status_interval = '1s'\nwal_retrieve_retry_interval = '500ms'\n";
  conf += "wal_sender_timeout = '5s'\nwal_receiver_timeout = '5s'\n";
  conf += "synchronous_commit = on\n";
  conf += "synchronous_standby_names = " + conf_quote(s.synchronous_standby_names) + "\n";
  conf += "primary_conninfo = " + conf_quote(s.primary_conninfo) + "\n";
  conf += "recovery_target_timeline = 'latest'\n";
  // After a crash (kill -9 of the postmaster) PostgreSQL first syncs its data
  // directory: file by file by default, about 1,000 fsyncs that took 2.4 s on a
  // quiet machine here and 8 s beside a build; one syncfs() took 0.4 s. Writes
  // wait for it. The cost: syncfs also flushes other files of that filesystem.
  conf += "recovery_init_sync_method = syncfs\n";
  CONVENE_TRY(write_postgres_file(data_dir() / "convene.conf", conf));
  CONVENE_TRY(write_postgres_file(data_dir() / "postgresql.auto.conf", "# kept empty by convened\n"));
  CONVENE_TRY(write_access_files());
  if (signal == StandbySignal::keep) return ok_status();
  auto signal_file = data_dir() / "standby.signal";
  if (!s.primary_conninfo.empty()) {
    CONVENE_TRY(write_postgres_file(signal_file, ""));
  } else {
    std::error_code ec;
    fs::remove(signal_file, ec);
  }
  return ok_status();
}

Status PostgresInstance::write_access_files() {
  // Each role from the network only by a client certificate of the cluster CA whose
  // CN is the cluster's (map dbcluster), and only for the database it needs.
  std::string hba =
      "# Written by convened.\n"
      "# The Unix socket directory is private to postgres (and root).\n"
      "local all all trust\n"
      "# Cluster peers: mutual TLS, the cluster's client certificate (by CN) only.\n"
      "hostssl replication replicator 0.0.0.0/0 cert map=dbcluster\n"
      "hostssl postgres convene_agent 0.0.0.0/0 cert map=dbcluster\n"
      "# The call bridge's spaces: the same certificate, as role callbridge, database convene only.\n"
      "hostssl convene callbridge 0.0.0.0/0 cert map=dbcluster\n"
      "host all all 0.0.0.0/0 reject\n"
      "host all all ::/0 reject\n";
  std::string ident = "# No cluster certificate installed: nobody is admitted from the network.\n";
  if (fs::exists(installed_tls().client_cert)) {
    auto cn = client_common_name(installed_tls().client_cert);
    if (!cn) return cn.error();
    ident = ident_map(*cn);
  }
  CONVENE_TRY(write_postgres_file(data_dir() / "pg_hba.conf", hba));
  return write_postgres_file(data_dir() / "pg_ident.conf", ident);
}

bool PostgresInstance::running() const {
  std::ifstream pidfile(data_dir() / "postmaster.pid");
  long pid = 0;
  if (!(pidfile >> pid) || pid <= 0) return false;
  return kill(static_cast<pid_t>(pid), 0) == 0;
}

std::pair<pid_t, std::string> PostgresInstance::postmaster_state() const {
  // Line 1: the pid; line 8: "starting", "stopping", "ready" or "standby".
  std::ifstream file(data_dir() / "postmaster.pid");
  std::string line;
  long pid = 0;
  std::string status;
  for (int n = 1; n <= 8 && std::getline(file, line); ++n) {
    if (n == 1) pid = std::strtol(line.c_str(), nullptr, 10);
    if (n == 8) status = line;
  }
  while (!status.empty() && status.back() == ' ') status.pop_back();
  auto first = status.find_first_not_of(' ');
  return {static_cast<pid_t>(pid > 0 ? pid : 0), first == std::string::npos ? "" : status.substr(first)};
}

std::string PostgresInstance::log_tail() const {
  // O_NOFOLLOW: the file is postgres's, and a link there must not show root's files.
  int fd = ::open(log_file().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out(600, '\0');
  off_t end = ::lseek(fd, 0, SEEK_END);
  ssize_t n = end > 0 ? ::pread(fd, out.data(), out.size(), end > 600 ? end - 600 : 0) : 0;
  ::close(fd);
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

Status PostgresInstance::start() {
  constexpr auto kStartBound = std::chrono::seconds(30);
  if (running()) {
    if (guard_.guards(postmaster_state().first)) return ok_status();
    // Not our guard's child: one just fenced may still be ending its immediate
    // shutdown (a moment), or an older version started it with pg_ctl (it would
    // outlive this agent): wait briefly, then stop it in order.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (running() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (running()) {
      logger("database")->warn("a PostgreSQL not run by this node's guard is running: stopping it to start it guarded");
      CONVENE_TRY(stop());
    }
  }
  auto guard = guard_.start({kBin + "postgres", "-D", data_dir().string()}, log_file());
  if (!guard) return guard.error();
  auto deadline = std::chrono::steady_clock::now() + kStartBound;
  while (std::chrono::steady_clock::now() < deadline) {
    auto [pid, status] = postmaster_state();
    if (pid > 0 && parent_of(pid) == *guard && (status == "ready" || status == "standby")) return ok_status();
    if (guard_.pid() != *guard) {
      auto tail = log_tail();
      return make_error("PostgreSQL did not start" + (tail.empty() ? std::string() : ": " + tail),
                        "See " + log_file().string() + ".");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return make_error("PostgreSQL did not take connections within " + std::to_string(kStartBound.count()) + " s",
                    "See " + log_file().string() + ".");
}

Status PostgresInstance::stop(bool immediate) {
  if (!running()) return ok_status();
  RunOptions o;
  o.timeout = std::chrono::seconds(40);
  return run_checked("stopping PostgreSQL", {kBin + "pg_ctl", "-D", data_dir().string(), "-m",
                                             immediate ? "immediate" : "fast", "-w", "-t", "30", "stop"},
                     o);
}

Status PostgresInstance::restart() {
  CONVENE_TRY(stop());
  return start();
}

Status PostgresInstance::reload() {
  if (!running()) return ok_status();
  // A rotation installs a client certificate with a new CN: the map admits it
  // from this reload on (configure() is not called for a rotation).
  CONVENE_TRY(write_access_files());
  return run_checked("reloading PostgreSQL", {kBin + "pg_ctl", "-D", data_dir().string(), "reload"});
}

Status PostgresInstance::promote() {
  CONVENE_TRY(run_checked("promoting PostgreSQL", {kBin + "pg_ctl", "-D", data_dir().string(), "-w", "-t", "30", "promote"}));
  return ok_status();
}

Status PostgresInstance::start_promoted(const PgSettings& primary_settings) {
  CONVENE_TRY(configure(primary_settings));
  CONVENE_TRY(write_postgres_file(data_dir() / "standby.signal", ""));
  CONVENE_TRY(start());
  return promote();
}

std::string PostgresInstance::local_conninfo(const std::string& dbname) const {
  return "host=" + conninfo_quote(run_dir().string()) + " port='" + std::to_string(kPort) +
         "' user='postgres' dbname=" + conninfo_quote(dbname) + " connect_timeout='5'";
}

Result<pg::Rows> PostgresInstance::query(const std::string& sql, const std::string& dbname) const {
  return pg::query(local_conninfo(dbname), sql);
}

Result<bool> PostgresInstance::in_recovery() const {
  auto rows = query("SELECT pg_is_in_recovery()");
  if (!rows) return rows.error();
  return rows->size() == 1 && (*rows)[0][0].value_or("") == "t";
}

Result<std::uint64_t> PostgresInstance::wal_position() const {
  auto rows = query(
      "SELECT (CASE WHEN pg_is_in_recovery() THEN GREATEST(COALESCE(pg_last_wal_receive_lsn(), '0/0'), "
      "COALESCE(pg_last_wal_replay_lsn(), '0/0')) ELSE pg_current_wal_lsn() END) - '0/0'::pg_lsn");
  if (!rows) return rows.error();
  if (rows->size() != 1 || !(*rows)[0][0]) return make_error("no WAL position");
  try {
    return static_cast<std::uint64_t>(std::stoull(*(*rows)[0][0]));
  } catch (...) {
    return make_error("unreadable WAL position '" + *(*rows)[0][0] + "'");
  }
}

Result<std::string> PostgresInstance::control_field(const std::string& name) const {
  auto r = run_program({kBin + "pg_controldata", "-D", data_dir().string()});
  if (!r) return r.error();
  if (r->exit_code != 0) return make_error("pg_controldata failed: " + r->output);
  auto at = r->output.find(name + ":");
  if (at == std::string::npos) return make_error("pg_controldata printed no '" + name + "'");
  auto end = r->output.find('\n', at);
  auto value = r->output.substr(at + name.size() + 1, end == std::string::npos ? std::string::npos : end - at - name.size() - 1);
  auto first = value.find_first_not_of(' ');
  return first == std::string::npos ? std::string() : value.substr(first);
}

Result<bool> PostgresInstance::was_primary() const {
  auto state = control_field("Database cluster state");
  if (!state) return state.error();
  return state->find("recovery") == std::string::npos;
}

Status PostgresInstance::rewind_from(const std::string& primary) {
  ConnSpec spec;
  spec.host = primary;
  spec.connect_timeout_s = 5;
  auto conninfo = remote_conninfo(spec, installed_tls());
  // pg_rewind takes the source's timeline from its control file, which a fast
  // promotion only updates at its next checkpoint: until then it would find
  // "no rewind required" and leave a diverged history. So wait for the source to
  // be a primary whose checkpoint is on a later timeline than ours.
  auto source = pg::query(conninfo, "SELECT pg_is_in_recovery(), (pg_control_checkpoint()).timeline_id");
  if (!source) return make_error("cannot reach the new master " + primary + ": " + source.error().message);
  auto mine = control_field("Latest checkpoint's TimeLineID");
  if (!mine) return mine.error();
  if (source->size() != 1 || (*source)[0][0].value_or("t") != "f" ||
      std::stoul((*source)[0][1].value_or("0")) <= std::stoul(*mine))
    return make_error("the new master " + primary + " has not finished its promotion yet");
  CONVENE_TRY(stop());
  RunOptions o;
  o.timeout = std::chrono::minutes(5);
  auto r = run_program({kBin + "pg_rewind", "-D", data_dir().string(), "--source-server=" + conninfo}, o);
  if (!r) return r.error();
  if (r->exit_code != 0) return make_error("pg_rewind failed: " + r->output);
  // Its last line says what it did ("Done!" or "no rewind required").
  auto out = r->output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  logger("database")->info("pg_rewind onto {}: {}", primary, out.substr(out.rfind('\n') + 1));
  return ok_status();
}

Status PostgresInstance::clone_from(const std::string& primary, const std::string& my_address) {
  CONVENE_TRY(stop());
  auto data = data_dir();
  auto aside = state_ / "db.before-join";
  std::error_code ec;
  fs::remove_all(aside, ec);
  bool had_data = fs::exists(data);
  if (had_data) {
    fs::rename(data, aside, ec);
    if (ec) return make_error("cannot move the old database aside: " + ec.message());
  }
  auto restore = [&]() {
    std::error_code e;
    fs::remove_all(data, e);
    if (had_data) fs::rename(aside, data, e);
  };
  if (auto st = make_postgres_dir(data); !st) {
    restore();
    return st;
  }
  ConnSpec spec;
  spec.host = primary;
  spec.replication = true;
  spec.application_name = my_address;
  spec.connect_timeout_s = 5;
  RunOptions o;
  o.timeout = std::chrono::minutes(10);
  auto st = run_checked("copying the master's database (pg_basebackup)",
                        {kBin + "pg_basebackup", "-d", remote_conninfo(spec, installed_tls()), "-D", data.string(),
                         "-X", "stream", "-c", "fast", "--no-password"},
                        o);
  if (!st) {
    restore();
    return st;
  }
  fs::remove_all(aside, ec);
  return ok_status();
}

Status install_tls_files(const TlsFiles& from, const TlsFiles& to) {
  std::vector<std::pair<fs::path, fs::path>> pairs = {{from.server_key, to.server_key},
                                                      {from.server_cert, to.server_cert},
                                                      {from.client_key, to.client_key},
                                                      {from.client_cert, to.client_cert},
                                                      {from.ca_cert, to.ca_cert}};
  // Stage all five first, then rename: a failure while staging changes nothing.
  std::vector<std::pair<fs::path, fs::path>> staged;
  for (auto& [src, dst] : pairs) {
    auto content = read_file(src);
    if (!content) return content.error();
    auto tmp = dst;
    tmp += ".new";
    CONVENE_TRY(write_postgres_file(tmp, *content));
    staged.push_back({tmp, dst});
  }
  for (auto& [tmp, dst] : staged) {
    if (rename(tmp.c_str(), dst.c_str()) != 0)
      return make_error("cannot install '" + dst.string() + "': " + std::strerror(errno));
  }
  return ok_status();
}

}  // namespace convene::dbcluster
