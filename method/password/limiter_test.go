package password_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/hashers"
	"authing.dev/authing/method/password"
	"authing.dev/authing/throttle"
)

// countingUsers counts the look-ups of the user database.
type countingUsers struct {
	authing.Users
	lookups atomic.Int64
	fail    error
}

func (c *countingUsers) UserByUsername(ctx context.Context, name string) (authing.User, error) {
	c.lookups.Add(1)
	if c.fail != nil {
		return authing.User{}, c.fail
	}
	return c.Users.UserByUsername(ctx, name)
}

// recordingLimiter refuses when wait > 0 and records the outcomes.
type recordingLimiter struct {
	wait     int
	err      error
	outcomes []bool
}

func (l *recordingLimiter) Allow(context.Context, string, string) (int, error) { return l.wait, l.err }
func (l *recordingLimiter) Done(_ context.Context, _, _ string, success bool) {
	l.outcomes = append(l.outcomes, success)
}

// A throttled attempt does no work at all: no look-up, no hashing.
func TestAuthenticate_ThrottledDoesNoWork(t *testing.T) {
	set := hashers.NewSet(hashers.PBKDF2SHA256{Iterations: 1000})
	h := &countingHasher{Hasher: set}
	fake := &authingtest.Users{}
	good, _ := set.Encode("right")
	newUser(t, fake, "alice", good, true)
	users := &countingUsers{Users: fake}
	lim := &recordingLimiter{wait: 7}
	m := password.New(users, password.Options{Hasher: h, Limiter: lim})
	ctx := context.Background()
	for _, c := range [][2]string{{"alice", "right"}, {"alice", "wrong"}, {"nobody", "x"}} {
		_, ok, err := m.Authenticate(ctx, "192.0.2.1", c[0], c[1])
		var te *password.ThrottledError
		if ok || !errors.As(err, &te) || te.RetryAfter != 7 || !errors.Is(err, password.ErrThrottled) {
			t.Fatalf("%v: ok=%v err=%v", c, ok, err)
		}
	}
	if v, d := h.work(); v != 0 || d != 0 || users.lookups.Load() != 0 || len(lim.outcomes) != 0 {
		t.Fatalf("throttled attempts did work: %d verifications, %d dummies, %d look-ups, outcomes %v", v, d, users.lookups.Load(), lim.outcomes)
	}

	// allowed attempts report their outcome; a failing database reports none
	lim.wait = 0
	m.Authenticate(ctx, "192.0.2.1", "alice", "right")
	m.Authenticate(ctx, "192.0.2.1", "alice", "wrong")
	m.Authenticate(ctx, "192.0.2.1", "nobody", "right")
	users.fail = authing.ErrUnavailable
	if _, _, err := m.Authenticate(ctx, "192.0.2.1", "alice", "right"); !errors.Is(err, authing.ErrUnavailable) {
		t.Fatal(err)
	}
	if want := []bool{true, false, false}; len(lim.outcomes) != 3 || lim.outcomes[0] != want[0] || lim.outcomes[1] || lim.outcomes[2] {
		t.Fatalf("outcomes %v, want %v", lim.outcomes, want)
	}
	// a limiter that fails fails the attempt, without work
	lim.err = authing.ErrUnavailable
	users.fail = nil
	before := users.lookups.Load()
	if _, _, err := m.Authenticate(ctx, "192.0.2.1", "alice", "right"); !errors.Is(err, authing.ErrUnavailable) {
		t.Fatalf("limiter error: %v", err)
	}
	if users.lookups.Load() != before {
		t.Fatal("a failing limiter let the attempt through")
	}
}

// With the real limiter: once an account is throttled, guessing costs no
// hashing; the owner's known address is not throttled.
func TestAuthenticate_ThrottleLimitsHashing(t *testing.T) {
	set := hashers.NewSet(hashers.PBKDF2SHA256{Iterations: 1000})
	h := &countingHasher{Hasher: set}
	users := &authingtest.Users{}
	good, _ := set.Encode("right")
	newUser(t, users, "alice", good, true)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lim := throttle.New(throttle.Options{Limits: throttle.Limits{Now: func() time.Time { return now }}})
	m := password.New(users, password.Options{Hasher: h, Limiter: lim})
	ctx := context.Background()
	if _, ok, _ := m.Authenticate(ctx, "198.51.100.7", "alice", "right"); !ok {
		t.Fatal("alice cannot sign in")
	}
	h.work()
	throttled := 0
	for i := range 100 {
		_, _, err := m.Authenticate(ctx, "203.0.113."+itoa(i), "alice", "guess")
		if errors.Is(err, password.ErrThrottled) {
			throttled++
		}
	}
	v, d := h.work()
	free := throttle.DefaultLimits().User.Free
	if v+d != free+1 || throttled != 100-(free+1) {
		t.Fatalf("%d hashings and %d throttled of 100 guesses, want %d and %d", v+d, throttled, free+1, 100-free-1)
	}
	if _, ok, err := m.Authenticate(ctx, "198.51.100.7", "alice", "right"); !ok || err != nil {
		t.Fatalf("alice from her known address: %v %v", ok, err)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}
