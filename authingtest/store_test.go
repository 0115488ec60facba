package authingtest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
)

// mapStore is a minimal correct Store; its flaws switch on the bugs that the
// suite must catch.
type mapStore struct {
	mu    sync.Mutex
	now   time.Time
	m     map[string]mapEntry
	flaws string
}

type mapEntry struct {
	d       authing.StoreData
	expires time.Time
}

func newMapStore(flaws string) *mapStore {
	return &mapStore{now: time.Unix(1e9, 0), m: make(map[string]mapEntry), flaws: flaws}
}

func (s *mapStore) has(flaw string) bool { return strings.Contains(s.flaws, flaw) }

func (s *mapStore) advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = s.now.Add(d)
}

func (s *mapStore) Put(ctx context.Context, key string, d authing.StoreData, ttl time.Duration) error {
	if err := ctx.Err(); err != nil && !s.has("ignorectx") {
		return err
	}
	if ttl <= 0 && !s.has("zerottl") {
		return errors.New("ttl must be positive")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.has("shared") {
		d = d.Clone()
	}
	if e, ok := s.m[key]; ok && s.has("keepttl") {
		ttl = e.expires.Sub(s.now)
	}
	s.m[key] = mapEntry{d, s.now.Add(ttl)}
	return nil
}

func (s *mapStore) Get(ctx context.Context, key string) (authing.StoreData, bool, error) {
	if err := ctx.Err(); err != nil && !s.has("ignorectx") {
		return authing.StoreData{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok || (!s.now.Before(e.expires) && !s.has("noexpiry")) {
		return authing.StoreData{}, false, nil
	}
	if s.has("emptyismissing") && e.d.UserID == "" && e.d.AuthType == "" && len(e.d.Errors) == 0 && e.d.Actions == nil && len(e.d.Values) == 0 {
		return authing.StoreData{}, false, nil
	}
	if s.has("extend") {
		s.m[key] = mapEntry{e.d, s.now.Add(time.Second)}
	}
	if s.has("shared") {
		return e.d, true, nil
	}
	return e.d.Clone(), true, nil
}

func (s *mapStore) Claim(ctx context.Context, key string) (authing.StoreData, bool, error) {
	if s.has("racyclaim") {
		d, found, err := s.Get(ctx, key)
		if err != nil || !found {
			return authing.StoreData{}, false, err
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
		return d, true, s.Delete(ctx, key)
	}
	if err := ctx.Err(); err != nil && !s.has("ignorectx") {
		return authing.StoreData{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	delete(s.m, key)
	if !ok || !s.now.Before(e.expires) {
		return authing.StoreData{}, false, nil
	}
	return e.d, true, nil
}

func (s *mapStore) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil && !s.has("ignorectx") {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key]; !ok && s.has("deletemissing") {
		return errors.New("no such key")
	}
	delete(s.m, key)
	return nil
}

func harness(flaws string) func(t *testing.T) authingtest.StoreHarness {
	return func(t *testing.T) authingtest.StoreHarness {
		s := newMapStore(flaws)
		return authingtest.StoreHarness{Store: s, Advance: s.advance}
	}
}

func TestTestStore(t *testing.T) {
	authingtest.TestStore(t, harness(""))
}

// flawsEnv names the flaws of the store when the test binary runs itself.
const flawsEnv = "AUTHINGTEST_STORE_FLAWS"

// TestTestStore_Flawed runs the suite on stores with one bug each, in a
// child process (a failing suite cannot be observed from the inside), and
// checks that the suite fails.
func TestTestStore_Flawed(t *testing.T) {
	if flaws := os.Getenv(flawsEnv); flaws != "" {
		authingtest.TestStore(t, harness(flaws))
		return
	}
	if testing.Short() {
		t.Skip("runs the test binary once per flaw")
	}
	for flaw, wantFailing := range map[string]string{
		"ignorectx":      "Context",
		"zerottl":        "InvalidTTL",
		"shared":         "Copies",
		"keepttl":        "Expiry",
		"noexpiry":       "Expiry",
		"extend":         "Expiry",
		"emptyismissing": "Empty",
		"racyclaim":      "Concurrent",
		"deletemissing":  "Delete",
	} {
		t.Run(flaw, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestTestStore_Flawed$", "-test.v")
			cmd.Env = append(os.Environ(), flawsEnv+"="+flaw)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a store with flaw %q:\n%s", flaw, out)
			}
			if want := "--- FAIL: TestTestStore_Flawed/" + wantFailing + " "; !strings.Contains(string(out), want) {
				t.Errorf("flaw %q: no %q in the output:\n%s", flaw, want, out)
			}
		})
	}
}
