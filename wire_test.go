package authing_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/hashers"
	"authing.dev/authing/method/password"
	"authing.dev/authing/store/memstore"
)

const testSecret = "test-secret-key-of-at-least-32-characters"

// fakeClock is a clock shared by the service, the store and the users.
type fakeClock = authingtest.Clock

// testServer is an in-process authing on the memory store and in-memory users.
type testServer struct {
	*httptest.Server
	svc    *authing.Service
	users  *authingtest.Users
	clock  *fakeClock
	hasher *hashers.Set
}

func newTestServer(t testing.TB, cfg authing.Config, extra ...authing.Method) *testServer {
	t.Helper()
	clock := authingtest.NewClock(time.Now())
	users := &authingtest.Users{Clock: clock.Now}
	store := memstore.New(memstore.Options{Now: clock.Now})
	t.Cleanup(func() { store.Close() })
	hs := hashers.Default()
	if cfg.SecretKey == "" {
		cfg.SecretKey = testSecret
	}
	cfg.Now = clock.Now
	methods := append([]authing.Method{password.New(users, password.Options{Hasher: hs})}, extra...)
	svc, err := authing.New(cfg, store, users, methods...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, svc: svc, users: users, clock: clock, hasher: hs}
}

func (s *testServer) target(t *testing.T) authingtest.Target {
	cfg := s.svc.Config()
	return authingtest.Target{
		BaseURL: s.URL, Prefix: cfg.Prefix, TokenURL: cfg.OpenAPITokenURL, Secret: cfg.SecretKey,
		CookieLifetime: cfg.CookieLifetime, ClaimLifetime: cfg.ClaimLifetime, SessionLifetime: cfg.SessionLifetime,
		InsecureCookie: cfg.InsecureCookie,
		Seed: func(t *testing.T, u authing.NewUser, pw string) string {
			h, err := s.hasher.Encode(pw)
			if err != nil {
				t.Fatal(err)
			}
			u.PasswordHash = h
			nu, err := s.users.CreateUser(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			return nu.ID
		},
		SetActive: func(t *testing.T, id string, active bool) {
			if err := s.users.SetActive(context.Background(), id, active); err != nil {
				t.Fatal(err)
			}
		},
		User: func(t *testing.T, username string) authing.User {
			u, err := s.users.UserByUsername(context.Background(), username)
			if err != nil {
				t.Fatal(err)
			}
			return u
		},
		Now:     s.clock.Now,
		Advance: s.clock.Advance,
	}
}

// TestWire runs the Bazis wire scenarios against the embedded defaults, with
// the sample configuration (CL = 60) and with the Bazis defaults.
func TestWire(t *testing.T) {
	t.Run("Sample", func(t *testing.T) {
		s := newTestServer(t, authing.Config{CookieLifetime: 60 * time.Second})
		authingtest.TestWire(t, s.target(t))
	})
	t.Run("T13_Overrides", func(t *testing.T) {
		s := newTestServer(t, authing.Config{CookieLifetime: 600 * time.Second, ClaimLifetime: 30 * time.Second})
		authingtest.TestWire(t, s.target(t))
	})
	t.Run("InsecureCookieOtherPrefix", func(t *testing.T) {
		s := newTestServer(t, authing.Config{InsecureCookie: true, Prefix: "/auth/v2"})
		authingtest.TestWire(t, s.target(t))
	})
}
