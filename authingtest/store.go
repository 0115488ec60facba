package authingtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"authing.dev/authing"
)

// StoreHarness is one Store under test, as built by the constructor passed
// to TestStore.
type StoreHarness struct {
	// Store is the implementation under test. The suite writes only random
	// keys starting with "auth_store_" or "authingtest_" followed by 60 or
	// more hex digits, so a Store sharing its backend with other data is
	// fine; removing them afterwards (t.Cleanup) is the constructor's job.
	Store authing.Store

	// Advance moves the clock of Store forward by d. A store whose clock can
	// be injected (memstore's Options.Now) sets it, and the expiry tests then
	// take no real time. When nil, the suite waits in real time instead
	// (about 1.8 s for the whole suite), which is what a server-side expiry
	// (Redis) needs.
	Advance func(d time.Duration)
}

// TestStore runs the conformance suite of authing.Store. Every Store
// implementation must pass it. newStore is called once per subtest and must
// return a fresh harness; register any clean-up with t.Cleanup.
//
// The subtests check: a full StoreData survives Put and Get; an entry with
// empty data is found (empty is not missing); missing keys are not found;
// Put replaces the value and the lifetime; entries expire after their ttl
// and reads do not extend it; a ttl <= 0 is refused; Claim returns the data
// and removes the entry, and reports won == false for a missing entry;
// Delete is idempotent; data handed in and out are copies; keys are
// independent; a cancelled or expired context gives an error matching
// context.Canceled or context.DeadlineExceeded instead of blocking; and of 64
// concurrent Claims of one key exactly one wins.
//
// Values in StoreData.Actions.Values are JSON values as encoding/json decodes
// them (string, float64, bool, nil, []any, map[string]any), so that stores
// that keep the JSON form pass too.
//
// A third party runs it on its own backend like this:
//
//	func TestMyStore(t *testing.T) {
//		authingtest.TestStore(t, func(t *testing.T) authingtest.StoreHarness {
//			s := mystore.New(connectForTest(t))
//			t.Cleanup(func() { s.Close() })
//			return authingtest.StoreHarness{Store: s} // real-time expiry
//		})
//	}
//
// and with an injectable clock (use a mutex or an atomic if the store reads
// the clock from other goroutines):
//
//	now := time.Now()
//	s := mystore.New(mystore.Options{Now: func() time.Time { return now }})
//	return authingtest.StoreHarness{Store: s, Advance: func(d time.Duration) { now = now.Add(d) }}
func TestStore(t *testing.T, newStore func(t *testing.T) StoreHarness) {
	t.Helper()
	for _, tc := range []struct {
		name string
		test func(t *testing.T, h StoreHarness)
	}{
		{"RoundTrip", testStoreRoundTrip},
		{"Empty", testStoreEmpty},
		{"Missing", testStoreMissing},
		{"Replace", testStoreReplace},
		{"Expiry", testStoreExpiry},
		{"InvalidTTL", testStoreInvalidTTL},
		{"Claim", testStoreClaim},
		{"Delete", testStoreDelete},
		{"Copies", testStoreCopies},
		{"IndependentKeys", testStoreIndependentKeys},
		{"Context", testStoreContext},
		{"Concurrent", testStoreConcurrent},
		{"ConcurrentKeys", testStoreConcurrentKeys},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newStore(t)
			if h.Store == nil {
				t.Fatal("newStore returned a harness without a Store")
			}
			tc.test(t, h)
		})
	}
}

const (
	storeLongTTL = time.Hour
	// storeOpTimeout bounds every single operation of the suite: a store that
	// needs longer is treated as hanging.
	storeOpTimeout = 5 * time.Second
)

// newStoreKey returns a fresh key as the Service names store entries.
func newStoreKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return authing.StoreKeyPrefix + hex.EncodeToString(b)
}

// fullStoreData returns a StoreData with every field set.
func fullStoreData() authing.StoreData {
	return authing.StoreData{
		UserID:   "6f1c2b7e-0d4a-4c3e-9a51-2f0b8d7e6c11",
		AuthType: "password",
		Errors: []authing.StoreError{
			{Code: "INVALID_CREDENTIALS", Detail: "Credentials are invalid"},
			{Code: "NO_DETAIL"},
			{Code: "UNICODE", Detail: "Неверные данные «quoted» \"x\" <b>&</b>"},
		},
		Actions: &authing.Actions{
			Code:   "totp",
			Name:   "Enter the code",
			Values: []any{"six digits", 6.0, true, nil, []any{"a", 1.5}, map[string]any{"k": "v"}},
		},
		Values: map[string]string{
			"pending_user": "u-1",
			"state":        "{\"json\": [1,2]}",
			"empty":        "",
			"юникод":       "значение",
		},
	}
}

// sameStoreData reports whether a and b hold the same data, treating nil and
// empty slices and maps alike.
func sameStoreData(a, b authing.StoreData) bool {
	if a.UserID != b.UserID || a.AuthType != b.AuthType {
		return false
	}
	if len(a.Errors) != len(b.Errors) || len(a.Values) != len(b.Values) {
		return false
	}
	for i := range a.Errors {
		if a.Errors[i] != b.Errors[i] {
			return false
		}
	}
	for k, v := range a.Values {
		if w, ok := b.Values[k]; !ok || w != v {
			return false
		}
	}
	if (a.Actions == nil) != (b.Actions == nil) {
		return false
	}
	if a.Actions != nil {
		if a.Actions.Code != b.Actions.Code || a.Actions.Name != b.Actions.Name {
			return false
		}
		if len(a.Actions.Values) != len(b.Actions.Values) {
			return false
		}
		if len(a.Actions.Values) > 0 && !reflect.DeepEqual(a.Actions.Values, b.Actions.Values) {
			return false
		}
	}
	return true
}

func isEmptyStoreData(d authing.StoreData) bool { return sameStoreData(d, authing.StoreData{}) }

// The helpers below fail the test on an error and report what the store
// returned. They bound every call by storeOpTimeout so that a hanging store
// fails instead of blocking the whole test binary.

func storePut(t *testing.T, s authing.Store, key string, d authing.StoreData, ttl time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), storeOpTimeout)
	defer cancel()
	if err := s.Put(ctx, key, d, ttl); err != nil {
		t.Fatalf("Put(%q, ttl %v): %v", key, ttl, err)
	}
}

func storeGet(t *testing.T, s authing.Store, key string) (authing.StoreData, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), storeOpTimeout)
	defer cancel()
	d, found, err := s.Get(ctx, key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if !found && !isEmptyStoreData(d) {
		t.Errorf("Get(%q) = %+v, found false: want zero data when not found", key, d)
	}
	return d, found
}

func storeClaim(t *testing.T, s authing.Store, key string) (authing.StoreData, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), storeOpTimeout)
	defer cancel()
	d, won, err := s.Claim(ctx, key)
	if err != nil {
		t.Fatalf("Claim(%q): %v", key, err)
	}
	if !won && !isEmptyStoreData(d) {
		t.Errorf("Claim(%q) = %+v, won false: want zero data when not won", key, d)
	}
	return d, won
}

func storeDel(t *testing.T, s authing.Store, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), storeOpTimeout)
	defer cancel()
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete(%q): %v", key, err)
	}
}

func wantStoreFound(t *testing.T, s authing.Store, key string, want authing.StoreData) {
	t.Helper()
	got, found := storeGet(t, s, key)
	if !found {
		t.Errorf("Get(%q): not found, want %+v", key, want)
		return
	}
	if !sameStoreData(got, want) {
		t.Errorf("Get(%q) = %+v\nwant %+v", key, got, want)
	}
}

func wantStoreMissing(t *testing.T, s authing.Store, key string) {
	t.Helper()
	if got, found := storeGet(t, s, key); found {
		t.Errorf("Get(%q) = %+v, found: want not found", key, got)
	}
}

// storeAdvance moves the harness clock, or sleeps when it has none.
func storeAdvance(h StoreHarness, d time.Duration) {
	if h.Advance != nil {
		h.Advance(d)
		return
	}
	time.Sleep(d)
}

func testStoreRoundTrip(t *testing.T, h StoreHarness) {
	s, key, want := h.Store, newStoreKey(), fullStoreData()
	storePut(t, s, key, want, storeLongTTL)
	wantStoreFound(t, s, key, want)
	wantStoreFound(t, s, key, want) // a read changes nothing
	got, won := storeClaim(t, s, key)
	if !won {
		t.Fatalf("Claim(%q): won false, want the data", key)
	}
	if !sameStoreData(got, want) {
		t.Errorf("Claim(%q) = %+v\nwant %+v", key, got, want)
	}
	// The order of errors is the order of insertion.
	if len(got.Errors) == 3 && (got.Errors[0].Code != "INVALID_CREDENTIALS" || got.Errors[2].Code != "UNICODE") {
		t.Errorf("Claim(%q): errors out of order: %+v", key, got.Errors)
	}
}

func testStoreEmpty(t *testing.T, h StoreHarness) {
	s, key := h.Store, newStoreKey()
	storePut(t, s, key, authing.StoreData{}, storeLongTTL)
	got, found := storeGet(t, s, key)
	if !found {
		t.Fatalf("Get(%q) after Put of empty data: not found; empty must differ from missing", key)
	}
	if !isEmptyStoreData(got) {
		t.Errorf("Get(%q) = %+v, want empty data", key, got)
	}
	// Empty-but-present slices and maps are empty too.
	key2 := newStoreKey()
	storePut(t, s, key2, authing.StoreData{Errors: []authing.StoreError{}, Values: map[string]string{}}, storeLongTTL)
	if got, found := storeGet(t, s, key2); !found || !isEmptyStoreData(got) {
		t.Errorf("Get(%q) = %+v, %v; want empty data, found", key2, got, found)
	}
	got, won := storeClaim(t, s, key)
	if !won {
		t.Errorf("Claim(%q) of empty data: won false, want true", key)
	}
	if !isEmptyStoreData(got) {
		t.Errorf("Claim(%q) = %+v, want empty data", key, got)
	}
}

func testStoreMissing(t *testing.T, h StoreHarness) {
	s, key := h.Store, newStoreKey()
	wantStoreMissing(t, s, key)
	if _, won := storeClaim(t, s, key); won {
		t.Errorf("Claim(%q) of a missing key: won true", key)
	}
	storeDel(t, s, key)
	wantStoreMissing(t, s, key) // none of the above created it
}

func testStoreReplace(t *testing.T, h StoreHarness) {
	s, key := h.Store, newStoreKey()
	storePut(t, s, key, fullStoreData(), storeLongTTL)
	second := authing.StoreData{
		AuthType: "google",
		Errors:   []authing.StoreError{{Code: "GOOGLE_ERROR", Detail: "denied"}},
		Values:   map[string]string{"other": "x"},
	}
	storePut(t, s, key, second, storeLongTTL)
	wantStoreFound(t, s, key, second) // nothing of the first value survives
	storePut(t, s, key, authing.StoreData{}, storeLongTTL)
	wantStoreFound(t, s, key, authing.StoreData{})
}

// testStoreExpiry uses whole-second lifetimes so that backends that round
// the ttl up to whole seconds pass too. Timeline (t in seconds):
//
//	0    put a (1s), b (1s), c (1h), d (1h)
//	0.6  get a → found; put b (2s): until 2.6; put c (1s): until 1.6
//	1.3  a gone (1.0: the read did not extend it), b found, d found
//	1.8  c gone (1.6: Put shortened it), b found, d found
//
// In real time (no Advance) a "found" check that ends after the entry's
// lifetime proves nothing: on a machine too loaded to keep the timeline it
// is logged as inconclusive instead of failing. The "gone" checks always
// hold, since the waits only ever get longer.
func testStoreExpiry(t *testing.T, h StoreHarness) {
	s := h.Store
	a, b, c, d := newStoreKey(), newStoreKey(), newStoreKey(), newStoreKey()
	da := authing.StoreData{UserID: "a"}
	db := authing.StoreData{Values: map[string]string{"k": "b"}}
	dd := authing.StoreData{AuthType: "d"}

	type life struct {
		put time.Time
		ttl time.Duration
	}
	lives := make(map[string]life)
	put := func(key string, data authing.StoreData, ttl time.Duration) {
		t.Helper()
		lives[key] = life{time.Now(), ttl}
		storePut(t, s, key, data, ttl)
	}
	// late reports, in real time, that key may have expired by now.
	late := func(key string) bool {
		l := lives[key]
		if h.Advance != nil || time.Since(l.put) < l.ttl {
			return false
		}
		t.Logf("%s: %v passed since Put with ttl %v: the machine is too slow for this check, skipped",
			key, time.Since(l.put).Round(time.Millisecond), l.ttl)
		return true
	}
	found := func(key string, want authing.StoreData) {
		t.Helper()
		got, ok := storeGet(t, s, key)
		switch {
		case !ok && !late(key):
			t.Errorf("Get(%q): not found, want %+v", key, want)
		case ok && !sameStoreData(got, want):
			t.Errorf("Get(%q) = %+v\nwant %+v", key, got, want)
		}
	}

	put(a, da, time.Second)
	put(b, authing.StoreData{}, time.Second)
	put(c, authing.StoreData{}, storeLongTTL)
	put(d, dd, storeLongTTL)

	storeAdvance(h, 600*time.Millisecond)
	found(a, da)
	put(b, db, 2*time.Second)
	put(c, authing.StoreData{}, time.Second)

	storeAdvance(h, 700*time.Millisecond)
	wantStoreMissing(t, s, a)
	found(b, db)
	found(d, dd)
	if _, won := storeClaim(t, s, a); won {
		t.Errorf("Claim(%q) of an expired entry: won true", a)
	}

	storeAdvance(h, 500*time.Millisecond)
	wantStoreMissing(t, s, c)
	found(b, db)
	found(d, dd)
	storeDel(t, s, c) // deleting an expired entry is not an error
	if _, won := storeClaim(t, s, b); !won && !late(b) {
		t.Errorf("Claim(%q) of a live entry: won false", b)
	}
}

func testStoreInvalidTTL(t *testing.T, h StoreHarness) {
	s := h.Store
	for _, ttl := range []time.Duration{0, -time.Second} {
		key := newStoreKey()
		err := s.Put(t.Context(), key, authing.StoreData{UserID: "u"}, ttl)
		if err == nil {
			t.Errorf("Put(ttl %v) = nil, want an error (an entry must never live forever)", ttl)
		} else if errors.Is(err, authing.ErrUnavailable) {
			t.Errorf("Put(ttl %v) = %v: a caller's mistake must not read as ErrUnavailable", ttl, err)
		}
		wantStoreMissing(t, s, key)
	}
}

func testStoreClaim(t *testing.T, h StoreHarness) {
	s, key, want := h.Store, newStoreKey(), fullStoreData()
	storePut(t, s, key, want, storeLongTTL)
	got, won := storeClaim(t, s, key)
	if !won {
		t.Fatalf("Claim(%q): won false, want true", key)
	}
	if !sameStoreData(got, want) {
		t.Errorf("Claim(%q) = %+v\nwant %+v", key, got, want)
	}
	wantStoreMissing(t, s, key)
	if _, won := storeClaim(t, s, key); won {
		t.Errorf("second Claim(%q): won true, want false (single use)", key)
	}
	// A claimed key can be written again.
	storePut(t, s, key, authing.StoreData{}, storeLongTTL)
	if _, won := storeClaim(t, s, key); !won {
		t.Errorf("Claim(%q) after a new Put: won false", key)
	}
}

func testStoreDelete(t *testing.T, h StoreHarness) {
	s, key := h.Store, newStoreKey()
	storePut(t, s, key, fullStoreData(), storeLongTTL)
	storeDel(t, s, key)
	wantStoreMissing(t, s, key)
	storeDel(t, s, key) // idempotent
	storeDel(t, s, newStoreKey())
	if _, won := storeClaim(t, s, key); won {
		t.Errorf("Claim(%q) after Delete: won true", key)
	}
}

// mutateStoreData changes every part of d that a store could share with its caller.
func mutateStoreData(d *authing.StoreData) {
	d.UserID = "changed"
	if len(d.Errors) > 0 {
		d.Errors[0].Code = "CHANGED"
	}
	d.Errors = append(d.Errors, authing.StoreError{Code: "APPENDED"})
	if d.Actions != nil {
		d.Actions.Code = "changed"
		if len(d.Actions.Values) > 0 {
			d.Actions.Values[0] = "changed"
		}
		d.Actions.Values = append(d.Actions.Values, "appended")
	}
	if d.Values != nil {
		d.Values["pending_user"] = "changed"
		d.Values["added"] = "x"
	}
}

func testStoreCopies(t *testing.T, h StoreHarness) {
	s, key := h.Store, newStoreKey()
	in := fullStoreData()
	storePut(t, s, key, in, storeLongTTL)
	mutateStoreData(&in) // the caller's value after Put
	wantStoreFound(t, s, key, fullStoreData())

	got, _ := storeGet(t, s, key)
	mutateStoreData(&got) // a value returned by Get
	wantStoreFound(t, s, key, fullStoreData())

	// Errors with spare capacity: an append by the caller after Put must not
	// show through a shared backing array.
	key2 := newStoreKey()
	d := authing.StoreData{Errors: make([]authing.StoreError, 1, 8)}
	d.Errors[0] = authing.StoreError{Code: "ONE"}
	storePut(t, s, key2, d, storeLongTTL)
	g1, _ := storeGet(t, s, key2)
	g1.Errors = append(g1.Errors, authing.StoreError{Code: "TWO"})
	g2, _ := storeGet(t, s, key2)
	g2.Errors = append(g2.Errors, authing.StoreError{Code: "THREE"})
	if len(g1.Errors) != 2 || g1.Errors[1].Code != "TWO" {
		t.Errorf("two Gets share their Errors array: %+v", g1.Errors)
	}
	wantStoreFound(t, s, key2, authing.StoreData{Errors: []authing.StoreError{{Code: "ONE"}}})
}

func testStoreIndependentKeys(t *testing.T, h StoreHarness) {
	s := h.Store
	base := newStoreKey()
	keys := []string{base, base + "0", base[:len(base)-1], "authingtest_" + base[len(authing.StoreKeyPrefix):]}
	for i, k := range keys {
		storePut(t, s, k, authing.StoreData{UserID: fmt.Sprint("user", i)}, storeLongTTL)
	}
	for i, k := range keys {
		wantStoreFound(t, s, k, authing.StoreData{UserID: fmt.Sprint("user", i)})
	}
	storeDel(t, s, keys[0])
	if _, won := storeClaim(t, s, keys[1]); !won {
		t.Errorf("Claim(%q): won false", keys[1])
	}
	storePut(t, s, keys[2], authing.StoreData{UserID: "replaced"}, storeLongTTL)
	wantStoreMissing(t, s, keys[0])
	wantStoreMissing(t, s, keys[1])
	wantStoreFound(t, s, keys[2], authing.StoreData{UserID: "replaced"})
	wantStoreFound(t, s, keys[3], authing.StoreData{UserID: "user3"})
}

func testStoreContext(t *testing.T, h StoreHarness) {
	s, key := h.Store, newStoreKey()
	storePut(t, s, key, fullStoreData(), storeLongTTL)

	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel2()

	for _, c := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"Canceled", cancelled, context.Canceled},
		{"DeadlineExceeded", expired, context.DeadlineExceeded},
	} {
		ops := []struct {
			name string
			call func(ctx context.Context) error
		}{
			{"Put", func(ctx context.Context) error {
				return s.Put(ctx, newStoreKey(), authing.StoreData{}, storeLongTTL)
			}},
			{"Get", func(ctx context.Context) error { _, _, err := s.Get(ctx, key); return err }},
			{"Claim", func(ctx context.Context) error { _, _, err := s.Claim(ctx, key); return err }},
			{"Delete", func(ctx context.Context) error { return s.Delete(ctx, key) }},
		}
		for _, op := range ops {
			done := make(chan error, 1)
			go func() { done <- op.call(c.ctx) }()
			select {
			case err := <-done:
				if !errors.Is(err, c.want) {
					t.Errorf("%s with a %s context = %v, want an error matching %v", op.name, c.name, err, c.want)
				}
			case <-time.After(storeOpTimeout):
				t.Errorf("%s with a %s context did not return within %v", op.name, c.name, storeOpTimeout)
			}
		}
	}
}

// testStoreConcurrent: of 64 concurrent Claims of one key exactly one wins,
// and it gets the data; repeated over several keys. Readers Get the key at
// the same time, and everyone changes the data it got (under the race
// detector this finds data shared between callers).
func testStoreConcurrent(t *testing.T, h StoreHarness) {
	const (
		goroutines = 64
		readers    = 8
		rounds     = 8
	)
	s := h.Store
	for round := range rounds {
		key := newStoreKey()
		want := fullStoreData()
		want.UserID = fmt.Sprint("user-", round)
		storePut(t, s, key, want, storeLongTTL)

		ctx, cancel := context.WithTimeout(t.Context(), storeOpTimeout)
		var (
			start sync.WaitGroup
			wg    sync.WaitGroup
			mu    sync.Mutex
			wins  int
			errs  []error
		)
		start.Add(1)
		var read sync.WaitGroup // the claims start once every reader has read
		read.Add(readers)
		for range readers {
			wg.Go(func() {
				for i := range 100 {
					d, found, err := s.Get(ctx, key)
					if i == 0 {
						read.Done()
					}
					if err != nil {
						mu.Lock()
						errs = append(errs, fmt.Errorf("Get: %w", err))
						mu.Unlock()
						return
					}
					if !found {
						return
					}
					mutateStoreData(&d)
				}
			})
		}
		for range goroutines {
			wg.Go(func() {
				start.Wait()
				d, won, err := s.Claim(ctx, key)
				var bad error
				if won && !sameStoreData(d, want) {
					bad = fmt.Errorf("winner got %+v, want %+v", d, want)
				}
				if won {
					mutateStoreData(&d) // the winner owns its data
				}
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					errs = append(errs, err)
				case won:
					wins++
					if bad != nil {
						errs = append(errs, bad)
					}
				}
			})
		}
		read.Wait()
		start.Done()
		wg.Wait()
		cancel()
		for _, err := range errs {
			t.Errorf("round %d: Claim: %v", round, err)
		}
		if wins != 1 {
			t.Fatalf("round %d: %d of %d concurrent Claims won, want exactly 1", round, wins, goroutines)
		}
		wantStoreMissing(t, s, key)
	}
}

// testStoreConcurrentKeys runs every operation on many keys at once (under
// the race detector this finds unsynchronised state).
func testStoreConcurrentKeys(t *testing.T, h StoreHarness) {
	const goroutines = 32
	s := h.Store
	ctx, cancel := context.WithTimeout(t.Context(), 4*storeOpTimeout)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, goroutines)
	for i := range goroutines {
		wg.Go(func() {
			key := newStoreKey()
			want := authing.StoreData{UserID: fmt.Sprint(i), Values: map[string]string{"i": fmt.Sprint(i)}}
			err := func() error {
				for range 10 {
					if err := s.Put(ctx, key, want, storeLongTTL); err != nil {
						return fmt.Errorf("Put: %w", err)
					}
					got, found, err := s.Get(ctx, key)
					if err != nil || !found || !sameStoreData(got, want) {
						return fmt.Errorf("Get = %+v, %v, %v; want %+v", got, found, err, want)
					}
					got, won, err := s.Claim(ctx, key)
					if err != nil || !won || !sameStoreData(got, want) {
						return fmt.Errorf("Claim = %+v, %v, %v; want %+v", got, won, err, want)
					}
					if err := s.Delete(ctx, key); err != nil {
						return fmt.Errorf("Delete: %w", err)
					}
				}
				return nil
			}()
			if err != nil {
				errc <- fmt.Errorf("goroutine %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}
