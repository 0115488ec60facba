package throttle

import (
	"container/list"
	"context"
	"sync"
)

// DefaultMaxEntries bounds the counters a Limiter keeps in memory.
const DefaultMaxEntries = 100_000

// Options configure a Limiter. The zero value is ready to use.
type Options struct {
	// Limits are the rules; the zero value is DefaultLimits.
	Limits Limits
	// MaxEntries bounds the number of counters kept (about 200 bytes
	// each); beyond it the least recently used counter is dropped.
	// Default DefaultMaxEntries.
	MaxEntries int
}

// Limiter throttles credential attempts in memory, for one instance. It is
// safe for concurrent use. Its memory is bounded: counters expire once all
// their failures are forgiven and their wait is over, and at most
// MaxEntries are kept (least recently used first out). An attacker who
// wants a counter dropped early must create MaxEntries fresh counters, which
// the address, network and global counters slow down in turn.
type Limiter struct {
	lim Limits
	max int

	mu      sync.Mutex
	entries map[string]*list.Element
	lru     list.List // front: most recently used
}

type entry struct {
	key     string
	c       counter
	expires int64 // Unix ms
}

// New returns a memory Limiter.
func New(opts Options) *Limiter {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	return &Limiter{lim: opts.Limits.WithDefaults(), max: opts.MaxEntries, entries: make(map[string]*list.Element)}
}

// Limits returns the rules in effect (defaults applied).
func (l *Limiter) Limits() Limits { return l.lim }

// Len returns the number of counters kept.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// Allow implements password.Limiter: it returns the seconds to wait when
// any counter of the attempt imposes a wait, and otherwise counts the
// attempt on every counter and returns 0. It never fails.
func (l *Limiter) Allow(_ context.Context, username, clientIP string) (int, error) {
	s := SubjectsOf(username, clientIP)
	now := l.lim.Now().UnixMilli()
	rules, names := l.lim.Rules(), s.Counters()
	l.mu.Lock()
	defer l.mu.Unlock()
	known := l.get(s.Known, now) != nil
	var wait int64
	for i, r := range rules {
		if skip(i, r, names[i], known) {
			continue
		}
		if e := l.get(names[i], now); e != nil {
			wait = max(wait, e.c.wait(now))
		}
	}
	if wait > 0 {
		return seconds(wait), nil
	}
	for i, r := range rules {
		if skip(i, r, names[i], known) {
			continue
		}
		e := l.get(names[i], now)
		if e == nil {
			e = l.add(names[i])
		}
		e.c.reserve(now, r)
		e.expires = now + e.c.ttl(now, r)
	}
	return 0, nil
}

// skip reports whether counter i does not apply: off, no network, or the
// username counter for a known address.
func skip(i int, r Rule, name string, known bool) bool {
	return r.Off || name == "" || (i == 0 && known)
}

// Done implements password.Limiter. A failure was already counted by
// Allow. A success resets the username+address counter (and the username
// counter when the address was not known yet), gives back the reservation
// on the address, network and global counters and makes the address known
// for the user.
func (l *Limiter) Done(_ context.Context, username, clientIP string, success bool) {
	if !success {
		return
	}
	s := SubjectsOf(username, clientIP)
	now := l.lim.Now().UnixMilli()
	rules, names := l.lim.Rules(), s.Counters()
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.get(s.Known, now)
	if k == nil {
		// The username counter applied to this address: the owner got
		// through it, so it starts again. At a known address it did not
		// apply, and stays: the owner's sign-ins do not hand an attacker
		// who guesses from elsewhere new free failures.
		l.remove(s.User)
		k = l.add(s.Known)
	}
	l.remove(s.UserIP)
	k.expires = now + l.lim.KnownFor.Milliseconds()
	for i := 2; i < len(rules); i++ {
		if rules[i].Off || names[i] == "" {
			continue
		}
		if e := l.get(names[i], now); e != nil {
			e.c.refund(now, rules[i])
			e.expires = now + e.c.ttl(now, rules[i])
		}
	}
}

// Cancel implements password.Canceler: it gives back the count of an
// allowed attempt that had no outcome (the user database failed), so that
// an outage does not count as failures.
func (l *Limiter) Cancel(_ context.Context, username, clientIP string) {
	s := SubjectsOf(username, clientIP)
	now := l.lim.Now().UnixMilli()
	rules, names := l.lim.Rules(), s.Counters()
	l.mu.Lock()
	defer l.mu.Unlock()
	known := l.get(s.Known, now) != nil
	for i, r := range rules {
		if skip(i, r, names[i], known) {
			continue
		}
		if e := l.get(names[i], now); e != nil {
			e.c.refund(now, r)
			e.expires = now + e.c.ttl(now, r)
		}
	}
}

// get returns the live entry of key (marking it used), or nil.
func (l *Limiter) get(key string, now int64) *entry {
	el, ok := l.entries[key]
	if !ok {
		return nil
	}
	e := el.Value.(*entry)
	if e.expires <= now {
		l.lru.Remove(el)
		delete(l.entries, key)
		return nil
	}
	l.lru.MoveToFront(el)
	return e
}

// add inserts a fresh entry, dropping the least recently used one when full.
func (l *Limiter) add(key string) *entry {
	for len(l.entries) >= l.max {
		old := l.lru.Back()
		l.lru.Remove(old)
		delete(l.entries, old.Value.(*entry).key)
	}
	e := &entry{key: key}
	l.entries[key] = l.lru.PushFront(e)
	return e
}

func (l *Limiter) remove(key string) {
	if el, ok := l.entries[key]; ok {
		l.lru.Remove(el)
		delete(l.entries, key)
	}
}
