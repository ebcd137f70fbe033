#pragma once
// The throttles that slow down guessing (attempt_throttle.h), one set per running
// service, shared by every connection:
// - failed SASL authentications per peer address: after 5 failures in a row the
//   address waits 5 s, doubling to 5 min; attempts meanwhile are refused at once
//   with <temporary-auth-failure/> (no password is checked, so no PBKDF2 is spent);
// - failed SASL authentications per account, from anywhere: after 10, each further
//   failure is answered only after 1 s, doubling to 30 s. Only failures wait: the
//   account's owner, from any address, logs in at once with the right password.
// - wrong component handshakes per peer address: after 5, the address waits 2 s,
//   doubling to 60 s; handshakes meanwhile end with <policy-violation/>;
// - in-band registrations (XEP-0077) per peer address: 3 at once, then one per
//   10 min, doubling to 1 h; more are refused with <resource-constraint/>.
// A success forgets the account's failures (not the address's: one known account
// must not let a guesser reset its address's count).
//
// Thread-safety: each throttle has its own mutex.
#include "xmpp/attempt_throttle.h"

namespace convene::xmpp {

struct AbuseLimits {
  using ms = AttemptThrottle::Duration;
  AttemptThrottle sasl_by_address{{5, ms(5000), ms(300000), ms(900000), 10000}};
  AttemptThrottle sasl_by_account{{10, ms(1000), ms(30000), ms(900000), 10000}};
  AttemptThrottle component_by_address{{5, ms(2000), ms(60000), ms(600000), 1000}};
  AttemptThrottle registration_by_address{{3, ms(600000), ms(3600000), ms(3600000), 10000}};
};

}  // namespace convene::xmpp
