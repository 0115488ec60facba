// Package throttletest is the conformance suite of attempt limiters: every
// implementation of the password.Limiter hook that follows the semantics of
// package throttle (the memory Limiter, redisthrottle, a third party's) runs
// TestLimiter.
package throttletest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"authing.dev/authing/throttle"
)

// Limiter is the password.Limiter hook with its Canceler ability, as the
// suite drives it.
type Limiter interface {
	Allow(ctx context.Context, username, clientIP string) (retryAfter int, err error)
	Done(ctx context.Context, username, clientIP string, success bool)
	Cancel(ctx context.Context, username, clientIP string)
}

// Clock is the suite's clock, passed to the limiter as Limits.Now.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at a fixed time.
func NewClock() *Clock { return &Clock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// NewLimiter returns a fresh limiter with the given limits (Limits.Now is
// the suite's clock), sharing no state with the limiters of other calls.
type NewLimiter func(t *testing.T, l throttle.Limits) Limiter

// TestLimiter runs the conformance suite.
func TestLimiter(t *testing.T, newLimiter NewLimiter) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, NewLimiter)
	}{
		{"FreeThenDoubling", testFreeThenDoubling},
		{"MaxDelay", testMaxDelay},
		{"SuccessResetsUser", testSuccessResetsUser},
		{"Forgive", testForgive},
		{"KnownAddress", testKnownAddress},
		{"KnownExpires", testKnownExpires},
		{"OneAddressManyUsers", testOneAddressManyUsers},
		{"SuccessRefundsAddress", testSuccessRefundsAddress},
		{"Networks", testNetworks},
		{"Global", testGlobal},
		{"Off", testOff},
		{"OddAddresses", testOddAddresses},
		{"RetryAfterRoundsUp", testRetryAfterRoundsUp},
		{"Concurrent", testConcurrent},
		{"UsernamesAreExact", testUsernamesAreExact},
		{"Cancel", testCancel},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newLimiter) })
	}
}

var ctx = context.Background()

// only returns limits where the given counters have rule r and every other
// counter is off.
func only(clock *Clock, r throttle.Rule, counters ...string) throttle.Limits {
	off := throttle.Rule{Off: true}
	l := throttle.Limits{User: off, UserIP: off, IP: off, Net: off, Global: off, Now: clock.Now}
	for _, c := range counters {
		switch c {
		case "user":
			l.User = r
		case "userip":
			l.UserIP = r
		case "ip":
			l.IP = r
		case "net":
			l.Net = r
		case "global":
			l.Global = r
		default:
			panic("throttletest: no counter " + c)
		}
	}
	return l
}

func rule(free int) throttle.Rule {
	return throttle.Rule{Free: free, Forgive: time.Hour, Delay: time.Second, MaxDelay: 16 * time.Second}
}

func allow(t *testing.T, l Limiter, user, ip string) int {
	t.Helper()
	wait, err := l.Allow(ctx, user, ip)
	if err != nil {
		t.Fatalf("Allow(%q, %q): %v", user, ip, err)
	}
	if wait < 0 {
		t.Fatalf("Allow(%q, %q) = %d, a negative wait", user, ip, wait)
	}
	return wait
}

// fail makes one attempt that must be allowed, and fails it.
func fail(t *testing.T, l Limiter, user, ip string) {
	t.Helper()
	if w := allow(t, l, user, ip); w != 0 {
		t.Fatalf("Allow(%q, %q) = wait %d s, want allowed", user, ip, w)
	}
	l.Done(ctx, user, ip, false)
}

// succeed makes one attempt that must be allowed, and succeeds.
func succeed(t *testing.T, l Limiter, user, ip string) {
	t.Helper()
	if w := allow(t, l, user, ip); w != 0 {
		t.Fatalf("Allow(%q, %q) = wait %d s, want allowed", user, ip, w)
	}
	l.Done(ctx, user, ip, true)
}

func wantWait(t *testing.T, l Limiter, user, ip string, want int) {
	t.Helper()
	if w := allow(t, l, user, ip); w != want {
		t.Fatalf("Allow(%q, %q) = wait %d s, want %d", user, ip, w, want)
	}
}

// Free failures pass at once; failure Free+1 is allowed but makes the next
// attempt wait Delay, and each further failure doubles the wait.
func testFreeThenDoubling(t *testing.T, nl NewLimiter) {
	clock := NewClock()
	l := nl(t, only(clock, rule(3), "userip"))
	for range 4 {
		fail(t, l, "alice", "192.0.2.1")
	}
	wantWait(t, l, "alice", "192.0.2.1", 1)
	wantWait(t, l, "alice", "192.0.2.1", 1) // a refused attempt is not counted
	for _, w := range []int{2, 4, 8} {
		clock.Advance(time.Duration(w/2) * time.Second)
		fail(t, l, "alice", "192.0.2.1")
		wantWait(t, l, "alice", "192.0.2.1", w)
		clock.Advance(time.Duration(w)*time.Second - time.Millisecond)
		wantWait(t, l, "alice", "192.0.2.1", 1)
		clock.Advance(-time.Duration(w)*time.Second + time.Millisecond)
	}
	// other usernames and addresses are not affected by this counter
	fail(t, l, "bob", "192.0.2.1")
	fail(t, l, "alice", "192.0.2.2")
}

func testMaxDelay(t *testing.T, nl NewLimiter) {
	clock := NewClock()
	l := nl(t, only(clock, rule(0), "userip"))
	last := 0
	for range 12 {
		for {
			w := allow(t, l, "alice", "192.0.2.1")
			if w == 0 {
				l.Done(ctx, "alice", "192.0.2.1", false)
				break
			}
			if w > 16 {
				t.Fatalf("wait %d s over MaxDelay 16 s", w)
			}
			last = w
			clock.Advance(time.Duration(w) * time.Second)
		}
	}
	if last != 16 {
		t.Fatalf("the wait stopped growing at %d s, want the cap 16 s", last)
	}
}

func testSuccessResetsUser(t *testing.T, nl NewLimiter) {
	clock := NewClock()
	l := nl(t, only(clock, rule(2), "user", "userip"))
	for range 3 {
		fail(t, l, "alice", "192.0.2.1")
	}
	wantWait(t, l, "alice", "192.0.2.1", 1)
	clock.Advance(time.Second)
	succeed(t, l, "alice", "192.0.2.1")
	for range 3 {
		fail(t, l, "alice", "192.0.2.1")
	}
	wantWait(t, l, "alice", "192.0.2.1", 1)
}

func testForgive(t *testing.T, nl NewLimiter) {
	clock := NewClock()
	r := throttle.Rule{Free: 2, Forgive: time.Minute, Delay: time.Second, MaxDelay: time.Hour}
	l := nl(t, only(clock, r, "userip"))
	for range 3 {
		fail(t, l, "alice", "192.0.2.1")
	}
	wantWait(t, l, "alice", "192.0.2.1", 1)
	// one failure forgiven: the next failure is number 3 again (1 s)
	clock.Advance(time.Minute)
	fail(t, l, "alice", "192.0.2.1")
	wantWait(t, l, "alice", "192.0.2.1", 1)
	// all forgiven: Free+1 failures at once again
	clock.Advance(3 * time.Minute)
	for range 3 {
		fail(t, l, "alice", "192.0.2.1")
	}
	wantWait(t, l, "alice", "192.0.2.1", 1)
}

// Guessing one account from many addresses drives up its username counter,
// which does not apply at an address the user signed in from before.
func testKnownAddress(t *testing.T, nl NewLimiter) {
	clock := NewClock()
	l := nl(t, only(clock, rule(3), "user", "userip"))
	succeed(t, l, "alice", "198.51.100.7") // alice's usual address
	for i := range 4 {
		fail(t, l, "alice", fmt.Sprintf("203.0.%d.1", i))
	}
	wantWait(t, l, "alice", "203.0.99.1", 1)
	// alice from her usual address is not held back by the attack
	succeed(t, l, "alice", "198.51.100.7")
	// … and her success there does not reset the attack's counter
	wantWait(t, l, "alice", "203.0.100.1", 1)
	// a success from a new address (once the wait is over) does
	clock.Advance(time.Second)
	succeed(t, l, "alice", "203.0.100.2")
	for range 3 {
		fail(t, l, "alice", "203.0.101.1")
	}
	// a known address still has its own username+address counter
	for range 3 {
		fail(t, l, "alice", "198.51.100.7")
	}
	fail(t, l, "alice", "198.51.100.7")
	wantWait(t, l, "alice", "198.51.100.7", 1)
}

func testKnownExpires(t *testing.T, nl NewLimiter) {
	clock := NewClock()
	lim := only(clock, rule(1), "user")
	lim.KnownFor = time.Hour
	l := nl(t, lim)
	succeed(t, l, "alice", "198.51.100.7")
	clock.Advance(2 * time.Hour)
	fail(t, l, "alice", "203.0.113.1")
	fail(t, l, "alice", "203.0.113.2")
	wantWait(t, l, "alice", "198.51.100.7", 1)
}

func testOneAddressManyUsers(t *testing.T, nl NewLimiter) {
	clock := NewClock()
	l := nl(t, only(clock, rule(5), "ip"))
	for i := range 6 {
		fail(t, l, fmt.Sprintf("user%d", i), "192.0.2.1")
	}
	wantWait(t, l, "someone-else", "192.0.2.1", 1)
	fail(t, l, "user0", "192.0.2.2") // another address
}

// Successes give their reservation back on the address counter: a NAT
// address with many users signing in is never slowed down by them; but
// they do not erase its failures.
func testSuccessRefundsAddress(t *testing.T, nl NewLimiter) {
	clock := NewClock()
	l := nl(t, only(clock, rule(3), "ip", "net", "global"))
	for i := range 50 {
		succeed(t, l, fmt.Sprintf("user%d", i), "192.0.2.1")
	}
	for range 4 {
		fail(t, l, "mallory", "192.0.2.1")
	}
	wantWait(t, l, "mallory", "192.0.2.1", 1)
	// a success while the address is over its free failures leaves the wait
	// of those failures (counted from the success), not its own
	clock.Advance(time.Second)
	succeed(t, l, "alice", "192.0.2.1")
	wantWait(t, l, "mallory", "192.0.2.1", 1)
	clock.Advance(time.Second)
	fail(t, l, "mallory", "192.0.2.1")
	wantWait(t, l, "mallory", "192.0.2.1", 2)
}

func testNetworks(t *testing.T, nl NewLimiter) {
	clock := NewClock()
	l := nl(t, only(clock, rule(3), "net"))
	for i := range 4 {
		fail(t, l, fmt.Sprintf("u%d", i), fmt.Sprintf("192.0.2.%d", 10+i))
	}
	wantWait(t, l, "x", "192.0.2.200", 1)
	wantWait(t, l, "x", "::ffff:192.0.2.201", 1) // IPv4-mapped IPv6 is IPv4
	fail(t, l, "x", "192.0.3.1")                 // another /24

	for i := range 4 {
		fail(t, l, fmt.Sprintf("u%d", i), fmt.Sprintf("2001:db8:0:1::%x", i+1))
	}
	wantWait(t, l, "x", "2001:db8:0:1:ffff::1", 1) // same /64
	wantWait(t, l, "x", "2001:db8:0:1::9%eth0", 1) // zones are dropped
	fail(t, l, "x", "2001:db8:0:2::1")             // another /64
}

func testGlobal(t *testing.T, nl NewLimiter) {
	clock := NewClock()
	l := nl(t, only(clock, rule(10), "global"))
	for i := range 11 {
		fail(t, l, fmt.Sprintf("u%d", i), fmt.Sprintf("10.%d.0.1", i))
	}
	wantWait(t, l, "anyone", "172.16.0.1", 1)
}

func testOff(t *testing.T, nl NewLimiter) {
	clock := NewClock()
	l := nl(t, only(clock, rule(0)))
	for range 100 {
		fail(t, l, "alice", "192.0.2.1")
	}
}

func testOddAddresses(t *testing.T, nl NewLimiter) {
	clock := NewClock()
	l := nl(t, only(clock, rule(2), "ip", "net", "userip"))
	for _, ip := range []string{"", "pipe", "not an address", "[::1]:80", "999.1.1.1"} {
		for range 3 {
			fail(t, l, "alice", ip)
		}
		wantWait(t, l, "alice", ip, 1)
	}
	fail(t, l, "alice", "192.0.2.1")
}

func testRetryAfterRoundsUp(t *testing.T, nl NewLimiter) {
	clock := NewClock()
	r := throttle.Rule{Free: 0, Forgive: time.Hour, Delay: 1500 * time.Millisecond, MaxDelay: time.Hour}
	l := nl(t, only(clock, r, "userip"))
	fail(t, l, "alice", "192.0.2.1")
	wantWait(t, l, "alice", "192.0.2.1", 2)
	clock.Advance(1499 * time.Millisecond)
	wantWait(t, l, "alice", "192.0.2.1", 1)
	clock.Advance(time.Millisecond)
	fail(t, l, "alice", "192.0.2.1")
}

// Of many attempts at the same moment, exactly Free+1 are allowed: the
// check and the count are one step.
func testConcurrent(t *testing.T, nl NewLimiter) {
	clock := NewClock()
	l := nl(t, only(clock, rule(4), "userip"))
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			w, err := l.Allow(ctx, "alice", "192.0.2.1")
			if err != nil {
				t.Error(err)
				return
			}
			if w == 0 {
				allowed.Add(1)
				l.Done(ctx, "alice", "192.0.2.1", false)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 5 {
		t.Fatalf("%d of 40 concurrent attempts allowed, want Free+1 = 5", n)
	}
}

func testUsernamesAreExact(t *testing.T, nl NewLimiter) {
	clock := NewClock()
	l := nl(t, only(clock, rule(1), "user"))
	fail(t, l, "alice", "192.0.2.1")
	fail(t, l, "alice", "192.0.2.1")
	wantWait(t, l, "alice", "192.0.2.1", 1)
	fail(t, l, "Alice", "192.0.2.1")
	fail(t, l, "alice\x00", "192.0.2.1")
	long := string(make([]byte, 100_000))
	fail(t, l, long, "192.0.2.1")
}

// Attempts that had no outcome (the user database failed) and were
// cancelled do not count: after an outage nobody is throttled for it.
func testCancel(t *testing.T, nl NewLimiter) {
	clock := NewClock()
	l := nl(t, only(clock, rule(2), "user", "userip", "ip", "net", "global"))
	for range 10 {
		if w := allow(t, l, "alice", "192.0.2.1"); w != 0 {
			t.Fatalf("attempt during the outage refused: wait %d", w)
		}
		l.Cancel(ctx, "alice", "192.0.2.1")
	}
	for range 3 {
		fail(t, l, "alice", "192.0.2.1")
	}
	wantWait(t, l, "alice", "192.0.2.1", 1)
	// a cancelled attempt that had doubled the wait shrinks it back to the
	// wait of the failures before it (counted from the cancellation)
	clock.Advance(5 * time.Second)
	if w := allow(t, l, "alice", "192.0.2.1"); w != 0 {
		t.Fatalf("wait %d", w)
	}
	wantWait(t, l, "alice", "192.0.2.1", 2)
	l.Cancel(ctx, "alice", "192.0.2.1")
	wantWait(t, l, "alice", "192.0.2.1", 1)
	clock.Advance(time.Second)
	fail(t, l, "alice", "192.0.2.1")
	wantWait(t, l, "alice", "192.0.2.1", 2)
}
