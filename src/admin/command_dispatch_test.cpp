#include "admin/command_dispatch.h"

#include <gtest/gtest.h>

#include <deque>

#include "util/testing.h"

namespace convene {
namespace {

// A scripted operator: answers prompts from a queue and records what it was shown.
class ScriptedConversation : public Conversation {
 public:
  std::deque<std::string> answers;
  std::vector<std::string> shown;
  void print(std::string_view text) override { shown.emplace_back(text); }
  bool confirm(std::string_view warning) override {
    shown.emplace_back(warning);
    return next() == "Y";
  }
  std::optional<std::string> prompt_secret(std::string_view prompt) override {
    shown.emplace_back(prompt);
    if (answers.empty()) return std::nullopt;
    return next();
  }

 private:
  std::string next() {
    if (answers.empty()) return {};
    auto a = answers.front();
    answers.pop_front();
    return a;
  }
};

struct Fixture : ::testing::Test {
  testing::TempDir dir;
  std::unique_ptr<Node> node;
  std::unique_ptr<Daemon> daemon;
  CommandRegistry registry;
  int changes = 0;
  void SetUp() override {
    auto n = Node::open({dir.path(), "cms1", {}});
    ASSERT_TRUE(n) << n.error().text();
    node = std::move(*n);
    daemon = std::make_unique<Daemon>(*node, nullptr, nullptr);
    registry.add({{"database", "cluster", "remove"}, "", "", 0, 0, [this](CommandRequest& req) -> Status {
                    CONVENE_TRY(confirm_or_cancel(req.io, "WARNING!!!\nAre you sure? (Y/n)"));
                    ++changes;
                    req.io.print("Remove started...");
                    return ok_status();
                  }});
    registry.add({{"xmpp", "callbridge", "add-secret"}, "<name>", "", 1, 1, [this](CommandRequest& req) -> Status {
                    auto secret = req.io.prompt_secret("Enter callbridge secret");
                    if (!secret || secret->empty()) return Status(make_error("no secret given"));
                    ++changes;
                    return ok_status();
                  }});
    registry.add({{"xmpp", "enable"}, "", "", 0, 0, nullptr});
  }
};

TEST_F(Fixture, OnlyCapitalYGoesOn) {
  for (const char* answer : {"y", "yes", "", "N"}) {
    ScriptedConversation io;
    io.answers = {answer};
    auto st = run_command(*daemon, registry, io, {"database", "cluster", "remove"});
    EXPECT_FALSE(st) << answer;
    EXPECT_EQ(changes, 0) << answer;
  }
  ScriptedConversation io;
  io.answers = {"Y"};
  ASSERT_TRUE(run_command(*daemon, registry, io, {"database", "cluster", "remove"}));
  EXPECT_EQ(changes, 1);
  EXPECT_EQ(io.shown.front(), "WARNING!!!\nAre you sure? (Y/n)");
  EXPECT_EQ(io.shown.back(), "Remove started...");
}

TEST_F(Fixture, SecretPromptWithoutAnswerChangesNothing) {
  ScriptedConversation io;
  auto st = run_command(*daemon, registry, io, {"xmpp", "callbridge", "add-secret", "cb1"});
  EXPECT_FALSE(st);
  EXPECT_EQ(io.shown, (std::vector<std::string>{"Enter callbridge secret"}));
  EXPECT_EQ(changes, 0);
}

TEST_F(Fixture, UnbuiltCommandSaysSoPlainly) {
  ScriptedConversation io;
  auto st = run_command(*daemon, registry, io, {"xmpp", "enable"});
  ASSERT_FALSE(st);
  EXPECT_EQ(render_error(st.error()),
            "ERROR: 'xmpp enable' is not implemented yet in this version of Convene\n  Nothing was changed.");
  EXPECT_TRUE(io.shown.empty());
}

TEST(RenderError, IndentsEveryHintLineLikeTheSeed) {
  EXPECT_EQ(render_error(make_error("Cannot change certificates when clustering enabled.",
                                    "Disable clustering on this node first")),
            "ERROR: Cannot change certificates when clustering enabled.\n  Disable clustering on this node first");
}

}  // namespace
}  // namespace convene
