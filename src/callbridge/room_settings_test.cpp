// The configuration form and the stored settings document: what an owner submits
// is applied whole or not at all, and what is stored reads back the same.
#include "callbridge/room_settings.h"

#include <gtest/gtest.h>

#include "xml/stream_parser.h"

namespace convene::callbridge {
namespace {

// Parses one element (a form) and runs `check` on it.
class OneElement : public xml::StreamHandler {
 public:
  explicit OneElement(std::function<void(const xml::Element&)> check) : check_(std::move(check)), parser_(*this) {}
  void feed(const std::string& element) {
    EXPECT_FALSE(parser_.feed("<stream:stream xmlns='jabber:component:accept' "
                              "xmlns:stream='http://etherx.jabber.org/streams'>" + element));
  }
  void on_stream_open(const xml::StreamHeader&) override {}
  void on_stanza(xml::Element& e, std::string_view) override { check_(e); }
  void on_stream_close() override {}

 private:
  std::function<void(const xml::Element&)> check_;
  xml::StreamParser parser_;
};

Status apply_form(const std::string& fields, RoomConfig& config) {
  Status result;
  OneElement one([&](const xml::Element& x) { result = apply_config_form(x, config); });
  one.feed("<x xmlns='jabber:x:data' type='submit'>" + fields + "</x>");
  return result;
}

std::string field(const std::string& var, const std::string& value) {
  return "<field var='" + var + "'><value>" + value + "</value></field>";
}

TEST(RoomConfigForm, AnEmptySubmitIsTheInstantRoomAndChangesNothing) {
  RoomConfig c;
  ASSERT_TRUE(apply_form("", c));
  EXPECT_TRUE(c == RoomConfig{});
}

TEST(RoomConfigForm, FieldsAreApplied) {
  RoomConfig c;
  ASSERT_TRUE(apply_form(field("FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig") +
                        field("muc#roomconfig_roomname", "Weekly") + field("muc#roomconfig_membersonly", "1") +
                        field("muc#roomconfig_maxusers", "12") + field("muc#roomconfig_whois", "anyone") +
                        field("muc#roomconfig_passwordprotectedroom", "true") +
                        field("muc#roomconfig_roomsecret", "s3"),
                    c));
  EXPECT_EQ(c.name, "Weekly");
  EXPECT_TRUE(c.members_only);
  EXPECT_EQ(c.max_users, 12);
  EXPECT_TRUE(c.non_anonymous);
  EXPECT_TRUE(c.password_protected);
  EXPECT_EQ(c.password, "s3");
}

TEST(RoomConfigForm, BadInputIsAnErrorNamingTheFieldAndChangesNothing) {
  RoomConfig c;
  c.name = "Before";
  for (auto bad : {field("muc#roomconfig_roomname", "After") + field("muc#roomconfig_bogus", "1"),
                   field("muc#roomconfig_maxusers", "-1"), field("muc#roomconfig_maxusers", "12x"),
                   field("muc#roomconfig_persistentroom", "maybe"), field("muc#roomconfig_whois", "nobody"),
                   field("muc#roomconfig_passwordprotectedroom", "1"),
                   field("FORM_TYPE", "urn:other")}) {
    auto st = apply_form(bad, c);
    EXPECT_FALSE(st) << bad;
    EXPECT_EQ(c.name, "Before") << bad;
    EXPECT_FALSE(c.password_protected) << bad;
  }
  EXPECT_NE(apply_form(field("muc#roomconfig_bogus", "1"), c).error().message.find("muc#roomconfig_bogus"),
            std::string::npos);
}

TEST(RoomSettings, ReadBackAsStored) {
  RoomSettings s;
  s.config.name = "Weekly <sync>";
  s.config.max_users = 5;
  s.config.persistent = false;
  s.affiliations["alice@tptac9.com"] = Affiliation::owner;
  s.affiliations["bob@tptac9.com"] = Affiliation::outcast;
  s.subject = "Agenda";
  s.subject_by = "Alice";
  s.locked = true;
  auto back = settings_from_json(settings_to_json(s));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(*back == s);
  EXPECT_EQ(back->affiliation_of("carol@tptac9.com"), Affiliation::none);
  EXPECT_FALSE(settings_from_json("[1,2]"));
}

}  // namespace
}  // namespace convene::callbridge
