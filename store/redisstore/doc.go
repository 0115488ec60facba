// Package redisstore is the Redis authing.Store: the production store, shared
// by every authing instance behind a load balancer.
//
// Each entry is one Redis string holding the JSON form of authing.StoreData
// (the Bazis key names _user_id, _auth_type, _errors, _actions plus a
// method's own keys), under the logical key itself, e.g.
// "auth_store_<64 hex>", optionally preceded by Options.Prefix. The commands:
//
//	Put     SET key value PX <ttl in ms>
//	Get     GET key
//	Claim   GETDEL key   (Redis >= 6.2)
//	Delete  DEL key
//
// Claim is atomic because GETDEL is one command on one key: of any number of
// concurrent Claims, from any number of processes, only the one whose
// GETDEL returned the value wins. Every key is independent, so the store
// works unchanged on Redis Cluster. Reads must go to the primary (do not
// enable replica reads: ReadOnly, RouteByLatency, RouteRandomly), or a Get
// right after a Put may miss it.
//
// Every error of the driver or the server (network, timeout, a cancelled
// context, a Redis error reply) matches authing.ErrUnavailable, which the
// Service answers with 503; a cancelled or expired context also matches
// context.Canceled or context.DeadlineExceeded. A value that is not the
// JSON of StoreData is an error that does not match ErrUnavailable.
//
// Open builds a client whose every wait is bounded, so that a dead Redis
// gives an error within seconds instead of a hang. With it, a context
// deadline ends any network wait; a cancellation without a deadline is seen
// while waiting for a connection or dialing, and otherwise when ReadTimeout
// ends.
package redisstore
