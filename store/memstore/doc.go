// Package memstore is the in-process authing.Store: the embedded default of
// a single authing instance. Entries live in the memory of one process, so
// it must not be used behind a load balancer with several instances; use
// package redisstore there.
//
// Entries expire lazily when they are read and are swept periodically by a
// janitor goroutine, which Close stops. The number of entries is bounded
// (Options.MaxEntries): every anonymous GET /auth/ creates an entry, and a
// client calling it in a loop must exhaust that bound, not the memory of the
// machine. Beyond it Put fails with an error matching authing.ErrUnavailable
// and ErrFull, which the Service answers with 503.
//
// Claim is atomic under the lock of the entry's shard: of any number of
// concurrent Claims of one key exactly one wins. The store keeps and hands
// out copies of StoreData, never slices or maps shared with a caller.
package memstore
