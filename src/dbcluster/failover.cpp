#include "dbcluster/failover.h"

#include <vector>

#include "dbcluster/agent_types.h"
#include "dbcluster/cluster_roles.h"
#include "dbcluster/master_choice.h"
#include "dbcluster/replication.h"

namespace convene::dbcluster {

using json = nlohmann::json;

void FailoverReconciler::step() {
  auto cfg = core_.settings();
  if (!cfg.enabled || core_.disabling) return;
  auto me_r = core_.my_address();
  if (!me_r) return;
  const std::string me = *me_r;
  if (!core_.group) {  // an older cluster without failover: only the standby list
    core_.set_failover_line("Manual (this cluster predates automatic failover: remove and join again to get it)");
    if (cfg.master == me && core_.pg.running()) keep_sync_names(me);
    return;
  }
  auto now = AgentClock::now();
  bool running = core_.pg.running();
  AgentReport mine;
  mine.running = running;
  mine.epoch = core_.following_epoch;
  if (running) {
    if (auto rec = core_.pg.in_recovery()) mine.standby = *rec;
    if (auto pos = core_.pg.wal_position()) mine.lsn = *pos;
  }
  core_.group->report(mine);

  auto st = core_.group->status();
  bool leading = st.role == cluster::Role::leader;
  if (leading && !was_leading_) leading_since_ = now;
  was_leading_ = leading;
  if (core_.group->in_majority(kMajorityWindow)) core_.last_majority = now;

  // Fencing first: it must not wait for anything the lost majority would give.
  // The rule is the lease keeper's (lease_keeper.h): when it stops renewing, the
  // guard would stop PostgreSQL within the lease anyway; this is sooner, and
  // keeps the master from being started again meanwhile.
  bool think_master = core_.group->view().master == me;
  if (think_master && core_.lease_withheld) {
    if (!core_.fenced) {
      core_.log->warn(
          "database: this master has not reached a majority of the agents for {} ms: stopping PostgreSQL "
          "(no writes without a majority)",
          std::chrono::duration_cast<std::chrono::milliseconds>(now - core_.last_majority).count());
      core_.fenced = true;
    }
    core_.set_failover_line("Automatic; this master reaches no majority of the agents: PostgreSQL stopped");
    if (running && !mine.standby)
      if (auto s = core_.pg.stop(true); !s) core_.log->error("{}", s.error().text());
    return;
  }
  if (core_.fenced) {  // the majority is back: read the record again before acting on it
    core_.fenced = false;
    core_.group->resync();
    last_hello_ = now;
    return;
  }
  if (!core_.group->synced()) {
    core_.set_failover_line("Automatic; waiting for a majority of the agents' group");
    if (now - last_hello_ > std::chrono::seconds(1)) {
      core_.group->resync();
      last_hello_ = now;
    }
    return;
  }
  auto view = core_.group->view();
  if (view.master.empty()) return;
  std::size_t voters = 0;
  for (auto& m : st.members) voters += m.voter;
  core_.set_failover_line("Automatic (agents' group of " + std::to_string(voters) + "); master since " + view.since +
                          (view.previous.empty() ? "" : ", took over from " + view.previous));
  if (view.master != cfg.master) {
    core_.log->info("database: the master is now {} (epoch {})", view.master, view.epoch);
    (void)core_.update([&](json& s) { s["master"] = view.master; });
  }
  if (view.master == me) {
    act_as_master(view, me, running, mine.standby);
  } else {
    start_confirmed_ = false;
    act_as_standby(view, me, running, mine.standby, now);
  }
  if (leading) watch_master(view, st, now);
  else lost_since_.reset();
}

void FailoverReconciler::act_as_master(const MasterView& view, const std::string& me, bool running, bool standby) {
  // Synchronous from its first commit: a master started or promoted with no
  // synchronous standby would acknowledge commits that no standby has, until the
  // next round set the names; those would be lost with it. Read only when starting
  // or promoting: a running master's names are keep_sync_names()'s, every round.
  auto sync_names = [&] { return synchronous_standby_names(core_.known_members(), me); };
  if (!running) {
    // PostgreSQL is down while this node's copy of the record names it master. The
    // copy may be stale: after a stall of this process (SIGSTOP, a starved host)
    // its lease ran out, the guard stopped PostgreSQL, and the others may have
    // chosen another master whose record has not arrived yet. Starting now could
    // take writes beside the new master, so read the record again first.
    if (!start_confirmed_) {
      core_.group->resync();
      start_confirmed_ = true;
      return;
    }
    start_confirmed_ = false;
    const std::string sync = sync_names();
    auto primary = core_.pg.was_primary();
    Status s = primary && *primary ? core_.pg.configure(core_.primary_settings(me, sync)) : ok_status();
    if (s) s = primary && *primary ? core_.pg.start() : core_.pg.start_promoted(core_.primary_settings(me, sync));
    if (s && !(primary && *primary)) s = checkpoint();
    if (!s) {
      core_.log->error("database: cannot start the master: {}", s.error().text());
      return;
    }
    core_.log->info("database: PostgreSQL started as master (epoch {})", view.epoch);
    core_.current_sync_names = sync;
  } else if (standby) {
    auto t0 = AgentClock::now();
    // The names first: the promoted server reads them at its first commit. The
    // standby.signal file stays for the promotion to remove (postgres_instance.h).
    const std::string sync = sync_names();
    Status s = core_.pg.configure(core_.primary_settings(me, sync), PostgresInstance::StandbySignal::keep);
    if (s) s = core_.pg.reload();
    if (s) s = core_.pg.promote();
    // A checkpoint puts the new timeline in the control file, where pg_rewind
    // of the old master looks for it (postgres_instance.h).
    if (s) s = checkpoint();
    if (!s) {
      core_.log->error("database: promotion failed: {}", s.error().text());
      return;
    }
    core_.log->warn("database: promoted to master (epoch {}) in {} ms", view.epoch,
                    std::chrono::duration_cast<std::chrono::milliseconds>(AgentClock::now() - t0).count());
    core_.current_sync_names = sync;
  }
  core_.following = me;
  core_.following_epoch = view.epoch;
  if (!roles_checked_) {
    // A cluster made by an older version: its roles get today's rights (idempotent).
    if (auto s = ensure_cluster_roles(core_.pg); !s) core_.log->error("database: roles: {}", s.error().text());
    else roles_checked_ = true;
  }
  keep_sync_names(me);
}

Status FailoverReconciler::checkpoint() {
  auto r = core_.pg.query("CHECKPOINT");
  if (!r) return r.error();
  return ok_status();
}

void FailoverReconciler::act_as_standby(const MasterView& view, const std::string& me, bool running, bool standby,
                                        AgentClock::time_point now) {
  const std::string& master = view.master;
  bool needs_rewind = running && !standby;
  if (!running) {
    auto primary = core_.pg.was_primary();
    needs_rewind = primary && *primary;
  }
  if (needs_rewind) {
    if (now - last_rejoin_ < kRejoinRetry) return;
    last_rejoin_ = now;
    core_.log->warn("database: this node's data was a master's; rewinding onto the master {}", master);
    auto s = core_.pg.rewind_from(master);
    if (!s) {
      core_.log->warn("database: {}; copying the master's database instead", s.error().text());
      s = core_.pg.clone_from(master, me);
    }
    if (!s) {
      core_.log->error("database: cannot follow {} yet: {}", master, s.error().text());
      return;
    }
    running = false;
  }
  if (!running || core_.following != master || core_.following_epoch != view.epoch) {
    if (auto s = core_.pg.configure(core_.standby_settings(me, master)); !s) {
      core_.log->error("{}", s.error().text());
      return;
    }
    auto s = running ? core_.pg.reload() : core_.pg.start();  // PostgreSQL 15 takes a new primary_conninfo on reload
    if (!s) {
      core_.log->error("database: cannot run as a standby of {}: {}", master, s.error().text());
      return;
    }
    if (core_.following != master) core_.log->info("database: following the master {} (epoch {})", master, view.epoch);
    core_.following = master;
    core_.following_epoch = view.epoch;
  }
}

void FailoverReconciler::watch_master(const MasterView& view, const cluster::ConsensusStatus& st,
                                      AgentClock::time_point now) {
  const cluster::Member* master = nullptr;
  for (auto& m : st.members)
    if (m.voter && AgentGroup::pg_address_of(m.address) == view.master) master = &m;
  std::optional<std::int64_t> age;
  if (master && master->id == st.id) age = 0;
  else if (master && master->last_contact_age) age = master->last_contact_age->count();
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  if (!master_lost(master != nullptr, age, ms(now - leading_since_), ms(kMasterSilence))) {
    lost_since_.reset();
    return;
  }
  if (!lost_since_) {
    lost_since_ = now;
    core_.log->warn("database: the master {} is lost ({}): choosing a new master", view.master,
                    master ? "silent" : "no longer a member");
    return;
  }
  if (promoted_from_ == view.epoch) return;
  auto reports = core_.group->reports();
  std::vector<StandbyReport> others;
  for (auto& m : st.members) {
    if (!m.voter || &m == master) continue;
    StandbyReport r;
    r.address = AgentGroup::pg_address_of(m.address);
    r.reachable = m.id == st.id || (m.last_contact_age && *m.last_contact_age <= kMajorityWindow);
    if (auto it = reports.find(m.id); it != reports.end()) {
      r.fresh = it->second.at > *lost_since_;
      r.standby = it->second.report.running && it->second.report.standby;
      r.epoch = it->second.report.epoch;
      r.lsn = it->second.report.lsn;
    }
    others.push_back(r);
  }
  auto choice = choose_new_master(others, view.epoch, now - *lost_since_ > kReportWait);
  if (!choice) return;
  promoted_from_ = view.epoch;
  auto r = core_.group->promote(*choice, view.epoch, now_iso());
  if (!r || *r != "ok") {
    core_.log->warn("database: promoting {} was not recorded: {}", *choice, r ? *r : r.error().message);
    promoted_from_ = 0;
    return;
  }
  core_.log->warn("database: {} chosen as master (epoch {}), {} ms after the master was lost", *choice, view.epoch + 1,
                  ms(AgentClock::now() - *lost_since_));
}

void FailoverReconciler::keep_sync_names(const std::string& me) {
  auto names = synchronous_standby_names(core_.known_members(), me);
  if (names == core_.current_sync_names) return;
  if (auto st = core_.pg.configure(core_.primary_settings(me, names)); !st) {
    core_.log->error("{}", st.error().text());
    return;
  }
  if (auto st = core_.pg.reload(); !st) {
    core_.log->error("{}", st.error().text());
    return;
  }
  core_.current_sync_names = names;
  core_.log->info("synchronous_standby_names = '{}'", names);
}

}  // namespace convene::dbcluster
