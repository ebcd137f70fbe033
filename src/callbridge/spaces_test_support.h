#pragma once
// What the call bridge's Spaces tests share: an in-memory store that can be made to
// fail or to stall, a driver that parses stanzas into Spaces and collects what it
// sends, and the stanzas the tests exchange. Test code only.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "callbridge/spaces.h"
#include "xml/stream_parser.h"

namespace convene::callbridge::spaces_testing {

class MemoryStore : public SpaceStore {
 public:
  Result<bool> ensure(const std::string& name) override {
    ++writes;
    if (failing) return make_error("database down");
    return names.insert(name).second;
  }
  Result<std::vector<std::string>> list() override {
    if (failing) return make_error("database down");
    return std::vector<std::string>(names.begin(), names.end());
  }
  Status remove(const std::string& name) override {
    names.erase(name);
    stored_settings.erase(name);
    stored_history.erase(name);
    return ok_status();
  }
  Result<std::map<std::string, std::string>> settings() override {
    if (failing) return make_error("database down");
    return stored_settings;
  }
  Status save_settings(const std::string& name, const std::string& json) override {
    if (failing) return make_error("database down");
    stored_settings[name] = json;
    return ok_status();
  }
  Status add_history(const std::string& name, const HistoryEntry& entry, int keep) override {
    if (failing) return make_error("database down");
    auto& h = stored_history[name];
    h.push_back(entry);
    while (static_cast<int>(h.size()) > keep) h.erase(h.begin());
    return ok_status();
  }
  Result<std::vector<HistoryEntry>> history(const std::string& name) override {
    ++history_reads;
    if (failing) return make_error("database down");
    return stored_history[name];
  }
  StoreInfo info() const override { return {"Memory", "test", "", ""}; }

  std::set<std::string> names;
  std::map<std::string, std::string> stored_settings;
  std::map<std::string, std::vector<HistoryEntry>> stored_history;
  bool failing = false;
  int writes = 0;
  int history_reads = 0;
};

// Parses one stanza and hands it to `spaces`; returns what it sent.
class Driver : public xml::StreamHandler {
 public:
  explicit Driver(Spaces& spaces) : spaces_(spaces), parser_(*this) {
    (void)parser_.feed("<stream:stream xmlns='jabber:component:accept' "
                       "xmlns:stream='http://etherx.jabber.org/streams'>");
  }
  std::vector<std::string> send(const std::string& stanza) {
    out_.clear();
    auto err = parser_.feed(stanza);
    EXPECT_FALSE(err);
    return out_;
  }
  void on_stream_open(const xml::StreamHeader&) override {}
  void on_stanza(xml::Element& stanza, std::string_view) override {
    spaces_.handle(stanza, [this](const std::string& s) {
      if (!s.empty()) out_.push_back(s);  // empty: "write what you gathered now"
    });
  }
  void on_stream_close() override {}

 private:
  Spaces& spaces_;
  xml::StreamParser parser_;
  std::vector<std::string> out_;
};

inline std::string join(const std::string& room, const std::string& user, const std::string& nick) {
  return "<presence from='" + user + "@tptac9.com/r' to='" + room + "@cb1.tptac9.com/" + nick +
         "'><x xmlns='http://jabber.org/protocol/muc'/></presence>";
}

inline bool any_contains(const std::vector<std::string>& out, const std::string& what) {
  for (auto& s : out)
    if (s.find(what) != std::string::npos) return true;
  return false;
}

// The id of the join record the bridge asked the XMPP service for, or empty.
inline std::string record_id(const std::vector<std::string>& out) {
  for (auto& s : out) {
    if (s.find("<join") == std::string::npos) continue;
    auto at = s.find("id='");
    if (at == std::string::npos) at = s.find("id=\"");
    auto end = s.find_first_of("'\"", at + 4);
    return s.substr(at + 4, end - at - 4);
  }
  return {};
}

// The XMPP service's answer to a record request.
inline std::string recorded(const std::string& id, bool ok = true) {
  if (ok) return "<iq type='result' from='tptac9.com' to='cb1.tptac9.com' id='" + id + "'/>";
  return "<iq type='error' from='tptac9.com' to='cb1.tptac9.com' id='" + id +
         "'><error type='wait'><internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>";
}

// Joins and answers the record request as the service would; returns everything sent.
inline std::vector<std::string> join_recorded(Driver& d, const std::string& room, const std::string& user,
                                       const std::string& nick) {
  auto out = d.send(join(room, user, nick));
  auto id = record_id(out);
  EXPECT_FALSE(id.empty());
  auto more = d.send(recorded(id));
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

// join_recorded with a store worker: the joiner is let in once the worker has read
// the space's history (spaces_history_read.cpp), at the next tick after it.
inline std::vector<std::string> join_recorded(Driver& d, Spaces& spaces, StoreWorker& worker, const std::string& room,
                                              const std::string& user, const std::string& nick) {
  auto out = join_recorded(d, room, user, nick);
  worker.drain();
  spaces.tick([&](const std::string& s) {
    if (!s.empty()) out.push_back(s);
  });
  return out;
}

// A bridge on a new connection reads back Alice and Bob in room1 from the XMPP
// service's record, as one taking the space over does (no history of it here).
inline void take_over_alice_and_bob(Spaces& spaces, Driver& d) {
  spaces.connected([](const std::string&) {});
  d.send("<iq type='result' from='tptac9.com' to='cb1.tptac9.com' id='occ1'><occupants "
         "xmlns='urn:convene:callbridge:occupants'><occupant space='room1' nick='Alice' jid='alice@tptac9.com/r' "
         "online='true'/><occupant space='room1' nick='Bob' jid='bob@tptac9.com/r' online='true'/></occupants></iq>");
}

// A history entry said `ago_ms` before now by `nick` in room1.
inline HistoryEntry said_before(const std::string& nick, const std::string& body, std::int64_t ago_ms) {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  return HistoryEntry{now.count() - ago_ms, "<message from='room1@cb1.tptac9.com/" + nick +
                                                "' type='groupchat'><body>" + body + "</body></message>"};
}

// Count of stanzas in `out` that contain every one of `parts`.
inline int count_with(const std::vector<std::string>& out, std::initializer_list<std::string> parts) {
  int n = 0;
  for (auto& s : out) {
    bool all = true;
    for (auto& p : parts) all = all && s.find(p) != std::string::npos;
    n += all;
  }
  return n;
}

// A store whose writes (history, new spaces) wait (up to 3 s) for the test's go, as
// a frozen or cut-off database master makes them wait; it notes who waited.
class StallingStore : public MemoryStore {
 public:
  explicit StallingStore(std::shared_future<void> go) : go_(std::move(go)) {}
  Status add_histories(const std::vector<std::pair<std::string, HistoryEntry>>& entries, int keep) override {
    stall();
    return MemoryStore::add_histories(entries, keep);
  }
  Result<bool> ensure(const std::string& name) override {
    stall();
    return MemoryStore::ensure(name);
  }
  Result<std::vector<HistoryEntry>> history(const std::string& name) override {
    if (stall_history) stall();
    return MemoryStore::history(name);
  }
  std::atomic<bool> stall_history{false};  // reads of the history wait too
  const std::thread::id test_thread = std::this_thread::get_id();
  std::atomic<bool> on_test_thread{false}, waited_out{false};

 private:
  void stall() {
    if (std::this_thread::get_id() == test_thread) on_test_thread = true;
    if (go_.wait_for(std::chrono::seconds(3)) != std::future_status::ready) waited_out = true;
  }
  std::shared_future<void> go_;
};

inline std::string groupchat(const std::string& user, const std::string& id) {
  return "<message from='" + user + "@tptac9.com/r' to='room1@cb1.tptac9.com' type='groupchat' id='" + id +
         "'><body>" + id + "</body></message>";
}

}  // namespace convene::callbridge::spaces_testing
