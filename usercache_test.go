package authing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/store/memstore"
)

// countingUsers counts the look-ups by username that reach the database.
type countingUsers struct {
	*authingtest.Users
	byName atomic.Int64
}

func (c *countingUsers) UserByUsername(ctx context.Context, username string) (authing.User, error) {
	c.byName.Add(1)
	return c.Users.UserByUsername(ctx, username)
}

type cacheFixture struct {
	svc   *authing.Service
	users *countingUsers
	clock *fakeClock
	user  authing.User
	token string
}

func newCacheFixture(t *testing.T, cfg authing.Config) *cacheFixture {
	t.Helper()
	clock := authingtest.NewClock(time.Unix(1767225600, 0))
	users := &countingUsers{Users: &authingtest.Users{Clock: clock.Now}}
	cfg.SecretKey, cfg.Now = testSecret, clock.Now
	store := memstore.New(memstore.Options{Now: clock.Now})
	t.Cleanup(func() { store.Close() })
	svc, err := authing.New(cfg, store, users)
	if err != nil {
		t.Fatal(err)
	}
	u, err := users.CreateUser(context.Background(), authing.NewUser{Username: "user1", Email: "user1@site.com", IsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	return &cacheFixture{svc: svc, users: users, clock: clock, user: u, token: svc.IssueSession(u, "password")}
}

// refresh serves GET /auth/ with the session token and returns the status
// and the username of the answer.
func (f *cacheFixture) refresh(t *testing.T) (int, string) {
	t.Helper()
	req := authRequest(f.token)
	w := httptest.NewRecorder()
	f.svc.ServeHTTP(w, req)
	var a struct{ Username string }
	json.Unmarshal(w.Body.Bytes(), &a)
	return w.Code, a.Username
}

func TestUserCache(t *testing.T) {
	t.Run("RefreshesReadTheDatabaseOncePerTTL", func(t *testing.T) {
		f := newCacheFixture(t, authing.Config{})
		for range 5 {
			if code, _ := f.refresh(t); code != http.StatusOK {
				t.Fatalf("refresh = %d, want 200", code)
			}
		}
		if n := f.users.byName.Load(); n != 1 {
			t.Errorf("5 refreshes read the user %d times, want 1", n)
		}
		f.clock.Advance(authing.DefaultUserCacheTTL)
		f.refresh(t)
		if n := f.users.byName.Load(); n != 2 {
			t.Errorf("a refresh after the TTL read the user %d times in all, want 2", n)
		}
	})
	t.Run("DeactivationByAnotherProcessSeenWithinTTL", func(t *testing.T) {
		f := newCacheFixture(t, authing.Config{})
		f.refresh(t)
		// Another process deactivates the user: this one does not know.
		f.users.SetActive(context.Background(), f.user.ID, false)
		if code, _ := f.refresh(t); code != http.StatusOK {
			t.Errorf("refresh within the TTL = %d, want 200 (the cached user)", code)
		}
		f.clock.Advance(authing.DefaultUserCacheTTL)
		if code, _ := f.refresh(t); code != http.StatusBadRequest {
			t.Errorf("refresh after the TTL = %d, want 400 (deactivated)", code)
		}
	})
	t.Run("ForgetUser", func(t *testing.T) {
		f := newCacheFixture(t, authing.Config{})
		f.refresh(t)
		f.users.SetActive(context.Background(), f.user.ID, false)
		f.svc.ForgetUser(f.user.ID)
		if code, _ := f.refresh(t); code != http.StatusBadRequest {
			t.Errorf("refresh after deactivation and ForgetUser = %d, want 400", code)
		}
		f.svc.ForgetUser("no-such-id") // harmless
	})
	t.Run("InactiveAndMissingUsersAreNotCached", func(t *testing.T) {
		f := newCacheFixture(t, authing.Config{})
		f.users.SetActive(context.Background(), f.user.ID, false)
		f.refresh(t)
		f.users.SetActive(context.Background(), f.user.ID, true)
		if code, _ := f.refresh(t); code != http.StatusOK {
			t.Errorf("refresh after reactivation = %d, want 200 at once", code)
		}
	})
	t.Run("Off", func(t *testing.T) {
		f := newCacheFixture(t, authing.Config{UserCacheTTL: -1})
		f.refresh(t)
		f.refresh(t)
		if n := f.users.byName.Load(); n != 2 {
			t.Errorf("without a cache 2 refreshes read the user %d times, want 2", n)
		}
	})
	t.Run("Bounded", func(t *testing.T) {
		f := newCacheFixture(t, authing.Config{UserCacheSize: 16})
		for i := range 100 {
			u, err := f.users.CreateUser(context.Background(), authing.NewUser{Username: fmt.Sprintf("u%03d", i), IsActive: true})
			if err != nil {
				t.Fatal(err)
			}
			f.token = f.svc.IssueSession(u, "")
			if code, name := f.refresh(t); code != http.StatusOK || name != u.Username {
				t.Fatalf("refresh of %s = %d %q", u.Username, code, name)
			}
		}
		// A full cache evicts and keeps working; the latest user is cached.
		before := f.users.byName.Load()
		f.refresh(t)
		if f.users.byName.Load() != before {
			t.Errorf("the last user was not cached")
		}
	})
}
