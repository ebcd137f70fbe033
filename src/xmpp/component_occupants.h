#pragma once
// A call bridge's space occupants, kept by the XMPP service for it (the table is
// space_occupants.h, replicated with the rest of the store). Why the server keeps
// them and not the bridge: the bridge is one process on one node; when that node
// dies, the instance that takes the bridge's name over on another node must find
// the rooms as they were. The store is already replicated to every node (Raft in
// a cluster, the local log on one node), so any node's copy can answer.
//
// The protocol, on the component stream, to the server's domain, in namespace
// urn:convene:callbridge:occupants (kSpaceOccupantsNs):
//   <iq type='set'><occupants><join space='s' nick='n' jid='full' presence='xml'/></occupants></iq>
//   <iq type='set'><occupants><leave space='s' nick='n'/></occupants></iq>
//   <iq type='get'><occupants/></iq>  → result: <occupants><occupant space nick jid presence
//                                         online='true|false|unknown'/>...</occupants>
// A bridge only reads and writes its own name's occupants (the stream's). `online`
// says whether the cluster knows a session for the JID right now: the taking-over
// instance removes the others (their node died with the old bridge) and tells the
// rest of the room. `unknown`: this node's copy of the cluster's sessions is not
// current yet (it just restarted), or the session is on a member in doubt (the
// leader freed its call bridges because it was silent, and may drop its sessions
// next: ClusterRouter::member_in_doubt); the bridge keeps them and asks again.
//
// Writes of one stream are applied one after the other (the next is submitted when
// the previous is done), so a join and the leave that follows it cannot be
// reordered on their way to the Raft leader.
//
// Threads: handle() on the stream's thread; store callbacks on any thread.
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "xml/element.h"
#include "xmpp/store.h"

namespace convene::xmpp {

class Server;

class ComponentOccupants : public std::enable_shared_from_this<ComponentOccupants> {
 public:
  // `bridge`: the call bridge's name ("cb1").
  ComponentOccupants(Server& server, std::string bridge);
  // True when `iq` was an occupants request (answered through `send`).
  bool handle(const xml::Element& iq, const std::function<void(std::string)>& send);

 private:
  struct Write {
    StoreCommand command;
    std::string reply;  // result to send when done
    std::string error;  // error to send when refused
    std::function<void(std::string)> send;
  };
  void submit_next();

  Server& server_;
  const std::string bridge_;
  std::mutex mu_;
  std::deque<Write> queue_;  // [0] is in flight while busy_
  bool busy_ = false;
};

}  // namespace convene::xmpp
