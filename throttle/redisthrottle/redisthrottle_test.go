package redisthrottle_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"authing.dev/authing"
	"authing.dev/authing/internal/testenv"
	"authing.dev/authing/throttle"
	"authing.dev/authing/throttle/redisthrottle"
	"authing.dev/authing/throttle/throttletest"
)

// client returns a client of the test Redis (skipped without one, failed in
// CI).
func client(t *testing.T) redis.UniversalClient {
	t.Helper()
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestLimiter(t *testing.T) {
	c := client(t)
	throttletest.TestLimiter(t, func(t *testing.T, l throttle.Limits) throttletest.Limiter {
		return redisthrottle.New(c, redisthrottle.Options{Prefix: testenv.Unique("throttle-test-"), Limits: l})
	})
}

func TestRevocations(t *testing.T) {
	c := client(t)
	throttletest.TestRevocations(t, func(t *testing.T, now func() time.Time) authing.Revocations {
		return redisthrottle.NewRevocations(c, redisthrottle.RevocationsOptions{Prefix: testenv.Unique("revoked-test-"), Now: now})
	})
}

// Keys expire in Redis once their counters are forgiven; no username is
// written in clear.
func TestLimiter_Keys(t *testing.T) {
	c := client(t)
	prefix := testenv.Unique("throttle-keys-")
	l := redisthrottle.New(c, redisthrottle.Options{Prefix: prefix})
	ctx := context.Background()
	if w, err := l.Allow(ctx, "alice@example.com", "192.0.2.1"); w != 0 || err != nil {
		t.Fatal(w, err)
	}
	l.Done(ctx, "alice@example.com", "192.0.2.1", false)
	keys, err := c.Keys(ctx, "{"+prefix+"}:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 5 {
		t.Fatalf("keys %v, want the 5 counters", keys)
	}
	for _, k := range keys {
		// -1 is a key without expiry (a leak); -2 a key already gone,
		// which a quickly forgiven counter (the global one) may be.
		if ttl := c.PTTL(ctx, k).Val(); ttl == -1 || ttl > time.Hour {
			t.Errorf("%s: TTL %v", k, ttl)
		}
		for _, s := range []string{"alice", "example"} {
			if contains(k, s) {
				t.Errorf("key %q names the user", k)
			}
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// With Redis down, attempts fail with authing.ErrUnavailable (503): they
// are never let through unthrottled.
func TestLimiter_RedisDown(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	var doneErr error
	l := redisthrottle.New(c, redisthrottle.Options{OnError: func(err error) { doneErr = err }})
	ctx := context.Background()
	if _, err := l.Allow(ctx, "alice", "192.0.2.1"); !errors.Is(err, authing.ErrUnavailable) {
		t.Fatalf("Allow: %v", err)
	}
	l.Done(ctx, "alice", "192.0.2.1", true)
	if !errors.Is(doneErr, authing.ErrUnavailable) {
		t.Fatalf("Done error: %v", doneErr)
	}
	r := redisthrottle.NewRevocations(c, redisthrottle.RevocationsOptions{})
	if _, _, err := r.Check(ctx, "alice", "s"); !errors.Is(err, authing.ErrUnavailable) {
		t.Fatalf("Check: %v", err)
	}
	if err := r.RevokeUser(ctx, "alice", time.Now()); !errors.Is(err, authing.ErrUnavailable) {
		t.Fatalf("RevokeUser: %v", err)
	}
}

// Attempts arriving at the same moment on three instances: exactly Free+1
// pass overall.
func TestLimiter_ConcurrentInstances(t *testing.T) {
	clock := throttletest.NewClock()
	off := throttle.Rule{Off: true}
	limits := throttle.Limits{User: throttle.Rule{Free: 9, Forgive: time.Hour, MaxDelay: time.Hour}, UserIP: off, IP: off, Net: off, Global: off, Now: clock.Now}
	prefix := testenv.Unique("concurrent-")
	var ls []*redisthrottle.Limiter
	for range 3 {
		ls = append(ls, redisthrottle.New(client(t), redisthrottle.Options{Prefix: prefix, Limits: limits}))
	}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 90 {
		wg.Go(func() {
			w, err := ls[i%3].Allow(context.Background(), "victim", fmt.Sprintf("10.0.%d.1", i))
			if err != nil {
				t.Error(err)
			}
			if w == 0 {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 10 {
		t.Fatalf("%d of 90 concurrent attempts on 3 instances allowed, want Free+1 = 10", n)
	}
}
