#include "dbcluster/master_record.h"

#include <nlohmann/json.hpp>

#include "dbcluster/replication.h"

namespace convene::dbcluster {

using json = nlohmann::json;

std::string init_command(const std::string& master, const std::string& at) {
  return json{{"op", "init"}, {"master", master}, {"at", at}}.dump();
}

std::string promote_command(const std::string& master, std::uint64_t from_epoch, const std::string& at) {
  return json{{"op", "promote"}, {"master", master}, {"from", from_epoch}, {"at", at}}.dump();
}

std::string hello_command(std::uint64_t id, std::uint64_t nonce) {
  return json{{"op", "hello"}, {"id", id}, {"nonce", nonce}}.dump();
}

std::string MasterRecord::apply(std::string_view command) {
  json c = json::parse(command, nullptr, false);
  if (!c.is_object()) return "bad";
  std::string op = c.value("op", "");
  // A master is written into postgresql.conf and connection strings: a record
  // naming anything but an address is refused the same way on every member.
  if ((op == "init" || op == "promote") && !check_member_address(c.value("master", "")).ok()) return "bad";
  std::lock_guard lock(mutex_);
  if (op == "init") {
    view_.master = c.value("master", "");
    view_.epoch = 1;
    view_.since = c.value("at", "");
    view_.previous.clear();
    return "ok";
  }
  if (op == "promote") {
    if (c.value("from", std::uint64_t{0}) != view_.epoch) return "stale";
    view_.previous = view_.master;
    view_.master = c.value("master", "");
    view_.since = c.value("at", "");
    ++view_.epoch;
    return "ok";
  }
  if (op == "hello") {
    view_.hellos[c.value("id", std::uint64_t{0})] = c.value("nonce", std::uint64_t{0});
    return "ok";
  }
  return "bad";
}

std::string MasterRecord::snapshot() {
  std::lock_guard lock(mutex_);
  json hellos = json::object();
  for (auto& [id, nonce] : view_.hellos) hellos[std::to_string(id)] = nonce;
  return json{{"master", view_.master}, {"epoch", view_.epoch}, {"since", view_.since},
              {"previous", view_.previous}, {"hellos", hellos}}
      .dump();
}

void MasterRecord::restore(std::string_view snapshot) {
  json s = json::parse(snapshot, nullptr, false);
  if (!s.is_object()) return;
  std::lock_guard lock(mutex_);
  view_ = {};
  view_.master = s.value("master", "");
  view_.epoch = s.value("epoch", std::uint64_t{0});
  view_.since = s.value("since", "");
  view_.previous = s.value("previous", "");
  json hellos = s.value("hellos", json::object());  // a named copy: items() of a temporary would dangle
  for (auto& [id, nonce] : hellos.items()) view_.hellos[std::stoull(id)] = nonce.get<std::uint64_t>();
}

MasterView MasterRecord::view() const {
  std::lock_guard lock(mutex_);
  return view_;
}

}  // namespace convene::dbcluster
