package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/store/memstore"
)

// clock is a manual clock, safe to read from the janitor goroutine.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := new(clock)
	c.ns.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func newStore(t *testing.T, opts memstore.Options) *memstore.Store {
	t.Helper()
	s := memstore.New(opts)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	authingtest.TestStore(t, func(t *testing.T) authingtest.StoreHarness {
		c := newClock()
		return authingtest.StoreHarness{
			Store:   newStore(t, memstore.Options{Now: c.Now}),
			Advance: c.Advance,
		}
	})
}

// TestStore_DefaultClock: without Options.Now entries live by time.Now
// (the fake time of a synctest bubble here): exactly ttl.
func TestStore_DefaultClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		s := memstore.New(memstore.Options{})
		defer s.Close()
		if err := s.Put(ctx, "k", authing.StoreData{UserID: "u"}, time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second - time.Nanosecond)
		if d, found, err := s.Get(ctx, "k"); err != nil || !found || d.UserID != "u" {
			t.Fatalf("Get 1ns before expiry = %+v, %v, %v", d, found, err)
		}
		time.Sleep(time.Nanosecond)
		if _, found, err := s.Get(ctx, "k"); err != nil || found {
			t.Fatalf("Get at expiry = %v, %v; want not found", found, err)
		}
	})
}

func TestStore_MaxEntries(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s := newStore(t, memstore.Options{Now: c.Now, MaxEntries: 3, SweepInterval: time.Hour})
	for i := range 3 {
		if err := s.Put(ctx, fmt.Sprint("k", i), authing.StoreData{}, time.Second); err != nil {
			t.Fatalf("Put k%d: %v", i, err)
		}
	}
	err := s.Put(ctx, "k3", authing.StoreData{}, time.Minute)
	if !errors.Is(err, memstore.ErrFull) || !errors.Is(err, authing.ErrUnavailable) {
		t.Fatalf("Put beyond MaxEntries = %v, want ErrFull and authing.ErrUnavailable", err)
	}
	if _, found, _ := s.Get(ctx, "k3"); found {
		t.Error("refused entry was stored")
	}
	// Replacing an existing key does not grow the store.
	if err := s.Put(ctx, "k0", authing.StoreData{UserID: "u"}, time.Second); err != nil {
		t.Errorf("replacing a key in a full store: %v", err)
	}
	// Deleting and claiming make room.
	if err := s.Delete(ctx, "k0"); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "k3", authing.StoreData{}, time.Minute); err != nil {
		t.Fatalf("Put after Delete: %v", err)
	}
	if _, won, _ := s.Claim(ctx, "k3"); !won {
		t.Fatal("Claim k3: won false")
	}
	if err := s.Put(ctx, "k4", authing.StoreData{}, time.Minute); err != nil {
		t.Fatalf("Put after Claim: %v", err)
	}
	if n := s.Len(); n != 3 {
		t.Errorf("Len = %d, want 3", n)
	}
	// Expired entries count until they are removed; reading one removes it.
	c.Advance(2 * time.Second)
	if err := s.Put(ctx, "k5", authing.StoreData{}, time.Minute); !errors.Is(err, memstore.ErrFull) {
		t.Errorf("Put with expired entries not yet swept = %v, want ErrFull", err)
	}
	if _, found, _ := s.Get(ctx, "k1"); found {
		t.Fatal("k1 found after expiry")
	}
	// The refused Put above also asked the cleaner for an early sweep, which
	// may already have removed k2 as well.
	if n := s.Len(); n != 2 && n != 1 {
		t.Errorf("Len after lazy expiry = %d, want 2 (or 1 after the early sweep)", n)
	}
	if err := s.Put(ctx, "k5", authing.StoreData{}, time.Minute); err != nil {
		t.Errorf("Put after lazy expiry: %v", err)
	}
}

// TestStore_MaxEntriesConcurrent: concurrent Puts of new keys never exceed
// the bound.
func TestStore_MaxEntriesConcurrent(t *testing.T) {
	const max = 100
	s := newStore(t, memstore.Options{MaxEntries: max})
	var ok, full atomic.Int64
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 50 {
				err := s.Put(t.Context(), fmt.Sprint(g, "-", i), authing.StoreData{}, time.Minute)
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, memstore.ErrFull):
					full.Add(1)
				default:
					t.Error(err)
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
	if ok.Load() != max || full.Load() != 400-max || s.Len() != max {
		t.Errorf("stored %d, refused %d, Len %d; want %d, %d, %d", ok.Load(), full.Load(), s.Len(), max, 400-max, max)
	}
}

// TestStore_Janitor: expired entries that nobody reads are swept every
// SweepInterval; live ones stay.
func TestStore_Janitor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		s := memstore.New(memstore.Options{SweepInterval: 10 * time.Second})
		defer s.Close()
		for i := range 10 {
			if err := s.Put(ctx, fmt.Sprint("short", i), authing.StoreData{}, time.Second); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 5 {
			if err := s.Put(ctx, fmt.Sprint("long", i), authing.StoreData{}, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(9 * time.Second)
		synctest.Wait()
		if n := s.Len(); n != 15 {
			t.Errorf("Len before the first sweep = %d, want 15", n)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if n := s.Len(); n != 5 {
			t.Errorf("Len after a sweep = %d, want 5", n)
		}
		for i := range 5 {
			if _, found, _ := s.Get(ctx, fmt.Sprint("long", i)); !found {
				t.Errorf("long%d swept", i)
			}
		}
	})
}

// TestStore_FullKicksSweep: a Put refused by a full store makes the janitor
// sweep early, long before SweepInterval.
func TestStore_FullKicksSweep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		s := memstore.New(memstore.Options{MaxEntries: 2, SweepInterval: time.Hour})
		defer s.Close()
		for _, k := range []string{"a", "b"} {
			if err := s.Put(ctx, k, authing.StoreData{}, time.Second); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(2 * time.Second) // a and b expire, unread
		if err := s.Put(ctx, "c", authing.StoreData{}, time.Second); !errors.Is(err, memstore.ErrFull) {
			t.Fatalf("Put into a full store = %v, want ErrFull", err)
		}
		synctest.Wait() // the janitor has swept
		if n := s.Len(); n != 0 {
			t.Fatalf("Len after a kicked sweep = %d, want 0", n)
		}
		if err := s.Put(ctx, "c", authing.StoreData{}, time.Second); err != nil {
			t.Fatalf("Put after the kicked sweep: %v", err)
		}
	})
}

// TestStore_FullKickRateLimited: a second kick within a second of a kicked
// sweep is ignored.
func TestStore_FullKickRateLimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		s := memstore.New(memstore.Options{MaxEntries: 1, SweepInterval: time.Hour})
		defer s.Close()
		s.Put(ctx, "a", authing.StoreData{}, 100*time.Millisecond)
		s.Put(ctx, "b", authing.StoreData{}, time.Minute) // refused: kicks a sweep
		synctest.Wait()                                   // nothing expired yet: a stays
		if n := s.Len(); n != 1 {
			t.Fatalf("Len = %d, want 1", n)
		}
		time.Sleep(200 * time.Millisecond)                // a expires
		s.Put(ctx, "b", authing.StoreData{}, time.Minute) // refused; kick ignored (0.2 s after the last)
		synctest.Wait()
		if n := s.Len(); n != 1 {
			t.Fatalf("Len after an ignored kick = %d, want 1 (the expired entry)", n)
		}
		time.Sleep(time.Second)
		if err := s.Put(ctx, "b", authing.StoreData{}, time.Minute); err == nil {
			t.Fatal("Put succeeded before the sweep")
		}
		synctest.Wait()
		if err := s.Put(ctx, "b", authing.StoreData{}, time.Minute); err != nil {
			t.Fatalf("Put after the kicked sweep: %v", err)
		}
	})
}

// TestStore_Close: Close stops the janitor goroutine (synctest.Test fails if
// a goroutine of the bubble outlives it), is idempotent, and the store
// keeps working.
func TestStore_Close(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := memstore.New(memstore.Options{})
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		if err := s.Put(ctx, "k", authing.StoreData{UserID: "u"}, time.Second); err != nil {
			t.Fatal(err)
		}
		if d, won, err := s.Claim(ctx, "k"); err != nil || !won || d.UserID != "u" {
			t.Fatalf("Claim after Close = %+v, %v, %v", d, won, err)
		}
	})
}

// TestStore_NoGoroutineLeak counts goroutines around New and Close, and
// around a Store dropped without Close (its janitor stops once the Store is
// garbage collected).
func TestStore_NoGoroutineLeak(t *testing.T) {
	waitGoroutines := func(t *testing.T, want int, gc bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			if gc {
				runtime.GC()
			}
			n := runtime.NumGoroutine()
			if n <= want {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Fatalf("%d goroutines, want %d:\n%s", n, want, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	t.Run("Close", func(t *testing.T) {
		base := runtime.NumGoroutine()
		var stores []*memstore.Store
		for range 10 {
			stores = append(stores, memstore.New(memstore.Options{SweepInterval: time.Millisecond}))
		}
		if n := runtime.NumGoroutine(); n < base+10 {
			t.Fatalf("%d goroutines after 10 New, want at least %d", n, base+10)
		}
		for _, s := range stores {
			s.Close()
		}
		waitGoroutines(t, base, false)
	})

	t.Run("Dropped", func(t *testing.T) {
		base := runtime.NumGoroutine()
		func() {
			for range 10 {
				s := memstore.New(memstore.Options{})
				s.Put(context.Background(), "k", authing.StoreData{}, time.Minute)
			}
		}()
		waitGoroutines(t, base, true)
	})
}

func TestStore_CancelledContextWritesNothing(t *testing.T) {
	s := newStore(t, memstore.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Put(ctx, "k", authing.StoreData{}, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put = %v, want context.Canceled", err)
	}
	if s.Len() != 0 {
		t.Fatal("Put with a cancelled context stored an entry")
	}
	s.Put(t.Context(), "k", authing.StoreData{}, time.Minute)
	if _, _, err := s.Claim(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Claim = %v, want context.Canceled", err)
	}
	if s.Len() != 1 {
		t.Fatal("Claim with a cancelled context removed the entry")
	}
}

var benchData = authing.StoreData{
	UserID:   "6f1c2b7e-0d4a-4c3e-9a51-2f0b8d7e6c11",
	AuthType: "password",
	Errors:   []authing.StoreError{{Code: "INVALID_CREDENTIALS", Detail: "Credentials are invalid"}},
}

func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("auth_store_%064x", i)
	}
	return keys
}

func BenchmarkPut(b *testing.B) {
	s := memstore.New(memstore.Options{})
	defer s.Close()
	ctx, keys := context.Background(), benchKeys(1024)
	i := 0
	for b.Loop() {
		if err := s.Put(ctx, keys[i&1023], benchData, time.Minute); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkGet(b *testing.B) {
	s := memstore.New(memstore.Options{})
	defer s.Close()
	ctx, keys := context.Background(), benchKeys(1024)
	for _, k := range keys {
		s.Put(ctx, k, benchData, time.Hour)
	}
	i := 0
	for b.Loop() {
		if _, found, err := s.Get(ctx, keys[i&1023]); !found || err != nil {
			b.Fatal(found, err)
		}
		i++
	}
}

// BenchmarkClaim measures a Put followed by the Claim that takes it.
func BenchmarkClaim(b *testing.B) {
	s := memstore.New(memstore.Options{})
	defer s.Close()
	ctx, keys := context.Background(), benchKeys(1024)
	i := 0
	for b.Loop() {
		k := keys[i&1023]
		s.Put(ctx, k, benchData, time.Minute)
		if _, won, err := s.Claim(ctx, k); !won || err != nil {
			b.Fatal(won, err)
		}
		i++
	}
}

func BenchmarkGetParallel(b *testing.B) {
	s := memstore.New(memstore.Options{})
	defer s.Close()
	ctx, keys := context.Background(), benchKeys(1024)
	for _, k := range keys {
		s.Put(ctx, k, benchData, time.Hour)
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.Get(ctx, keys[i&1023])
			i++
		}
	})
}
