package throttle_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"authing.dev/authing/throttle"
	"authing.dev/authing/throttle/throttletest"
)

func TestLimiter(t *testing.T) {
	throttletest.TestLimiter(t, func(t *testing.T, l throttle.Limits) throttletest.Limiter {
		return throttle.New(throttle.Options{Limits: l})
	})
}

// Memory stays bounded: counters expire once forgiven, and at most
// MaxEntries are kept.
func TestLimiter_Bounded(t *testing.T) {
	clock := throttletest.NewClock()
	l := throttle.New(throttle.Options{MaxEntries: 1000, Limits: throttle.Limits{Now: clock.Now}})
	ctx := context.Background()
	for i := range 5000 {
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		if w, _ := l.Allow(ctx, fmt.Sprintf("user%d", i), ip); w == 0 {
			l.Done(ctx, fmt.Sprintf("user%d", i), ip, false)
		}
		if n := l.Len(); n > 1000 {
			t.Fatalf("%d entries kept, MaxEntries is 1000", n)
		}
	}
	// the most recent counters survive
	for range 5 {
		l.Allow(ctx, "user4999", "10.0.19.135")
	}
	if w, _ := l.Allow(ctx, "user4999", "10.0.19.135"); w == 0 {
		t.Fatal("the most recent counter was dropped")
	}
	// a day later everything but the known marks of successes has expired
	clock.Advance(24 * time.Hour)
	l.Allow(ctx, "x", "192.0.2.1")
	l.Done(ctx, "x", "192.0.2.1", true)
	for i := range 2000 { // touching expired entries drops them
		l.Allow(ctx, "probe", fmt.Sprintf("172.16.%d.%d", i>>8, i&255))
	}
	if n := l.Len(); n > 1000 {
		t.Fatalf("%d entries", n)
	}
}

func TestParseRule(t *testing.T) {
	good := map[string]throttle.Rule{
		"5/15m/15m":       {Free: 5, Forgive: 15 * time.Minute, MaxDelay: 15 * time.Minute, Delay: time.Second},
		" 0/10ms/1m/2s ":  {Free: 0, Forgive: 10 * time.Millisecond, MaxDelay: time.Minute, Delay: 2 * time.Second},
		"off":             {Off: true},
		"200/15s/15m/1s":  {Free: 200, Forgive: 15 * time.Second, MaxDelay: 15 * time.Minute, Delay: time.Second},
		"1000/10ms/1m/1s": {Free: 1000, Forgive: 10 * time.Millisecond, MaxDelay: time.Minute, Delay: time.Second},
	}
	for s, want := range good {
		r, err := throttle.ParseRule(s)
		if err != nil || r != want {
			t.Errorf("ParseRule(%q) = %+v, %v; want %+v", s, r, err, want)
		}
		if r2, err := throttle.ParseRule(r.String()); err != nil || r2 != r {
			t.Errorf("round trip of %q: %q → %+v %v", s, r.String(), r2, err)
		}
	}
	for _, s := range []string{"", "5", "5/15m", "-1/1m/1m", "x/1m/1m", "5/0s/1m", "5/1m/1m/1m/1m", "5/1m/500ms", "5/1m/soon"} {
		if _, err := throttle.ParseRule(s); err == nil {
			t.Errorf("ParseRule(%q) accepted", s)
		}
	}
}

func TestLimits_WithDefaults(t *testing.T) {
	d := throttle.DefaultLimits()
	got := throttle.Limits{}.WithDefaults()
	if got.User != d.User || got.IP != d.IP || got.Net != d.Net || got.Global != d.Global || got.UserIP != d.UserIP || got.KnownFor != d.KnownFor || got.Now == nil {
		t.Fatalf("zero Limits: %+v", got)
	}
	part := throttle.Limits{IP: throttle.Rule{Free: 7}, Net: throttle.Rule{Off: true}}.WithDefaults()
	if part.IP.Free != 7 || part.IP.Forgive != d.IP.Forgive || part.IP.MaxDelay != d.IP.MaxDelay || !part.Net.Off {
		t.Fatalf("partial rule: %+v", part)
	}
}

func TestSubjectsOf(t *testing.T) {
	a := throttle.SubjectsOf("alice", "192.0.2.1")
	if a.IP != "i:192.0.2.1" || a.Net != "n:192.0.2.0/24" || !strings.HasPrefix(a.User, "u:") || strings.Contains(a.User, "alice") {
		t.Fatalf("%+v", a)
	}
	if b := throttle.SubjectsOf("alice", "::ffff:192.0.2.1"); b != a {
		t.Fatalf("mapped address: %+v", b)
	}
	if v6 := throttle.SubjectsOf("alice", "2001:db8::1"); v6.Net != "n:2001:db8::/64" {
		t.Fatalf("v6: %+v", v6)
	}
	if odd := throttle.SubjectsOf("alice", "pipe"); odd.Net != "" || strings.Contains(odd.IP, "pipe") {
		t.Fatalf("odd: %+v", odd)
	}
	if len(throttle.SubjectsOf(strings.Repeat("x", 1<<16), "192.0.2.1").User) > 40 {
		t.Fatal("a long username makes a long key")
	}
}

func BenchmarkLimiter_Allow(b *testing.B) {
	l := throttle.New(throttle.Options{})
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		ip := fmt.Sprintf("10.0.%d.%d", i>>8&255, i&255)
		if w, _ := l.Allow(ctx, "user", ip); w == 0 {
			l.Done(ctx, "user", ip, true)
		}
	}
}

// The documented limit holds: an attacker who tries again the moment each
// wait is over (and at other paces) never gets more failures through a
// rule in a window than Rule.MaxFailures.
func TestRule_MaxFailures(t *testing.T) {
	d := throttle.DefaultLimits()
	if got := d.User.MaxFailures(1000 * time.Second); got != 18 {
		t.Fatalf("default username rule, 1,000 s: %d, want 18 (docs/security.md)", got)
	}
	if got := d.User.MaxFailures(24 * time.Hour); got != 214 {
		t.Fatalf("default username rule, a day: %d, want 214 (docs/security.md)", got)
	}
	if got := d.IP.MaxFailures(1000 * time.Second); got != 78 {
		t.Fatalf("default address rule, 1,000 s: %d, want 78 (docs/security.md)", got)
	}
	rules := []throttle.Rule{d.User, d.IP, d.Net, d.Global,
		{Free: 0, Forgive: time.Second, Delay: time.Second, MaxDelay: 4 * time.Second},
		{Free: 3, Forgive: 10 * time.Second, Delay: 250 * time.Millisecond, MaxDelay: time.Minute}}
	for _, r := range rules {
		for _, pace := range []time.Duration{0, time.Millisecond, 700 * time.Millisecond, time.Second, 7 * time.Second, time.Minute} {
			for _, window := range []time.Duration{10 * time.Second, 1000 * time.Second, 6 * time.Hour} {
				if (pace > 0 && window/pace > 20_000) || (pace == 0 && window > 1000*time.Second) {
					continue // too many steps for a unit test
				}
				clock := throttletest.NewClock()
				off := throttle.Rule{Off: true}
				l := throttle.New(throttle.Options{Limits: throttle.Limits{User: off, UserIP: r, IP: off, Net: off, Global: off, Now: clock.Now}})
				start := clock.Now()
				failures := 0
				for clock.Now().Sub(start) <= window {
					w, _ := l.Allow(context.Background(), "victim", "192.0.2.1")
					if w == 0 {
						failures++
						l.Done(context.Background(), "victim", "192.0.2.1", false)
						if pace == 0 {
							continue // try again at once
						}
						clock.Advance(pace)
						continue
					}
					clock.Advance(max(pace, time.Duration(w)*time.Second)) // wait exactly as told
				}
				if max := r.MaxFailures(window); failures > max {
					t.Errorf("rule %v, pace %v, window %v: %d failures, MaxFailures %d", r, pace, window, failures, max)
				}
			}
		}
	}
}
