package authing_test

import (
	"context"
	"errors"
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

// downUsers fails every look-up.
type downUsers struct{ authing.Users }

func (downUsers) UserByUsername(context.Context, string) (authing.User, error) {
	return authing.User{}, fmt.Errorf("db: %w: connection refused", authing.ErrUnavailable)
}

func TestGuard(t *testing.T) {
	users, _ := exampleUsers()
	users.CreateUser(context.Background(), authing.NewUser{Username: "gone", IsActive: false})
	users.CreateUser(context.Background(), authing.NewUser{Username: "root", IsActive: true, IsSuperuser: true})
	keys, _ := authing.NewKeys(authing.HS256, exampleSecret)
	other, _ := authing.NewKeys(authing.HS256, "another-secret-key-of-32-characters-x")
	now := time.Now()
	tok := func(user string) string { return keys.SessionToken(user, now, time.Hour, "password") }
	g := authing.NewGuard(keys, users)
	g.Verifier.Now = func() time.Time { return now }
	seen := ""
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := authing.UserFromContext(r.Context())
		c, cok := authing.SessionFromContext(r.Context())
		if ok != cok || (ok && c.Subject != u.Username) {
			t.Errorf("user %v and claims %v disagree", ok, cok)
		}
		seen = u.Username
		w.WriteHeader(299)
	})
	const (
		coded   = `{"errors":[{"status":401,"code":"ERR_UNAUTHORIZED","detail":"Token is invalid"}]}`
		expired = `{"errors":[{"status":401,"code":"ERR_UNAUTHORIZED","detail":"Token has expired"}]}`
		bearer  = `{"errors":[{"status":401,"detail":"Token is invalid","meta":{"headers":{"WWW-Authenticate":"Bearer"}}}]}`
		denied  = `{"errors":[{"status":403,"code":"ERR_FORBIDDEN","detail":"Permission denied: check access"}]}`
	)
	cases := []struct {
		name      string
		mw        func(http.Handler) http.Handler
		query     string
		header    string
		cookie    string
		status    int
		body      string
		wantUser  string
		wwwBearer bool
	}{
		{"optional/none", g.OptionalUser, "", "", "", 299, "", "", false},
		{"optional/bearer", g.OptionalUser, "", "Bearer " + tok("user1"), "", 299, "", "user1", false},
		{"optional/cookie", g.OptionalUser, "", "", tok("user2"), 299, "", "user2", false},
		{"optional/query", g.OptionalUser, tok("user2"), "Bearer " + tok("user1"), "", 299, "", "user2", false},
		{"optional/scheme is case-insensitive", g.OptionalUser, "", "bEaReR " + tok("user1"), "", 299, "", "user1", false},
		{"optional/other scheme is absent", g.OptionalUser, "", "Basic dXNlcjE6eA==", "", 299, "", "", false},
		{"optional/store token is anonymous", g.OptionalUser, "", "", keys.StoreToken(authing.NewStoreKey()), 299, "", "", false},
		{"optional/unknown user", g.OptionalUser, "", "Bearer " + tok("nobody"), "", 299, "", "", false},
		{"optional/inactive user", g.OptionalUser, "", "Bearer " + tok("gone"), "", 299, "", "", false},
		{"optional/expired", g.OptionalUser, "", "Bearer " + keys.SessionToken("user1", now.Add(-2*time.Hour), time.Hour, ""), "", 401, expired, "", false},
		{"optional/foreign key", g.OptionalUser, "", "Bearer " + other.SessionToken("user1", now, time.Hour, ""), "", 401, coded, "", false},
		{"optional/garbage", g.OptionalUser, "", "Bearer x.y.z", "", 401, coded, "", false},
		{"optional/no fallback from a bad query", g.OptionalUser, "garbage", "Bearer " + tok("user1"), "", 401, coded, "", false},
		{"required/none", g.RequireUser, "", "", "", 401, bearer, "", true},
		{"required/store token", g.RequireUser, "", "", keys.StoreToken(authing.NewStoreKey()), 401, bearer, "", true},
		{"required/inactive", g.RequireUser, "", "Bearer " + tok("gone"), "", 401, bearer, "", true},
		{"required/expired", g.RequireUser, "", "Bearer " + keys.SessionToken("user1", now.Add(-2*time.Hour), time.Hour, ""), "", 401, expired, "", false},
		{"required/ok", g.RequireUser, "", "Bearer " + tok("user2"), "", 299, "", "user2", false},
		{"staff/ok", g.RequireStaff, "", "Bearer " + tok("user1"), "", 299, "", "user1", false},
		{"staff/denied", g.RequireStaff, "", "Bearer " + tok("user2"), "", 403, denied, "", false},
		{"staff/anonymous", g.RequireStaff, "", "", "", 401, bearer, "", true},
		{"superuser/ok", g.RequireSuperuser, "", "Bearer " + tok("root"), "", 299, "", "root", false},
		{"superuser/staff is not enough", g.RequireSuperuser, "", "Bearer " + tok("user1"), "", 403, denied, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seen = ""
			target := "/x"
			if c.query != "" {
				target += "?bazis_auth=" + c.query
			}
			req := httptest.NewRequest("GET", target, nil)
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			if c.cookie != "" {
				req.AddCookie(&http.Cookie{Name: "bazis_auth", Value: c.cookie})
			}
			rr := httptest.NewRecorder()
			c.mw(h).ServeHTTP(rr, req)
			if rr.Code != c.status || (c.body != "" && rr.Body.String() != c.body) || seen != c.wantUser {
				t.Fatalf("got %d %s (user %q), want %d %s (user %q)", rr.Code, rr.Body, seen, c.status, c.body, c.wantUser)
			}
			if got := rr.Header().Get("WWW-Authenticate"); (got == "Bearer") != c.wwwBearer {
				t.Fatalf("WWW-Authenticate %q", got)
			}
			if c.status >= 400 && rr.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("Content-Type %q", rr.Header().Get("Content-Type"))
			}
		})
	}

	t.Run("database down is 503", func(t *testing.T) {
		g := authing.NewGuard(keys, downUsers{users})
		rr := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/x", nil)
		req.Header.Set("Authorization", "Bearer "+tok("user1"))
		g.RequireUser(h).ServeHTTP(rr, req)
		if rr.Code != 503 || rr.Header().Get("Retry-After") != "1" {
			t.Fatalf("status %d", rr.Code)
		}
	})
}

// The Service's middleware uses its own cookie name and keys.
func TestService_RequireUserCookieName(t *testing.T) {
	s := newTestServer(t, authing.Config{CookieName: "sid"})
	u, _ := s.users.CreateUser(context.Background(), authing.NewUser{Username: "ann", IsActive: true})
	tok := s.svc.IssueSession(u, "password")
	h := s.svc.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := authing.UserFromContext(r.Context())
		w.Write([]byte(u.Username))
	}))
	req := httptest.NewRequest("GET", "/x?sid="+tok, nil)
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	if rr.Code != 200 || rr.Body.String() != "ann" {
		t.Fatalf("%d %s", rr.Code, rr.Body)
	}
	req = httptest.NewRequest("GET", "/x?bazis_auth="+tok, nil)
	rr = httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	if rr.Code != 401 {
		t.Fatalf("the default name must not be read: %d", rr.Code)
	}
	ctx := authing.ContextWithUser(context.Background(), u, authing.SessionClaims{Subject: "ann"})
	if got, ok := authing.UserFromContext(ctx); !ok || got.ID != u.ID {
		t.Fatal("ContextWithUser")
	}
}

// lookupCounter counts look-ups by username.
type lookupCounter struct {
	*authingtest.Users
	n atomic.Int64
}

func (c *lookupCounter) UserByUsername(ctx context.Context, name string) (authing.User, error) {
	c.n.Add(1)
	return c.Users.UserByUsername(ctx, name)
}

// The Service's guard honours its revocations and reads users through its
// user cache, as session refreshes do.
func TestService_GuardRevocationsAndCache(t *testing.T) {
	users := &lookupCounter{Users: &authingtest.Users{}}
	u, _ := users.CreateUser(context.Background(), authing.NewUser{Username: "ann", IsActive: true})
	store := memstore.New(memstore.Options{})
	defer store.Close()
	svc, err := authing.New(authing.Config{SecretKey: exampleSecret, RevokeOnLogout: true}, store, users)
	if err != nil {
		t.Fatal(err)
	}
	h := svc.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	call := func(tok string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/x", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		return rr
	}
	tok := svc.IssueSession(u, "password")
	for range 3 {
		if rr := call(tok); rr.Code != 200 {
			t.Fatalf("%d %s", rr.Code, rr.Body)
		}
	}
	if n := users.n.Load(); n != 1 {
		t.Errorf("%d database look-ups for 3 requests, want 1 (the user cache)", n)
	}
	req := httptest.NewRequest("POST", "/api/v1/authing/logout/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rr := httptest.NewRecorder()
	svc.ServeHTTP(rr, req)
	if rr.Code != 204 {
		t.Fatalf("logout: %d", rr.Code)
	}
	if rr := call(tok); rr.Code != 401 || rr.Body.String() != `{"errors":[{"status":401,"code":"ERR_UNAUTHORIZED","detail":"Token is invalid"}]}` {
		t.Fatalf("a revoked token: %d %s", rr.Code, rr.Body)
	}
	// A standalone verifier sharing the revocations refuses it too.
	v := authing.NewVerifier(svc.Keys())
	v.Revocations = svc.Config().Revocations
	req = httptest.NewRequest("GET", "/x", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if _, err := v.Verify(req); !errors.Is(err, authing.ErrSessionRevoked) {
		t.Fatalf("Verify of a revoked token: %v", err)
	}
}
