// Spaces over an in-memory store that can be made to fail: joining a space the
// call bridge already knows needs no database (occupants keep going while the
// database cluster fails over); creating one does, and a failure is an XMPP error
// that leaves nothing behind.
#include "callbridge/spaces.h"

#include <gtest/gtest.h>

#include <set>

#include "xml/stream_parser.h"

namespace convene::callbridge {
namespace {

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
    return ok_status();
  }
  StoreInfo info() const override { return {"Memory", "test", "", ""}; }

  std::set<std::string> names;
  bool failing = false;
  int writes = 0;
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
    spaces_.handle(stanza, [this](const std::string& s) { out_.push_back(s); });
  }
  void on_stream_close() override {}

 private:
  Spaces& spaces_;
  xml::StreamParser parser_;
  std::vector<std::string> out_;
};

std::string join(const std::string& room, const std::string& user, const std::string& nick) {
  return "<presence from='" + user + "@tptac9.com/r' to='" + room + "@cb1.tptac9.com/" + nick +
         "'><x xmlns='http://jabber.org/protocol/muc'/></presence>";
}

bool any_contains(const std::vector<std::string>& out, const std::string& what) {
  for (auto& s : out)
    if (s.find(what) != std::string::npos) return true;
  return false;
}

TEST(Spaces, KnownSpacesAreJoinedWithoutTheDatabase) {
  MemoryStore store;
  store.names = {"room1"};
  Spaces spaces("cb1.tptac9.com", store);
  EXPECT_EQ(spaces.names(), std::vector<std::string>{"room1"});
  Driver d(spaces);
  store.failing = true;
  auto out = d.send(join("room1", "alice", "Alice"));
  EXPECT_TRUE(any_contains(out, "code='110'")) << out.size();
  EXPECT_FALSE(any_contains(out, "code='201'"));
  EXPECT_FALSE(any_contains(out, "internal-server-error"));
  EXPECT_EQ(store.writes, 0);
  EXPECT_EQ(spaces.occupant_count(), 1);
}

TEST(Spaces, CreatingASpaceWhileTheDatabaseFailsIsAnErrorAndLeavesNothing) {
  MemoryStore store;
  store.failing = true;
  Spaces spaces("cb1.tptac9.com", store);  // the list cannot be read yet
  Driver d(spaces);
  auto out = d.send(join("room2", "alice", "Alice"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].find("type='wait'"), std::string::npos) << out[0];
  EXPECT_NE(out[0].find("internal-server-error"), std::string::npos) << out[0];
  EXPECT_EQ(spaces.occupant_count(), 0);
  EXPECT_TRUE(spaces.names().empty());

  // The database is back: the join creates the space (201), and the list missed at
  // start is read then.
  store.failing = false;
  store.names.insert("older");
  out = d.send(join("room2", "alice", "Alice"));
  EXPECT_TRUE(any_contains(out, "code='201'"));
  EXPECT_EQ(spaces.names(), (std::vector<std::string>{"older", "room2"}));
  EXPECT_EQ(spaces.occupant_count(), 1);
}

}  // namespace
}  // namespace convene::callbridge
