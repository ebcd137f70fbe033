#include "cluster/consensus.h"

namespace convene::cluster {
namespace {

template <class T>
std::pair<std::function<void(Result<T>)>, std::future<Result<T>>> promise_pair() {
  auto p = std::make_shared<std::promise<Result<T>>>();
  auto f = p->get_future();
  return {[p](Result<T> r) { p->set_value(std::move(r)); }, std::move(f)};
}

}  // namespace

const char* role_name(Role role) {
  switch (role) {
    case Role::leader: return "LEADER";
    case Role::follower: return "FOLLOWER";
    case Role::candidate: return "CANDIDATE";
    case Role::unavailable: break;
  }
  return "UNAVAILABLE";
}

std::future<Result<std::string>> Consensus::submit(std::string command) {
  auto [done, future] = promise_pair<std::string>();
  submit(std::move(command), std::move(done));
  return std::move(future);
}

std::future<Result<bool>> Consensus::join(std::string member_address) {
  auto [done, future] = promise_pair<bool>();
  join(std::move(member_address), std::move(done));
  return std::move(future);
}

std::future<Result<bool>> Consensus::remove(std::uint64_t id) {
  auto [done, future] = promise_pair<bool>();
  remove(id, std::move(done));
  return std::move(future);
}

}  // namespace convene::cluster
