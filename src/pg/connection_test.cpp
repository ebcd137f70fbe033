// The answer deadline against a fake server on a loopback socket: it speaks just
// enough of PostgreSQL's protocol (startup, "authentication ok", ready) for libpq to
// connect, then either answers each query or, like a stopped server whose kernel
// still acknowledges, never does. The deadline's effect on real PostgreSQL under
// SIGSTOP is tests/e2e/test_database_fencing.py's.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>

#include "pg/connection.h"

namespace convene::pg {
namespace {

std::string message(char type, const std::string& body) {
  uint32_t length = htonl(static_cast<uint32_t>(body.size() + 4));
  return std::string(1, type) + std::string(reinterpret_cast<const char*>(&length), 4) + body;
}

class FakeServer {
 public:
  explicit FakeServer(bool answers) : answers_(answers) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listener_, 1), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeServer() {
    ::shutdown(listener_, SHUT_RDWR);
    if (client_ >= 0) ::shutdown(client_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
    if (client_ >= 0) ::close(client_);
  }
  std::string conninfo() const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " sslmode=disable gssencmode=disable connect_timeout=2";
  }
  int queries() const { return queries_; }

 private:
  bool read_exactly(std::string& out, size_t n) {
    out.resize(n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::read(client_, out.data() + got, n - got);
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    return true;
  }
  uint32_t length_of(const std::string& four) {
    uint32_t v;
    std::memcpy(&v, four.data(), 4);
    return ntohl(v);
  }
  void send(const std::string& bytes) { (void)!::write(client_, bytes.data(), bytes.size()); }
  void serve() {
    client_ = ::accept(listener_, nullptr, nullptr);
    if (client_ < 0) return;
    std::string head, body;
    if (!read_exactly(head, 4) || !read_exactly(body, length_of(head) - 4)) return;  // the startup packet
    send(message('R', std::string("\0\0\0\0", 4)) + message('Z', "I"));
    for (;;) {
      std::string type;
      if (!read_exactly(type, 1) || !read_exactly(head, 4) || !read_exactly(body, length_of(head) - 4)) return;
      if (type == "X") return;  // Terminate
      ++queries_;
      if (!answers_) {
        // Silent until the client gives up (or 10 s, so that a client without a
        // deadline fails the test instead of hanging it).
        pollfd readable{client_, POLLIN, 0};
        ::poll(&readable, 1, 10000);
        ::shutdown(client_, SHUT_RDWR);
        return;
      }
      send(message('C', std::string("INSERT 0 1") + '\0') + message('Z', "I"));
    }
  }

  bool answers_;
  int listener_ = -1;
  int client_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> queries_{0};
  std::thread thread_;
};

TEST(PgAnswerDeadline, AServerThatNeverAnswersCostsTheDeadlineAndTheConnection) {
  FakeServer server(false);
  auto conn = Connection::open(server.conninfo());
  ASSERT_TRUE(conn) << conn.error().message;
  auto rows = conn->exec("INSERT INTO t VALUES (1)", {}, std::chrono::milliseconds(200));
  ASSERT_FALSE(rows);
  EXPECT_NE(rows.error().message.find("no answer from the database server"), std::string::npos)
      << rows.error().message;
  EXPECT_TRUE(conn->failure_transient());  // another connection (the new master) may succeed
  EXPECT_FALSE(conn->opened());            // the stuck one is gone, not reused
  EXPECT_EQ(server.queries(), 1);
}

TEST(PgAnswerDeadline, AnAnswerWithinTheDeadlineIsTheStatementsResult) {
  FakeServer server(true);
  auto conn = Connection::open(server.conninfo());
  ASSERT_TRUE(conn) << conn.error().message;
  for (int i = 0; i < 3; ++i) {
    auto rows = conn->exec("INSERT INTO t VALUES (1)", {}, std::chrono::milliseconds(5000));
    ASSERT_TRUE(rows) << rows.error().message;
    EXPECT_TRUE(rows->empty());
  }
  EXPECT_TRUE(conn->is_open());
  EXPECT_EQ(server.queries(), 3);
}

}  // namespace
}  // namespace convene::pg
