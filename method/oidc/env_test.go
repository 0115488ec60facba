package oidc_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/hashers"
	"authing.dev/authing/method/oidc"
	"authing.dev/authing/method/oidc/oidctest"
	"authing.dev/authing/method/password"
	"authing.dev/authing/store/memstore"
)

const (
	secret       = "test-secret-key-0123456789abcdef-0123"
	clientID     = "authing-client"
	clientSecret = "authing-client-secret"
	prefix       = "/api/v1/authing"
	userPassword = "weak_password_1"
)

// clock is the one clock of a test: service, store, method and provider.
type clock = authingtest.Clock

// env is authing (password + one OIDC method) on a loopback server, the
// in-process provider, and a browser-like client that follows nothing by
// itself and records every URL it requests.
type env struct {
	t      *testing.T
	clk    *clock
	op     *oidctest.Provider
	users  *authingtest.LinkingUsers
	store  *memstore.Store
	svc    *authing.Service
	srv    *httptest.Server
	method *oidc.Method
	hc     *http.Client

	mu   sync.Mutex
	urls []string
	logs *syncBuffer
}

// syncBuffer collects the method's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type envOptions struct {
	// provider builds the method's provider; default: Google on the
	// in-process provider, endpoints discovered.
	provider func(op *oidctest.Provider, base string) oidc.Provider
	// down reserves the provider's address without serving.
	down bool
	// noLinks gives the method a user database without links.
	noLinks bool
}

// googleOn is the Google preset pointed at the in-process provider.
func googleOn(op *oidctest.Provider, base string) oidc.Provider {
	p := oidc.Google(clientID, clientSecret, "")
	p.Issuer = op.URL
	p.AuthURL, p.TokenURL, p.UserinfoURL = "", "", ""
	p.BaseURL = base
	return p
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	clk := authingtest.NewClock(time.Now().UTC().Truncate(time.Second))
	opOpts := oidctest.Options{ClientID: clientID, ClientSecret: clientSecret, Now: clk.Now}
	var op *oidctest.Provider
	if o.down {
		op = oidctest.Reserve(t, opOpts)
	} else {
		op = oidctest.New(t, opOpts)
	}
	users := &authingtest.LinkingUsers{}
	users.Clock = clk.Now
	store := memstore.New(memstore.Options{Now: clk.Now})
	t.Cleanup(func() { store.Close() })
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	build := o.provider
	if build == nil {
		build = googleOn
	}
	var dir oidc.Directory = users
	if o.noLinks {
		dir = &users.Users
	}
	logs := &syncBuffer{}
	m, err := oidc.New(build(op, base), dir, oidc.Options{Now: clk.Now, RetryInterval: 5 * time.Second,
		HTTPClient: &http.Client{Timeout: 5 * time.Second}, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatalf("oidc.New: %v", err)
	}
	set := hashers.NewSet(hashers.PBKDF2SHA256{Iterations: 1000})
	svc, err := authing.New(authing.Config{SecretKey: secret, Now: clk.Now, CookieLifetime: 600 * time.Second,
		ClaimLifetime: 60 * time.Second}, store, users, password.New(users, password.Options{Hasher: set}), m)
	if err != nil {
		t.Fatalf("authing.New: %v", err)
	}
	srv.Config.Handler = svc
	srv.Start()
	t.Cleanup(srv.Close)
	e := &env{t: t, clk: clk, op: op, users: users, store: store, svc: svc, srv: srv, method: m, logs: logs}
	e.hc = &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

// seed creates an active user with a password.
func (e *env) seed(username, email string) authing.User {
	e.t.Helper()
	h, err := hashers.NewSet(hashers.PBKDF2SHA256{Iterations: 1000}).Encode(userPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.users.CreateUser(context.Background(), authing.NewUser{Username: username, Email: email, PasswordHash: h, IsActive: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

type resp struct {
	*http.Response
	body []byte
}

func (r resp) String() string { return r.Status + " " + string(r.body) }

// do sends one request and records its URL. Options add headers.
func (e *env) do(method, rawURL string, body []byte, hdr ...string) resp {
	e.t.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = e.srv.URL + rawURL
	}
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	req, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	e.mu.Lock()
	e.urls = append(e.urls, rawURL)
	e.mu.Unlock()
	res, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res, b}
}

func (e *env) get(rawURL string, hdr ...string) resp {
	return e.do(http.MethodGet, rawURL, nil, hdr...)
}

// newStore is NEW_STORE(): an anonymous GET /auth/, its meta.token.
func (e *env) newStore() string {
	e.t.Helper()
	r := e.get(prefix+"/auth/", "Content-Type", "application/vnd.api+json")
	if r.StatusCode != http.StatusBadRequest {
		e.t.Fatalf("GET /auth/: %s", r)
	}
	errs := errorsOf(e.t, r)
	meta, _ := errs[0]["meta"].(map[string]any)
	tok, _ := meta["token"].(string)
	if tok == "" {
		e.t.Fatalf("no meta.token: %s", r)
	}
	return tok
}

// auth is GET /auth/ with the store (or session) as bearer token.
func (e *env) auth(token string) resp {
	e.t.Helper()
	return e.get(prefix+"/auth/", "Content-Type", "application/vnd.api+json", "Authorization", "Bearer "+token)
}

// signedIn asserts that GET /auth/ with store gives the session of username
// and returns the answer.
func (e *env) signedIn(store, username string) map[string]any {
	e.t.Helper()
	r := e.auth(store)
	if r.StatusCode != http.StatusOK {
		e.t.Fatalf("GET /auth/ with the store: %s, want 200 for %s", r, username)
	}
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		e.t.Fatal(err)
	}
	if m["username"] != username {
		e.t.Fatalf("GET /auth/: username %v, want %s", m["username"], username)
	}
	return m
}

// storeErrors asserts that GET /auth/ with store is anonymous and returns
// the codes and details of its errors after UNAUTHORIZED.
func (e *env) storeErrors(store string) (codes, details []string) {
	e.t.Helper()
	r := e.auth(store)
	if r.StatusCode != http.StatusBadRequest {
		e.t.Fatalf("GET /auth/ with the store: %s, want the anonymous 400", r)
	}
	errs := errorsOf(e.t, r)
	if errs[0]["code"] != "UNAUTHORIZED" {
		e.t.Fatalf("errors[0] = %v", errs[0])
	}
	meta, _ := errs[0]["meta"].(map[string]any)
	if meta["token"] != store {
		e.t.Fatalf("GET /auth/ replaced the store (meta.token %v): it was claimed or lost", meta["token"])
	}
	for _, x := range errs[1:] {
		c, _ := x["code"].(string)
		d, _ := x["detail"].(string)
		codes, details = append(codes, c), append(details, d)
	}
	return codes, details
}

func errorsOf(t *testing.T, r resp) []map[string]any {
	t.Helper()
	var env struct {
		Errors []map[string]any `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil || len(env.Errors) == 0 {
		t.Fatalf("not an error envelope: %s", r)
	}
	return env.Errors
}

// flow is one browser sign-in in progress.
type flow struct {
	init      resp
	authorize *url.URL // where init sent the browser
	binding   string   // "name=value" of the binding cookie
	callback  *url.URL // where the provider sent the browser back
}

// start runs init with the store in the query and follows the browser to
// the provider and back to the callback URL (not requested yet).
func (e *env) start(store string) *flow {
	e.t.Helper()
	f := &flow{init: e.get(prefix + e.method.Provider().InitPath + "?bazis_auth=" + store)}
	if f.init.StatusCode != http.StatusFound {
		e.t.Fatalf("init: %s, want 302", f.init)
	}
	var err error
	if f.authorize, err = url.Parse(f.init.Header.Get("Location")); err != nil {
		e.t.Fatal(err)
	}
	for _, sc := range f.init.Header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "authing_oidc_") {
			f.binding, _, _ = strings.Cut(sc, ";")
		}
	}
	if f.binding == "" {
		e.t.Fatalf("init set no binding cookie: %q", f.init.Header.Values("Set-Cookie"))
	}
	r := e.get(f.authorize.String())
	if r.StatusCode != http.StatusFound {
		e.t.Fatalf("provider authorize: %s", r)
	}
	if f.callback, err = url.Parse(r.Header.Get("Location")); err != nil {
		e.t.Fatal(err)
	}
	return f
}

// finish requests the callback as the browser would: on this service (the
// redirect URI's host may be another name for it), with the binding cookie.
func (e *env) finish(f *flow, cookies ...string) resp {
	e.t.Helper()
	if cookies == nil {
		cookies = []string{f.binding}
	}
	hdr := []string{}
	if c := strings.Join(cookies, "; "); c != "" {
		hdr = append(hdr, "Cookie", c)
	}
	return e.get(prefix+e.method.Provider().CallbackPath+"?"+f.callback.RawQuery, hdr...)
}

// wantPage asserts the callback's closing page, and whether it set the
// store cookie.
func wantPage(t *testing.T, r resp, signedIn bool, store string) {
	t.Helper()
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("callback: %s (%s), want the 200 HTML page", r, r.Header.Get("Content-Type"))
	}
	if r.Header.Get("Location") != "" {
		t.Errorf("callback redirects to %q", r.Header.Get("Location"))
	}
	if strings.Contains(string(r.body), store) || strings.Contains(string(r.body), "eyJ") {
		t.Errorf("the callback page holds a token: %s", r.body)
	}
	if !strings.Contains(string(r.body), "<p>The sign-in is finished: return to the application.</p>") ||
		!strings.Contains(string(r.body), "window.close()") {
		t.Errorf("callback page: %s", r.body)
	}
	cookies := r.Header.Values("Set-Cookie")
	if !signedIn {
		if len(cookies) != 0 {
			t.Errorf("a failed callback sets cookies: %q", cookies)
		}
		return
	}
	if len(cookies) == 0 || !strings.HasPrefix(cookies[0], "bazis_auth="+store+"; ") ||
		!strings.Contains(cookies[0], "Max-Age=60;") {
		t.Errorf("callback Set-Cookie = %q, want the store cookie with Max-Age=CLAIM first", cookies)
	}
}

// noTokensInURLs asserts that no URL requested so far holds a session token
// or the store token, except the init call (the only URL that carries the
// store, as in Bazis).
func (e *env) noTokensInURLs(store string, sessions ...string) {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	initPath := prefix + e.method.Provider().InitPath
	for _, u := range e.urls {
		pu, _ := url.Parse(u)
		for _, s := range sessions {
			if s != "" && strings.Contains(u, s) {
				e.t.Errorf("a session token appears in the URL %s", u)
			}
		}
		if strings.Contains(u, store) && pu.Path != initPath {
			e.t.Errorf("the store token appears in the URL %s", u)
		}
		// The key of the store either (it is the token's sub).
		if key := storeKey(store); key != "" && strings.Contains(u, key) {
			e.t.Errorf("the store key appears in the URL %s", u)
		}
	}
}

// noTokensInLogs asserts that the log holds none of the tokens.
func (e *env) noTokensInLogs(tokens ...string) {
	e.t.Helper()
	logs := e.logs.String()
	for _, tok := range tokens {
		if tok != "" && strings.Contains(logs, tok) {
			e.t.Errorf("a token appears in the log:\n%s", logs)
		}
	}
}

// storeKey returns the sub of a store token.
func storeKey(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var p struct {
		Sub string `json:"sub"`
	}
	json.Unmarshal(b, &p)
	return p.Sub
}

// jwtPayload decodes a JWT payload without checking it.
func jwtPayload(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// cookieAttrs parses a Set-Cookie value: name=value and attributes.
func cookieAttrs(sc string) (nv string, attrs map[string]string) {
	parts := strings.Split(sc, ";")
	attrs = map[string]string{}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		attrs[k] = v
	}
	return parts[0], attrs
}

// account is a provider account's claims.
func account(sub, email string, verified any, extra ...string) map[string]any {
	c := map[string]any{"sub": sub}
	if email != "" {
		c["email"] = email
	}
	if verified != nil {
		c["email_verified"] = verified
	}
	for i := 0; i+1 < len(extra); i += 2 {
		c[extra[i]] = extra[i+1]
	}
	return c
}

func wantCodes(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("store error codes = %q, want %q", got, want)
	}
}
