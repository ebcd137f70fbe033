#include "xmpp/store.h"

#include <future>

namespace convene::xmpp {

// Blocks the calling thread until `done` runs. Do not call it from a `done`
// callback: the store may run callbacks on the thread that would have to make
// progress for this one to return.
Status XmppStore::submit_and_wait(StoreCommand command) {
  auto promise = std::make_shared<std::promise<Status>>();
  auto future = promise->get_future();
  submit(std::move(command), [promise](Status status) { promise->set_value(std::move(status)); });
  return future.get();
}

}  // namespace convene::xmpp
