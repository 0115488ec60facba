// Package throttle slows down password guessing without locking real users
// out. A Limiter counts credential attempts per username, per username and
// client address, per client address, per network (/24 for IPv4, /64 for
// IPv6) and overall, and answers each attempt with "go ahead" or "wait N
// seconds". It implements the Limiter hook of method/password (Allow before
// any password hashing, Done after), so a refused attempt costs no hashing.
//
// # Semantics
//
// Every counter follows one Rule: the first Rule.Free failures are free; each
// further failure makes the next attempt wait, Rule.Delay (1 s) at first and
// twice as long after every further failure, up to Rule.MaxDelay. Failures
// are forgotten one by one, one every Rule.Forgive, so that a counter that
// sees no new failure returns to zero on its own: there is no hard lock-out.
//
// An attempt is counted when it is allowed (a reservation), so concurrent
// attempts on any number of instances cannot slip past a limit between the
// check and the outcome. A successful sign-in then resets the
// username+address counter, gives back its reservation on the address,
// network and global counters, and marks the address as known for the user
// for Limits.KnownFor. The username counter — the one that distributed
// guessing drives up — is not applied to a known address, so an attacker
// guessing one account from many addresses does not keep its owner out when
// the owner signs in from an address used before; and such a sign-in does
// not reset it either, so the owner's sign-ins hand the attacker no new free
// guesses. A sign-in from a new address, which the username counter let
// through, resets it.
//
// The address counters are deliberately not reset by a success: otherwise a
// credential-stuffing client could sign in to an account of its own between
// guesses and never be slowed down.
//
// Counters are keyed by a hash of the username (never the username itself)
// and by the address; whether the account exists plays no part, so
// throttling tells nothing about which usernames exist.
//
// Limiter keeps its counters in memory, for one instance, in a bounded LRU.
// Package throttle/redisthrottle keeps the same counters in Redis, with
// atomic scripts, so that the limits hold across instances; both pass the
// conformance suite throttle/throttletest.TestLimiter.
package throttle
