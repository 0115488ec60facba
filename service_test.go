package authing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/hashers"
	"authing.dev/authing/method/password"
	"authing.dev/authing/store/memstore"
)

// stepMethod is a test method: POST /step/ records two errors and a next
// action on the store, and its sessions have a logout action.
type stepMethod struct{ svc *authing.Service }

func (m *stepMethod) Code() string { return "step" }
func (m *stepMethod) LoginAction(lang string) authing.Action {
	return authing.Action{Code: "step", Name: "Step", URL: m.svc.Path("/step/"), Method: "POST"}
}
func (m *stepMethod) LogoutActions(string) []authing.Action {
	return []authing.Action{{URL: m.svc.Path("/logout/"), Method: "POST"}}
}
func (m *stepMethod) Register(s *authing.Service) error {
	m.svc = s
	s.Handle("POST /step/", func(w http.ResponseWriter, r *http.Request) error {
		st, err := s.RequireStore(r)
		if err != nil {
			return err
		}
		if r.URL.Query().Get("user") != "" {
			u, err := s.Users().UserByUsername(r.Context(), r.URL.Query().Get("user"))
			if err != nil {
				return err
			}
			if err := s.SignIn(r, st, u, "step"); err != nil {
				return err
			}
		} else {
			st.Data.Actions = &authing.Actions{Code: "TOTP", Name: "Enter the code", Values: []any{"code"}}
			if err := s.AddStoreError(r, st, "step", "FIRST", "first"); err != nil {
				return err
			}
			if err := s.AddStoreError(r, st, "step", "SECOND", ""); err != nil {
				return err
			}
		}
		s.RedirectToAuth(w, st)
		return nil
	})
	return nil
}

func get(t testing.TB, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	return send(t, http.MethodGet, url, nil, hdr...)
}

func send(t testing.TB, method, url string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := (&http.Transport{}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func storeOf(t testing.TB, body []byte) string {
	t.Helper()
	var env struct {
		Errors []struct {
			Meta struct {
				Token string `json:"token"`
			} `json:"meta"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &env); err != nil || len(env.Errors) == 0 {
		t.Fatalf("not an envelope: %s", body)
	}
	return env.Errors[0].Meta.Token
}

// T3: errors recorded by a method accumulate, and a next action is shown as
// the status-100 error, all in the Bazis order.
func TestAuth_ErrorsAccumulateAndNextAction(t *testing.T) {
	s := newTestServer(t, authing.Config{}, &stepMethod{})
	_, body := get(t, s.URL+"/api/v1/authing/auth/")
	st := storeOf(t, body)
	res, _ := send(t, http.MethodPost, s.URL+"/api/v1/authing/step/", nil, "Authorization", "Bearer "+st)
	if res.StatusCode != 303 {
		t.Fatalf("status %d", res.StatusCode)
	}
	res, body = get(t, s.URL+"/api/v1/authing/auth/", "Authorization", "Bearer "+st)
	if res.StatusCode != 400 {
		t.Fatalf("status %d", res.StatusCode)
	}
	want := `{"errors":[{"status":401,"title":"User is not authorized.","code":"UNAUTHORIZED","detail":"User is not authorized.","meta":{"actions":[` +
		`{"code":"password","name":"Login/Password","url":"/api/v1/authing/password/","method":"POST"},` +
		`{"code":"step","name":"Step","url":"/api/v1/authing/step/","method":"POST"}],"token":"` + st + `"}},` +
		`{"status":100,"title":"Next action","code":"TOTP","detail":"Enter the code","meta":{"actions":["code"]}},` +
		`{"status":422,"title":"Authentication error","code":"FIRST","detail":"first"},` +
		`{"status":422,"title":"Authentication error","code":"SECOND"}]}`
	if string(body) != want {
		t.Fatalf("body =\n%s\nwant\n%s", body, want)
	}
}

func TestAuth_LogoutActionsOfTheSessionMethod(t *testing.T) {
	s := newTestServer(t, authing.Config{}, &stepMethod{})
	if _, err := s.users.CreateUser(context.Background(), authing.NewUser{Username: "u", IsActive: true}); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, s.URL+"/api/v1/authing/auth/")
	st := storeOf(t, body)
	send(t, http.MethodPost, s.URL+"/api/v1/authing/step/?user=u", nil, "Authorization", "Bearer "+st)
	res, body := get(t, s.URL+"/api/v1/authing/auth/", "Authorization", "Bearer "+st)
	if res.StatusCode != 200 || !bytes.HasSuffix(body, []byte(`"logout_actions":[{"url":"/api/v1/authing/logout/","method":"POST"}]}`)) {
		t.Fatalf("status %d body %s", res.StatusCode, body)
	}
	var m map[string]any
	json.Unmarshal(body, &m)
	c, err := s.svc.Keys().ParseSessionToken(m["token"].(string), s.clock.Now())
	if err != nil || c.AuthType != "step" {
		t.Fatalf("session auth_type = %q, %v", c.AuthType, err)
	}
}

// countingStore counts writes, and fails every operation when down is set.
type countingStore struct {
	authing.Store
	puts atomic.Int64
	down atomic.Bool
}

var errDown = errors.New("connection refused")

func (c *countingStore) fail() error {
	if c.down.Load() {
		return errors.Join(authing.ErrUnavailable, errDown)
	}
	return nil
}
func (c *countingStore) Put(ctx context.Context, k string, d authing.StoreData, ttl time.Duration) error {
	if err := c.fail(); err != nil {
		return err
	}
	c.puts.Add(1)
	return c.Store.Put(ctx, k, d, ttl)
}
func (c *countingStore) Get(ctx context.Context, k string) (authing.StoreData, bool, error) {
	if err := c.fail(); err != nil {
		return authing.StoreData{}, false, err
	}
	return c.Store.Get(ctx, k)
}
func (c *countingStore) Claim(ctx context.Context, k string) (authing.StoreData, bool, error) {
	if err := c.fail(); err != nil {
		return authing.StoreData{}, false, err
	}
	return c.Store.Claim(ctx, k)
}

func (c *countingStore) Delete(ctx context.Context, k string) error {
	if err := c.fail(); err != nil {
		return err
	}
	return c.Store.Delete(ctx, k)
}

func newCountingServer(t *testing.T) (*httptest.Server, *countingStore, *authing.Service) {
	ms := memstore.New(memstore.Options{})
	t.Cleanup(func() { ms.Close() })
	cs := &countingStore{Store: ms}
	users := &authingtest.Users{}
	users.CreateUser(context.Background(), authing.NewUser{Username: "u", IsActive: true})
	svc, err := authing.New(authing.Config{SecretKey: testSecret}, cs, users)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return srv, cs, svc
}

// Bazis writes an orphan store on every session refresh; authing does not
// (docs/compat.md).
func TestAuth_SessionRefreshWritesNoStore(t *testing.T) {
	srv, cs, svc := newCountingServer(t)
	u, _ := svc.Users().UserByUsername(context.Background(), "u")
	ses := svc.IssueSession(u, "password")
	for i := 0; i < 3; i++ {
		res, body := get(t, srv.URL+"/api/v1/authing/auth/", "Authorization", "Bearer "+ses)
		if res.StatusCode != 200 {
			t.Fatalf("status %d: %s", res.StatusCode, body)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("Cache-Control = %q on an answer with a token", cc)
		}
	}
	if n := cs.puts.Load(); n != 0 {
		t.Fatalf("session refreshes wrote %d stores", n)
	}
	get(t, srv.URL+"/api/v1/authing/auth/")
	if n := cs.puts.Load(); n != 1 {
		t.Fatalf("an anonymous call wrote %d stores, want 1", n)
	}
}

func TestAuth_StoreDownIs503(t *testing.T) {
	srv, cs, _ := newCountingServer(t)
	_, body := get(t, srv.URL+"/api/v1/authing/auth/")
	st := storeOf(t, body)
	cs.down.Store(true)
	for _, c := range []struct{ method, path, tok string }{
		{"GET", "/api/v1/authing/auth/", ""},
		{"GET", "/api/v1/authing/auth/", st},
		{"POST", "/api/v1/authing/logout/", st},
	} {
		res, body := send(t, c.method, srv.URL+c.path, nil, "Authorization", "Bearer "+c.tok)
		want := `{"errors":[{"status":503,"code":"SERVICE_UNAVAILABLE","detail":"Service temporarily unavailable","meta":{"headers":{"Retry-After":"1"}}}]}`
		if res.StatusCode != 503 || string(body) != want || res.Header.Get("Retry-After") != "1" {
			t.Fatalf("%s %s: %d %s", c.method, c.path, res.StatusCode, body)
		}
		if strings.Contains(string(body), errDown.Error()) {
			t.Fatal("the cause leaked into the answer")
		}
	}
	cs.down.Store(false)
	if res, _ := get(t, srv.URL+"/api/v1/authing/auth/"); res.StatusCode != 400 {
		t.Fatalf("after recovery: %d", res.StatusCode)
	}
}

func TestService_HeadersCORSAndSlashes(t *testing.T) {
	s := newTestServer(t, authing.Config{TrustedOrigins: []string{"https://app.site.com"}})
	res, _ := get(t, s.URL+"/api/v1/authing/auth/", "Origin", "https://app.site.com")
	if res.Header.Get("Access-Control-Allow-Origin") != "https://app.site.com" || res.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("CORS headers missing for a trusted origin: %v", res.Header)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatal("nosniff missing")
	}
	res, _ = get(t, s.URL+"/api/v1/authing/auth/", "Origin", "https://evil.example")
	if res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("an untrusted origin got CORS headers")
	}
	res, _ = send(t, http.MethodOptions, s.URL+"/api/v1/authing/password/", nil, "Origin", "https://app.site.com",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type,authorization")
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Headers") != "content-type,authorization" {
		t.Fatalf("preflight: %d %v", res.StatusCode, res.Header)
	}
	// Starlette redirects a path without its slash to the route
	res, _ = get(t, s.URL+"/api/v1/authing/auth?lang=ru")
	if res.StatusCode != 307 || res.Header.Get("Location") != "/api/v1/authing/auth/?lang=ru" {
		t.Fatalf("no-slash: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestConfig_Validate(t *testing.T) {
	bad := []authing.Config{
		{SecretKey: "short"},
		{SecretKey: testSecret, SessionAlgorithm: "RS256"},
		{SecretKey: testSecret, CookieName: "a b"},
		{SecretKey: testSecret, OpenAPITokenURL: "api/token/"},
		{SecretKey: testSecret, LanguageCode: "de"},
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: no error", c)
		}
		if _, err := authing.New(c, memstore.New(memstore.Options{}), &authingtest.Users{}); err == nil {
			t.Errorf("New accepted %+v", c)
		}
	}
	if err := (authing.Config{SecretKey: testSecret}).Validate(); err != nil {
		t.Fatal(err)
	}
}

// FuzzPasswordBody sends arbitrary bodies to POST /password/: the answer is
// always one of the documented statuses and never a 5xx.
func FuzzPasswordBody(f *testing.F) {
	// A cheap hasher: the fuzzer explores the body parser, not argon2 (whose
	// 19 MiB per attempt stalled the fuzzing workers).
	ms := memstore.New(memstore.Options{})
	f.Cleanup(func() { ms.Close() })
	users := &authingtest.Users{}
	svc, err := authing.New(authing.Config{SecretKey: testSecret}, ms, users,
		password.New(users, password.Options{Hasher: hashers.NewSet(hashers.PBKDF2SHA256{Iterations: 1000})}))
	if err != nil {
		f.Fatal(err)
	}
	s := struct{ svc *authing.Service }{svc}
	store, err := svc.NewStore(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	st := svc.StoreToken(store)
	for _, seed := range []string{`{"username":"u","password":"p"}`, `{bad`, ``, `null`, `[1]`, `{"username":1}`, "{\"username\":\"\xff\"}"} {
		f.Add([]byte(seed), "application/json")
	}
	f.Fuzz(func(t *testing.T, b []byte, ct string) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/authing/password/", bytes.NewReader(b))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+st)
		rec := httptest.NewRecorder()
		s.svc.ServeHTTP(rec, req)
		switch rec.Code {
		case 303, 401, 413, 422:
		default:
			t.Fatalf("status %d for %q (%q): %s", rec.Code, b, ct, rec.Body)
		}
		if rec.Code != 303 && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("invalid JSON answer %q", rec.Body)
		}
	})
}

// failingUsers fails every look-up by id while down is set.
type failingUsers struct {
	*authingtest.Users
	down atomic.Bool
}

func (f *failingUsers) UserByID(ctx context.Context, id string) (authing.User, error) {
	if f.down.Load() {
		return authing.User{}, errors.Join(authing.ErrUnavailable, errDown)
	}
	return f.Users.UserByID(ctx, id)
}

// A database failure during the claim answers 503 and keeps the signed-in
// store, so that the client's retry gets the session.
func TestAuth_ClaimSurvivesADatabaseFailure(t *testing.T) {
	ms := memstore.New(memstore.Options{})
	t.Cleanup(func() { ms.Close() })
	users := &failingUsers{Users: &authingtest.Users{}}
	u, _ := users.CreateUser(context.Background(), authing.NewUser{Username: "u", IsActive: true})
	svc, err := authing.New(authing.Config{SecretKey: testSecret}, ms, users)
	if err != nil {
		t.Fatal(err)
	}
	st, err := svc.NewStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	if err := svc.SignIn(req, st, u, "password"); err != nil {
		t.Fatal(err)
	}
	users.down.Store(true)
	claim := func() int {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/api/v1/authing/auth/", nil)
		r.Header.Set("Authorization", "Bearer "+svc.StoreToken(st))
		svc.ServeHTTP(rec, r)
		return rec.Code
	}
	if code := claim(); code != 503 {
		t.Fatalf("claim with the database down: %d", code)
	}
	users.down.Store(false)
	if code := claim(); code != 200 {
		t.Fatalf("retry after the outage: %d, want the session", code)
	}
	if code := claim(); code != 400 {
		t.Fatalf("the store must still be single-use: %d", code)
	}
}
