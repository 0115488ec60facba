package memstore

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"authing.dev/authing"
)

// Defaults of Options.
const (
	// DefaultMaxEntries is the default bound on the number of entries:
	// a few hundred megabytes at most for sign-in entries of usual size.
	DefaultMaxEntries = 1_000_000
	// DefaultSweepInterval is the default period of the janitor.
	DefaultSweepInterval = time.Minute
)

// ErrFull is matched (with errors.Is) by the error of a Put that would add
// an entry beyond Options.MaxEntries. The same error also matches
// authing.ErrUnavailable.
var ErrFull = errors.New("memstore: too many entries")

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// Now returns the current time, against which lifetimes are measured.
	// Default: time.Now.
	Now func() time.Time

	// MaxEntries bounds the number of entries held, counting expired
	// entries that are not swept yet. A Put that would add a key beyond it
	// fails with an error matching ErrFull and authing.ErrUnavailable;
	// replacing an existing key always succeeds. A failed Put also asks the
	// janitor for an early sweep (at most one per second). Values <= 0 mean
	// DefaultMaxEntries (1,000,000).
	MaxEntries int

	// SweepInterval is the period at which the janitor removes expired
	// entries that nobody reads any more. Values <= 0 mean
	// DefaultSweepInterval (one minute).
	SweepInterval time.Duration
}

const (
	shardCount = 64 // a power of two
	// minKickGap is the least time between two sweeps asked for by a full
	// store, so that a client hammering a full store cannot make every
	// request pay for a sweep.
	minKickGap = time.Second
	// A shard map is rebuilt when a sweep left it at a quarter of its
	// peak size (Go maps never shrink), if that peak was at least this.
	shrinkMinPeak = 1024
)

// Store is an in-process authing.Store. Create it with New and stop its
// janitor with Close. It is safe for concurrent use.
type Store struct {
	c *core
	j *janitor
}

var _ authing.Store = (*Store)(nil)

// core holds the entries. The janitor goroutine refers to core only, never
// to Store, so that a Store that is dropped without Close is still
// collected and its janitor stopped (runtime.AddCleanup).
type core struct {
	now    func() time.Time
	max    int64
	count  atomic.Int64
	seed   maphash.Seed
	kickc  chan struct{}
	shards [shardCount]shard
}

type shard struct {
	mu   sync.RWMutex
	m    map[string]entry
	peak int // largest len(m) since m was made
}

type entry struct {
	data    authing.StoreData // a private copy, never modified in place
	expires time.Time
}

type janitor struct {
	once sync.Once
	stop chan struct{}
	done chan struct{}
}

// New returns an empty Store and starts its janitor.
func New(opts Options) *Store {
	c := &core{
		now:   opts.Now,
		max:   int64(opts.MaxEntries),
		seed:  maphash.MakeSeed(),
		kickc: make(chan struct{}, 1),
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.max <= 0 {
		c.max = DefaultMaxEntries
	}
	for i := range c.shards {
		c.shards[i].m = make(map[string]entry)
	}
	interval := opts.SweepInterval
	if interval <= 0 {
		interval = DefaultSweepInterval
	}
	j := &janitor{stop: make(chan struct{}), done: make(chan struct{})}
	go c.run(interval, j.stop, j.done)
	s := &Store{c: c, j: j}
	runtime.AddCleanup(s, (*janitor).signal, j)
	return s
}

// Close stops the janitor and waits for it to finish. The Store stays
// usable (entries then expire only when they are read). Close is
// idempotent and always returns nil.
func (s *Store) Close() error {
	s.j.signal()
	<-s.j.done
	return nil
}

func (j *janitor) signal() { j.once.Do(func() { close(j.stop) }) }

// Len returns the number of entries held, including expired entries that
// are not swept yet: the number that Options.MaxEntries bounds.
func (s *Store) Len() int { return int(s.c.count.Load()) }

// Put implements authing.Store. The ttl must be positive.
func (s *Store) Put(ctx context.Context, key string, d authing.StoreData, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: put: %w", err)
	}
	if ttl <= 0 {
		return fmt.Errorf("memstore: put: ttl %v is not positive", ttl)
	}
	c := s.c
	e := entry{data: d.Clone(), expires: c.now().Add(ttl)}
	sh := c.shard(key)
	sh.mu.Lock()
	if _, ok := sh.m[key]; !ok {
		if c.count.Add(1) > c.max {
			c.count.Add(-1)
			sh.mu.Unlock()
			c.kick()
			return fmt.Errorf("memstore: put: %w: %w", authing.ErrUnavailable, ErrFull)
		}
		sh.peak = max(sh.peak, len(sh.m)+1)
	}
	sh.m[key] = e
	sh.mu.Unlock()
	return nil
}

// Get implements authing.Store. An expired entry is removed when it is read.
func (s *Store) Get(ctx context.Context, key string) (authing.StoreData, bool, error) {
	if err := ctx.Err(); err != nil {
		return authing.StoreData{}, false, fmt.Errorf("memstore: get: %w", err)
	}
	c := s.c
	now := c.now()
	sh := c.shard(key)
	sh.mu.RLock()
	e, ok := sh.m[key]
	if ok && now.Before(e.expires) {
		// Cloned under the lock: once a Claim has removed the entry, its
		// winner owns e.data and may change it.
		d := e.data.Clone()
		sh.mu.RUnlock()
		return d, true, nil
	}
	sh.mu.RUnlock()
	if ok {
		sh.mu.Lock()
		// Another goroutine may have replaced it in between.
		if cur, ok := sh.m[key]; ok && !now.Before(cur.expires) {
			delete(sh.m, key)
			c.count.Add(-1)
		}
		sh.mu.Unlock()
	}
	return authing.StoreData{}, false, nil
}

// Claim implements authing.Store: the entry is removed under the shard's
// lock, so exactly one of concurrent Claims finds it.
func (s *Store) Claim(ctx context.Context, key string) (authing.StoreData, bool, error) {
	if err := ctx.Err(); err != nil {
		return authing.StoreData{}, false, fmt.Errorf("memstore: claim: %w", err)
	}
	c := s.c
	now := c.now()
	sh := c.shard(key)
	sh.mu.Lock()
	e, ok := sh.m[key]
	if ok {
		delete(sh.m, key)
		c.count.Add(-1)
	}
	sh.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		return authing.StoreData{}, false, nil
	}
	return e.data, true, nil // removed from the map: the caller owns it now
}

// Delete implements authing.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: delete: %w", err)
	}
	c := s.c
	sh := c.shard(key)
	sh.mu.Lock()
	if _, ok := sh.m[key]; ok {
		delete(sh.m, key)
		c.count.Add(-1)
	}
	sh.mu.Unlock()
	return nil
}

func (c *core) shard(key string) *shard {
	return &c.shards[maphash.String(c.seed, key)&(shardCount-1)]
}

// kick asks the janitor for an early sweep without waiting for it.
func (c *core) kick() {
	select {
	case c.kickc <- struct{}{}:
	default:
	}
}

// run is the janitor: it sweeps every interval, and on a kick when the last
// kicked sweep is at least minKickGap ago.
func (c *core) run(interval time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastKick time.Time
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			c.sweep(stop)
		case <-c.kickc:
			if !lastKick.IsZero() && time.Since(lastKick) < minKickGap {
				continue
			}
			c.sweep(stop)
			lastKick = time.Now()
		}
	}
}

// sweep removes expired entries, one shard at a time: a shard's lock is held
// for one pass over that shard only (1/64 of the entries).
func (c *core) sweep(stop <-chan struct{}) {
	for i := range c.shards {
		select {
		case <-stop:
			return
		default:
		}
		sh := &c.shards[i]
		now := c.now()
		sh.mu.Lock()
		for k, e := range sh.m {
			if !now.Before(e.expires) {
				delete(sh.m, k)
				c.count.Add(-1)
			}
		}
		if sh.peak >= shrinkMinPeak && len(sh.m) < sh.peak/4 {
			m := make(map[string]entry, len(sh.m))
			for k, e := range sh.m {
				m[k] = e
			}
			sh.m, sh.peak = m, len(m)
		}
		sh.mu.Unlock()
	}
}
