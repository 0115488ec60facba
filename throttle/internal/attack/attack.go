// Package attack runs the acceptance scenario of the throttling work through
// real Services: 1,000 wrong passwords against one account from many
// addresses and 1,000 from one address against many accounts, while other
// users (and the attacked account's owner) sign in normally. The memory
// limiter runs it on one instance, redisthrottle on three instances that
// share one Redis.
package attack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/hashers"
	"authing.dev/authing/method/password"
	"authing.dev/authing/store/memstore"
	"authing.dev/authing/throttle"
	"authing.dev/authing/throttle/throttletest"
)

// Result counts what the attacks got.
type Result struct {
	// Spread: wrong passwords against one account from many addresses.
	SpreadChecked, SpreadThrottled int
	// Stuffing: wrong passwords from one address against many accounts.
	StuffingChecked, StuffingThrottled int
	// LegitSignIns is the number of normal sign-ins, all of which passed.
	LegitSignIns int
}

const (
	attempts = 1000
	tick     = time.Second
	secret   = "attack-test-secret-key-of-32-characters"
)

// Run drives the scenario through one Service per limiter (the limiters of
// one deployment: one shared in-process limiter, or one per instance on a
// shared Redis), all with Limits (Now: clock.Now), and checks the documented
// limits of limits.
func Run(t *testing.T, clock *throttletest.Clock, limits throttle.Limits, limiters []password.Limiter) Result {
	t.Helper()
	limits = limits.WithDefaults()
	ctx := context.Background()
	hasher := hashers.NewSet(hashers.PBKDF2SHA256{Iterations: 1000})
	users := &authingtest.Users{Clock: clock.Now}
	for _, name := range []string{"victim", "alice", "nina"} {
		h, _ := hasher.Encode(name + "-password")
		if _, err := users.CreateUser(ctx, authing.NewUser{Username: name, PasswordHash: h, IsActive: true}); err != nil {
			t.Fatal(err)
		}
	}
	svcs := make([]*authing.Service, len(limiters))
	for i, l := range limiters {
		store := memstore.New(memstore.Options{Now: clock.Now})
		t.Cleanup(func() { store.Close() })
		svc, err := authing.New(authing.Config{SecretKey: secret, Now: clock.Now}, store, users,
			password.New(users, password.Options{Hasher: hasher, Limiter: l}))
		if err != nil {
			t.Fatal(err)
		}
		svcs[i] = svc
	}
	var res Result

	tokenAttempt := func(i int, path, user, pw, ip string) int {
		form := url.Values{"username": {user}, "password": {pw}}.Encode()
		req := httptest.NewRequest("POST", path, strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = ip + ":40000"
		rec := httptest.NewRecorder()
		svcs[i%len(svcs)].ServeHTTP(rec, req)
		return rec.Code
	}
	// storeSignIn is the browser flow: a store, the password, the claim.
	storeSignIn := func(i int, user, ip string) bool {
		svc := svcs[i%len(svcs)]
		do := func(method, path, body, tok string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(method, path, strings.NewReader(body))
			req.RemoteAddr = ip + ":40000"
			req.Header.Set("Content-Type", "application/json")
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			rec := httptest.NewRecorder()
			svc.ServeHTTP(rec, req)
			return rec
		}
		var env struct {
			Errors []struct {
				Meta struct{ Token string } `json:"meta"`
			} `json:"errors"`
		}
		json.Unmarshal(do("GET", "/api/v1/authing/auth/", "", "").Body.Bytes(), &env)
		st := env.Errors[0].Meta.Token
		if rec := do("POST", "/api/v1/authing/password/", `{"username":"`+user+`","password":"`+user+`-password"}`, st); rec.Code != 303 {
			return false
		}
		return do("GET", "/api/v1/authing/auth/", "", st).Code == http.StatusOK
	}
	legit := func(ok bool, what string, i int) {
		t.Helper()
		if !ok {
			t.Errorf("second %d: %s could not sign in", i, what)
		}
		res.LegitSignIns++
	}

	// The owner signs in once from home: that address becomes known.
	legit(tokenAttempt(0, "/api/openapi-token/", "victim", "victim-password", "198.51.100.50") == 200, "victim (before)", 0)
	for i := range attempts {
		// A: the victim's account from ever new addresses and networks.
		switch code := tokenAttempt(i, "/api/openapi-token/", "victim", fmt.Sprintf("guess-%d", i), fmt.Sprintf("10.%d.%d.9", i/256, i%256)); code {
		case http.StatusUnauthorized:
			res.SpreadChecked++
		case http.StatusTooManyRequests:
			res.SpreadThrottled++
		default:
			t.Fatalf("spread attempt %d: status %d", i, code)
		}
		// B: one address, a new account each time (credential stuffing).
		switch code := tokenAttempt(i+1, "/api/v1/authing/password/token/", fmt.Sprintf("user%d", i), "123456", "203.0.113.66"); code {
		case http.StatusUnauthorized:
			res.StuffingChecked++
		case http.StatusTooManyRequests:
			res.StuffingThrottled++
		default:
			t.Fatalf("stuffing attempt %d: status %d", i, code)
		}
		if i%10 == 0 {
			legit(storeSignIn(i/10, "alice", "198.51.100.7"), "alice (another user, another address)", i)
		}
		if i%50 == 25 {
			legit(tokenAttempt(i, "/api/openapi-token/", "victim", "victim-password", "198.51.100.50") == 200, "victim from home", i)
			legit(storeSignIn(i/50, "nina", "203.0.113.67"), "nina (the stuffing address's /24 neighbour)", i)
		}
		clock.Advance(tick)
	}

	window := attempts * tick
	t.Logf("%d instance(s), %v: spread %d checked / %d throttled (limit %d); stuffing %d checked / %d throttled (limit %d); %d normal sign-ins passed",
		len(limiters), window, res.SpreadChecked, res.SpreadThrottled, limits.User.MaxFailures(window),
		res.StuffingChecked, res.StuffingThrottled, limits.IP.MaxFailures(window), res.LegitSignIns)
	if max := limits.User.MaxFailures(window); res.SpreadChecked > max || res.SpreadChecked < limits.User.Free+1 {
		t.Errorf("one account from many addresses: %d guesses checked, the documented limit is %d", res.SpreadChecked, max)
	}
	if max := limits.IP.MaxFailures(window); res.StuffingChecked > max || res.StuffingChecked < limits.IP.Free+1 {
		t.Errorf("one address against many accounts: %d guesses checked, the documented limit is %d", res.StuffingChecked, max)
	}
	return res
}
