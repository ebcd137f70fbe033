#include "shell/admin_client.h"

#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

namespace convene::shell {
namespace {

class RecordingTerminal : public Terminal {
 public:
  void out(const std::string& text) override { out_ += text + "\n"; }
  void err(const std::string& text) override { err_ += text + "\n"; }
  std::optional<std::string> ask(const std::string&, bool) override { return std::nullopt; }
  std::string out_, err_;
};

// The daemon refuses a conversation (wrong user, too many at once) by writing
// its reason and closing, possibly before mmp has sent its request: mmp's send
// then fails, and the operator must still see the reason, not "connection lost".
TEST(AdminClient, RefusalSentBeforeTheRequestIsShown) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  std::string refusal = "{\"done\":true,\"ok\":false,\"error\":\"ERROR: permission denied: only root\"}\n";
  ASSERT_EQ(::write(fds[1], refusal.data(), refusal.size()), static_cast<ssize_t>(refusal.size()));
  ::close(fds[1]);
  RecordingTerminal term;
  EXPECT_EQ(run_over(fds[0], {"iface", "list"}, term), Outcome::kFailed);
  EXPECT_NE(term.err_.find("permission denied"), std::string::npos) << term.err_;
  EXPECT_EQ(term.err_.find("connection to convened lost"), std::string::npos) << term.err_;
}

TEST(AdminClient, ClosedWithoutAnswerIsReportedAsLost) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ::close(fds[1]);
  RecordingTerminal term;
  EXPECT_EQ(run_over(fds[0], {"iface", "list"}, term), Outcome::kUnreachable);
  EXPECT_NE(term.err_.find("connection to convened lost"), std::string::npos) << term.err_;
}

}  // namespace
}  // namespace convene::shell
