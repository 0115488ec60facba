package authingtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"authing.dev/authing"
)

// Target is a running authing (or Bazis) server for TestWire.
type Target struct {
	// BaseURL is the scheme and host, e.g. "http://127.0.0.1:8080".
	BaseURL string
	// Prefix of the API; default "/api/v1/authing".
	Prefix string
	// TokenURL is the bazis-users token URL; default "/api/openapi-token/".
	TokenURL string
	// Secret is the server's SECRET_KEY (HS256), used to check token payloads
	// and to forge tokens of other kinds.
	Secret string
	// CookieLifetime and ClaimLifetime as configured (defaults 600 s, 60 s).
	CookieLifetime, ClaimLifetime time.Duration
	// SessionLifetime as configured (default 86400 s).
	SessionLifetime time.Duration
	// InsecureCookie is true when BAZIS_AUTH_COOKIE_SECURE=false.
	InsecureCookie bool
	// Seed creates a user with a password and returns its id.
	Seed func(t *testing.T, u authing.NewUser, password string) (id string)
	// SetActive sets is_active of a user.
	SetActive func(t *testing.T, id string, active bool)
	// User reads a user back (last_login checks); optional.
	User func(t *testing.T, username string) authing.User
	// Now is the server's clock, when it is not the real one (a test clock
	// moved by Advance); optional.
	Now func() time.Time
	// Advance moves the server's clock and store expiry forward; optional.
	// Without it the expiry scenario runs only when the lifetimes are at
	// most 2 s (it then waits in real time).
	Advance func(d time.Duration)
}

func (tg *Target) defaults() {
	if tg.Prefix == "" {
		tg.Prefix = authing.DefaultPrefix
	}
	if tg.TokenURL == "" {
		tg.TokenURL = authing.DefaultOpenAPITokenURL
	}
	if tg.CookieLifetime == 0 {
		tg.CookieLifetime = authing.DefaultCookieLifetime
	}
	if tg.ClaimLifetime == 0 {
		tg.ClaimLifetime = authing.DefaultClaimLifetime
	}
	if tg.SessionLifetime == 0 {
		tg.SessionLifetime = authing.DefaultSessionLifetime
	}
}

// wire is one run of the suite.
type wire struct {
	t  *testing.T
	tg Target
	hc *http.Client
}

// resp is a finished response with its body read.
type resp struct {
	*http.Response
	body []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %q", err, r.body)
	}
	return m
}

// errs returns the "errors" array of an envelope.
func (r resp) errs(t *testing.T) []map[string]any {
	t.Helper()
	var env struct {
		Errors []map[string]any `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil || len(env.Errors) == 0 {
		t.Fatalf("not an error envelope (%v): %s", err, r.body)
	}
	return env.Errors
}

func (r resp) codes(t *testing.T) []string {
	var out []string
	for _, e := range r.errs(t) {
		c, _ := e["code"].(string)
		out = append(out, c)
	}
	return out
}

// cookie parses the first Set-Cookie header: name, value and attributes
// (flags map to "").
func (r resp) cookie(t *testing.T) (name, value string, attrs map[string]string) {
	t.Helper()
	sc := r.Header.Get("Set-Cookie")
	if sc == "" {
		t.Fatalf("no Set-Cookie header")
	}
	parts := strings.Split(sc, ";")
	name, value, _ = strings.Cut(parts[0], "=")
	attrs = map[string]string{}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		attrs[k] = v
	}
	return name, value, attrs
}

type reqOpt func(*http.Request)

func bearer(tok string) reqOpt {
	return func(r *http.Request) {
		if tok != "" {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
	}
}

func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

func (w *wire) url(path string) string { return w.tg.BaseURL + path }

func (w *wire) p(rel string) string { return w.tg.Prefix + rel }

// do sends one request without following redirects.
func (w *wire) do(method, path string, body []byte, opts ...reqOpt) resp {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, w.url(path), rd)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, o := range opts {
		o(req)
	}
	res, err := w.hc.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return resp{res, b}
}

// api mimics the Bazis test client: Content-Type application/vnd.api+json on
// every request, the bearer token when given, redirects followed as GET with
// the same Authorization and no body.
func (w *wire) api(token, method, path string, body any) resp {
	w.t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	opts := []reqOpt{header("Content-Type", "application/vnd.api+json"), bearer(token)}
	r := w.do(method, path, raw, opts...)
	for i := 0; i < 5 && r.StatusCode >= 300 && r.StatusCode < 400; i++ {
		loc := r.Header.Get("Location")
		u, err := url.Parse(loc)
		if err != nil {
			w.t.Fatalf("bad Location %q", loc)
		}
		r = w.do(http.MethodGet, u.RequestURI(), nil, opts...)
	}
	return r
}

// newStore is NEW_STORE(): an anonymous GET /auth/, its meta.token.
func (w *wire) newStore() string {
	w.t.Helper()
	r := w.api("", http.MethodGet, w.p("/auth/"), nil)
	if r.StatusCode != http.StatusBadRequest {
		w.t.Fatalf("GET /auth/ anonymous: status %d, want 400: %s", r.StatusCode, r.body)
	}
	meta, _ := r.errs(w.t)[0]["meta"].(map[string]any)
	tok, _ := meta["token"].(string)
	if tok == "" {
		w.t.Fatalf("no meta.token: %s", r.body)
	}
	return tok
}

// passwordLogin is PASSWORD_LOGIN(store, password) for username.
func (w *wire) passwordLogin(store, username, password string) resp {
	w.t.Helper()
	b, _ := json.Marshal(map[string]string{"username": username, "password": password})
	return w.do(http.MethodPost, w.p("/password/"), b, header("Content-Type", "application/json"), bearer(store))
}

// notAuthenticated asserts NOT_AUTHENTICATED(r, store) and returns the new token.
func (w *wire) notAuthenticated(r resp, store string) string {
	w.t.Helper()
	if r.StatusCode != http.StatusBadRequest {
		w.t.Fatalf("status %d, want 400: %s", r.StatusCode, r.body)
	}
	e := r.errs(w.t)[0]
	if e["code"] != "UNAUTHORIZED" {
		w.t.Fatalf("errors[0].code = %v, want UNAUTHORIZED", e["code"])
	}
	meta, _ := e["meta"].(map[string]any)
	tok, _ := meta["token"].(string)
	if tok == "" || tok == store {
		w.t.Fatalf("meta.token must be a new store token, got %q", tok)
	}
	return tok
}

func (w *wire) seed(name, password string) (id, username string) {
	w.t.Helper()
	username = name + "_" + newUUID()[:8]
	id = w.tg.Seed(w.t, authing.NewUser{Username: username, Email: username + "@site.com", IsActive: true}, password)
	return id, username
}

// payload decodes a JWT payload after checking its HS256 signature with the
// target's secret.
func (w *wire) payload(tok string) map[string]any {
	w.t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		w.t.Fatalf("not a JWT: %q", tok)
	}
	m := hmac.New(sha256.New, []byte(w.tg.Secret))
	m.Write([]byte(parts[0] + "." + parts[1]))
	if base64.RawURLEncoding.EncodeToString(m.Sum(nil)) != parts[2] {
		w.t.Fatalf("token signature does not verify with the target's secret")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		w.t.Fatal(err)
	}
	var p map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// SignHS256 returns a compact HS256 JWT of the payload (exact bytes) with the
// header PyJWT writes.
func SignHS256(secret, payload string) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	p := base64.RawURLEncoding.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(h + "." + p))
	return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func wantStatus(t *testing.T, r resp, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, r.body)
	}
}

func wantEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// TestWire runs the HTTP scenarios of the Bazis wire specification (§11.1
// password scenarios and §11.4) against a running server. Each scenario
// seeds its own users, so a target can be shared.
func TestWire(t *testing.T, tg Target) {
	tg.defaults()
	w := &wire{tg: tg, hc: &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	run := func(name string, f func(w *wire)) {
		t.Run(name, func(t *testing.T) {
			wc := *w
			wc.t = t
			f(&wc)
		})
	}
	run("T1_password_auth", scenarioT1)
	run("T2_foreign_token", scenarioT2)
	run("T7_session_token_is_not_a_store_token", scenarioT7)
	run("T8_store_token_is_single_use", scenarioT8)
	run("T9_claim_of_an_inactive_user", scenarioT9)
	run("T10_claim_is_atomic", scenarioT10)
	run("T11_claim_deletes_the_store_cookie", scenarioT11)
	run("T12_logout_clears_the_store", scenarioT12)
	run("T13_store_cookie_attributes", scenarioT13)
	run("T14_redirect_without_store_token", scenarioT14)
	run("X1_login_without_token", scenarioX1)
	run("X2_missing_field", scenarioX2)
	run("X3_malformed_json", scenarioX3)
	run("X4_token_endpoints", scenarioX4)
	run("X5_expired_session_is_anonymous", scenarioX5)
	run("X6_errors_are_sticky", scenarioX6)
	run("X7_retry_resets_the_store", scenarioX7)
	run("X8_query_wins_without_fallback", scenarioX8)
	run("X9_login_records_last_login", scenarioX9)
	run("X10_store_expiry", scenarioX10)
	run("X11_language", scenarioX11)
	run("Routing_404_405", scenarioRouting)
	run("Bad_input_never_5xx", scenarioBadInput)
}

func scenarioT1(w *wire) {
	t := w.t
	id, user := w.seed("user1", "weak_password_2")
	r := w.api("", http.MethodGet, w.p("/auth/"), nil)
	wantStatus(t, r, 400)
	errs := r.errs(t)
	wantEqual(t, "len(errors)", len(errs), 1)
	if st, ok := errs[0]["status"].(float64); !ok || st != 401 {
		t.Fatalf("errors[0].status = %#v, want the integer 401", errs[0]["status"])
	}
	wantEqual(t, "errors[0].code", errs[0]["code"], any("UNAUTHORIZED"))
	meta := errs[0]["meta"].(map[string]any)
	want := `"meta":{"actions":[{"code":"password","name":"Login/Password","url":"` + w.p("/password/") + `","method":"POST"}],"token":"`
	if !bytes.Contains(r.body, []byte(want)) {
		t.Fatalf("meta.actions: want exactly %s in %s", want, r.body)
	}
	tok := meta["token"].(string)

	r = w.api(tok, http.MethodPost, w.p("/password/"), map[string]string{"username": user, "password": "weak_password_2"})
	wantStatus(t, r, 200)
	m := r.json(t)
	wantEqual(t, "user_id", m["user_id"], any(id))
	wantEqual(t, "username", m["username"], any(user))
	wantEqual(t, "email", m["email"], any(user+"@site.com"))
	// all keys, in the Bazis order
	keys := []string{"user_id", "username", "first_name", "last_name", "email", "token", "logout_actions"}
	pos := -1
	for _, k := range keys {
		i := bytes.Index(r.body, []byte(`"`+k+`":`))
		if i <= pos {
			t.Fatalf("key %q missing or out of order in %s", k, r.body)
		}
		pos = i
	}
	if m["logout_actions"] != nil {
		t.Fatalf("logout_actions = %v, want null", m["logout_actions"])
	}

	s := w.newStore()
	r = w.api(s, http.MethodPost, w.p("/password/"), map[string]string{"username": user, "password": "wrong_password"})
	wantStatus(t, r, 400)
	wantEqual(t, "codes", strings.Join(r.codes(t), ","), "UNAUTHORIZED,USERNAME_PASSWORD_ERROR")
	meta = r.errs(t)[0]["meta"].(map[string]any)
	wantEqual(t, "meta.token", meta["token"], any(s))
	e1 := r.errs(t)[1]
	wantEqual(t, "errors[1].status", e1["status"], any(float64(422)))
	wantEqual(t, "errors[1].title", e1["title"], any("Authentication error"))
	wantEqual(t, "errors[1].detail", e1["detail"], any("Credentials are invalid"))
}

func scenarioT2(w *wire) {
	t := w.t
	f := SignHS256(strings.Repeat("x", 40), `{"sub":"store"}`)
	r := w.do(http.MethodGet, w.p("/auth/")+"?bazis_auth="+f, nil)
	w.notAuthenticated(r, f)
	r = w.api(f, http.MethodPost, w.p("/password/"), map[string]string{"username": "user", "password": "password"})
	wantStatus(t, r, 401)
}

func scenarioT7(w *wire) {
	t := w.t
	_, user := w.seed("user1", "weak_password_1")
	ses := w.sessionOf(user, "weak_password_1")
	r := w.passwordLogin(ses, user, "weak_password_1")
	wantStatus(t, r, 401)
	wantEqual(t, "body", string(r.body), `{"errors":[{"status":401,"code":"ERR_UNAUTHORIZED","detail":"Token is invalid"}]}`)
	if r.Header.Get("WWW-Authenticate") != "" {
		t.Fatalf("store-token 401 must not carry WWW-Authenticate")
	}
	r = w.api(ses, http.MethodGet, w.p("/auth/"), nil)
	wantStatus(t, r, 200)
	wantEqual(t, "username", r.json(t)["username"], any(user))
}

// sessionOf signs in through the store flow and returns the session token.
func (w *wire) sessionOf(user, password string) string {
	w.t.Helper()
	s := w.newStore()
	wantStatus(w.t, w.passwordLogin(s, user, password), 303)
	r := w.api(s, http.MethodGet, w.p("/auth/"), nil)
	wantStatus(w.t, r, 200)
	return r.json(w.t)["token"].(string)
}

func scenarioT8(w *wire) {
	t := w.t
	_, user := w.seed("user1", "weak_password_1")
	s := w.newStore()
	wantStatus(t, w.passwordLogin(s, user, "weak_password_1"), 303)
	r := w.api(s, http.MethodGet, w.p("/auth/"), nil)
	wantStatus(t, r, 200)
	wantEqual(t, "username", r.json(t)["username"], any(user))
	ses := r.json(t)["token"].(string)
	w.notAuthenticated(w.api(s, http.MethodGet, w.p("/auth/"), nil), s)
	w.notAuthenticated(w.api("", http.MethodGet, w.p("/auth/")+"?bazis_auth="+s, nil), s)
	wantStatus(t, w.passwordLogin(s, user, "weak_password_1"), 401)
	for i := 0; i < 2; i++ {
		r := w.api(ses, http.MethodGet, w.p("/auth/"), nil)
		wantStatus(t, r, 200)
		wantEqual(t, "username", r.json(t)["username"], any(user))
	}
}

func scenarioT9(w *wire) {
	t := w.t
	id, user := w.seed("user1", "weak_password_1")
	s := w.newStore()
	wantStatus(t, w.passwordLogin(s, user, "weak_password_1"), 303)
	w.tg.SetActive(t, id, false)
	n := w.notAuthenticated(w.api(s, http.MethodGet, w.p("/auth/"), nil), s)
	w.tg.SetActive(t, id, true)
	wantStatus(t, w.passwordLogin(n, user, "weak_password_1"), 303)
	wantStatus(t, w.api(n, http.MethodGet, w.p("/auth/"), nil), 200)
}

func scenarioT10(w *wire) {
	t := w.t
	_, user := w.seed("user1", "weak_password_1")
	for round := 0; round < 3; round++ {
		s := w.newStore()
		wantStatus(t, w.passwordLogin(s, user, "weak_password_1"), 303)
		const n = 16
		var wg sync.WaitGroup
		statuses := make([]int, n)
		tokens := make([]string, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodGet, w.url(w.p("/auth/")), nil)
				req.Header.Set("Authorization", "Bearer "+s)
				res, err := w.hc.Do(req)
				if err != nil {
					return
				}
				defer res.Body.Close()
				statuses[i] = res.StatusCode
				var env struct {
					Errors []struct {
						Meta struct {
							Token string `json:"token"`
						} `json:"meta"`
					} `json:"errors"`
				}
				if json.NewDecoder(res.Body).Decode(&env) == nil && len(env.Errors) > 0 {
					tokens[i] = env.Errors[0].Meta.Token
				}
			}(i)
		}
		wg.Wait()
		ok := 0
		for i, st := range statuses {
			switch st {
			case 200:
				ok++
			case 400:
				if tokens[i] == "" || tokens[i] == s {
					t.Fatalf("a losing claim must get a new store token, got %q", tokens[i])
				}
			default:
				t.Fatalf("claim %d: status %d", i, st)
			}
		}
		wantEqual(t, "sessions from one store", ok, 1)
	}
}

func scenarioT11(w *wire) {
	t := w.t
	_, user := w.seed("user1", "weak_password_1")
	s := w.newStore()
	wantStatus(t, w.passwordLogin(s, user, "weak_password_1"), 303)
	r := w.do(http.MethodGet, w.p("/auth/"), nil, header("Cookie", "bazis_auth="+s))
	wantStatus(t, r, 200)
	sc := r.Header.Get("Set-Cookie")
	if !strings.HasPrefix(sc, `bazis_auth=""`) || !strings.Contains(sc, "Max-Age=0") {
		t.Fatalf("Set-Cookie = %q, want the deletion cookie", sc)
	}
}

func scenarioT12(w *wire) {
	t := w.t
	_, user := w.seed("user1", "weak_password_1")
	s := w.newStore()
	wantStatus(t, w.passwordLogin(s, user, "weak_password_1"), 303)
	for i := 0; i < 2; i++ {
		r := w.do(http.MethodPost, w.p("/logout/"), nil, header("Cookie", "bazis_auth="+s))
		wantStatus(t, r, 204)
		if len(r.body) != 0 {
			t.Fatalf("logout body = %q, want empty", r.body)
		}
		sc := r.Header.Get("Set-Cookie")
		if !strings.HasPrefix(sc, `bazis_auth=""`) || !strings.Contains(sc, "Max-Age=0") {
			t.Fatalf("Set-Cookie = %q, want the deletion cookie", sc)
		}
	}
	w.notAuthenticated(w.api(s, http.MethodGet, w.p("/auth/"), nil), s)
	s2 := w.newStore()
	wantStatus(t, w.api(s2, http.MethodPost, w.p("/logout/"), nil), 204)
	wantStatus(t, w.passwordLogin(s2, user, "weak_password_1"), 401)
	wantStatus(t, w.api("", http.MethodPost, w.p("/logout/"), nil), 204)
}

func scenarioT13(w *wire) {
	t := w.t
	_, user := w.seed("user1", "weak_password_1")
	secs := func(d time.Duration) string { return itoa(int64(d / time.Second)) }
	r := w.api("", http.MethodGet, w.p("/auth/"), nil)
	name, value, attrs := r.cookie(t)
	wantEqual(t, "cookie name", name, "bazis_auth")
	wantEqual(t, "Max-Age", attrs["Max-Age"], secs(w.tg.CookieLifetime))
	checkFlags := func(attrs map[string]string) {
		t.Helper()
		if _, ok := attrs["HttpOnly"]; !ok {
			t.Fatalf("HttpOnly missing")
		}
		if _, ok := attrs["Secure"]; ok == w.tg.InsecureCookie {
			t.Fatalf("Secure present = %v, want %v", ok, !w.tg.InsecureCookie)
		}
		wantEqual(t, "SameSite", strings.ToLower(attrs["SameSite"]), "lax")
		wantEqual(t, "Path", attrs["Path"], "/")
	}
	checkFlags(attrs)
	wantEqual(t, "cookie value = meta.token", value, r.errs(t)[0]["meta"].(map[string]any)["token"].(string))
	wantEqual(t, "exact cookie", r.Header.Get("Set-Cookie"), "bazis_auth="+value+"; HttpOnly; Max-Age="+
		secs(w.tg.CookieLifetime)+"; Path=/; SameSite=lax"+map[bool]string{false: "; Secure", true: ""}[w.tg.InsecureCookie])
	r = w.passwordLogin(value, user, "weak_password_1")
	wantStatus(t, r, 303)
	_, v2, attrs := r.cookie(t)
	wantEqual(t, "cookie after login", v2, value)
	wantEqual(t, "Max-Age after login", attrs["Max-Age"], secs(w.tg.ClaimLifetime))
	checkFlags(attrs)
}

func scenarioT14(w *wire) {
	t := w.t
	_, user := w.seed("user1", "weak_password_1")
	s := w.newStore()
	r := w.passwordLogin(s, user, "weak_password_1")
	wantStatus(t, r, 303)
	wantEqual(t, "Location", r.Header.Get("Location"), w.p("/auth/"))
	wantEqual(t, "Content-Length", r.Header.Get("Content-Length"), "0")
	if len(r.body) != 0 {
		t.Fatalf("303 body = %q, want empty", r.body)
	}
}

func scenarioX1(w *wire) {
	r := w.do(http.MethodPost, w.p("/password/"), []byte(`{"username":"u","password":"p"}`), header("Content-Type", "application/json"))
	wantStatus(w.t, r, 401)
	wantEqual(w.t, "body", string(r.body), `{"errors":[{"status":401,"code":"ERR_UNAUTHORIZED","detail":"Token required"}]}`)
}

func scenarioX2(w *wire) {
	s := w.newStore()
	r := w.api(s, http.MethodPost, w.p("/password/"), map[string]string{"username": "user1"})
	wantStatus(w.t, r, 422)
	wantEqual(w.t, "body", string(r.body),
		`{"errors":[{"status":422,"title":"missing","code":"ERR_VALIDATE","detail":"Field required","source":{"pointer":"/password"}}]}`)
	r = w.api(s, http.MethodPost, w.p("/password/"), map[string]any{"username": 1, "password": "x"})
	wantStatus(w.t, r, 422)
	wantEqual(w.t, "body", string(r.body),
		`{"errors":[{"status":422,"title":"string_type","code":"ERR_VALIDATE","detail":"Input should be a valid string","source":{"pointer":"/username"}}]}`)
}

func scenarioX3(w *wire) {
	want := `{"errors":[{"status":422,"title":"json_invalid","code":"ERR_VALIDATE","detail":"JSON decode error","source":{"pointer":"/1"}}]}`
	s := w.newStore()
	r := w.do(http.MethodPost, w.p("/password/"), []byte(`{bad`), header("Content-Type", "application/json"), bearer(s))
	wantStatus(w.t, r, 422)
	wantEqual(w.t, "body", string(r.body), want)
	r = w.do(http.MethodPost, w.p("/password/"), []byte(`{bad`), header("Content-Type", "application/json"))
	wantStatus(w.t, r, 422)
	wantEqual(w.t, "body without token", string(r.body), want)
}

func scenarioX4(w *wire) {
	t := w.t
	_, user := w.seed("user1", "weak_password_1")
	for _, path := range []string{w.p("/password/token/"), w.tg.TokenURL} {
		form := header("Content-Type", "application/x-www-form-urlencoded")
		r := w.do(http.MethodPost, path, []byte("username="+user+"&password=wrong"), form)
		wantStatus(t, r, 401)
		wantEqual(t, "WWW-Authenticate", r.Header.Get("WWW-Authenticate"), "Bearer")
		wantEqual(t, "body", string(r.body), `{"errors":[{"status":401,"detail":"Credentials are invalid","meta":{"headers":{"WWW-Authenticate":"Bearer"}}}]}`)
		r = w.do(http.MethodPost, path, []byte("username="+user+"&password=weak_password_1"), form)
		wantStatus(t, r, 200)
		m := r.json(t)
		wantEqual(t, "token_type", m["token_type"], any("bearer"))
		p := w.payload(m["access_token"].(string))
		wantEqual(t, "sub", p["sub"], any(user))
		wantEqual(t, "auth_type", p["auth_type"], any("password"))
		iat, err1 := p["iat"].(json.Number).Int64()
		exp, err2 := p["exp"].(json.Number).Int64()
		if err1 != nil || err2 != nil || iat >= exp {
			t.Fatalf("iat/exp must be integers with iat < exp: %v %v", p["iat"], p["exp"])
		}
		wantEqual(t, "exp-iat", exp-iat, int64(w.tg.SessionLifetime/time.Second))
		// missing fields
		r = w.do(http.MethodPost, path, []byte(""), form)
		wantStatus(t, r, 422)
		var ptrs []string
		for _, e := range r.errs(t) {
			ptrs = append(ptrs, e["source"].(map[string]any)["pointer"].(string))
		}
		wantEqual(t, "pointers", strings.Join(ptrs, ","), "/username,/password")
	}
}

func scenarioX5(w *wire) {
	_, user := w.seed("user1", "weak_password_1")
	now := time.Now().Unix()
	if w.tg.Now != nil {
		now = w.tg.Now().Unix()
	}
	expired := SignHS256(w.tg.Secret, `{"sub":"`+user+`","iat":`+itoa(now-100)+`,"exp":`+itoa(now-10)+`}`)
	r := w.api(expired, http.MethodGet, w.p("/auth/"), nil)
	w.notAuthenticated(r, expired)
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func scenarioX6(w *wire) {
	_, user := w.seed("user1", "weak_password_1")
	s := w.newStore()
	wantStatus(w.t, w.passwordLogin(s, user, "nope"), 303)
	for i := 0; i < 2; i++ {
		r := w.api(s, http.MethodGet, w.p("/auth/"), nil)
		wantStatus(w.t, r, 400)
		wantEqual(w.t, "codes", strings.Join(r.codes(w.t), ","), "UNAUTHORIZED,USERNAME_PASSWORD_ERROR")
	}
}

func scenarioX7(w *wire) {
	t := w.t
	_, user := w.seed("user1", "weak_password_1")
	s := w.newStore()
	r := w.passwordLogin(s, user, "nope")
	wantStatus(t, r, 303)
	_, _, a := r.cookie(t)
	wantEqual(t, "Max-Age after failure", a["Max-Age"], itoa(int64(w.tg.CookieLifetime/time.Second)))
	r = w.passwordLogin(s, user, "weak_password_1")
	wantStatus(t, r, 303)
	_, _, a = r.cookie(t)
	wantEqual(t, "Max-Age after success", a["Max-Age"], itoa(int64(w.tg.ClaimLifetime/time.Second)))
	wantStatus(t, w.api(s, http.MethodGet, w.p("/auth/"), nil), 200)
}

func scenarioX8(w *wire) {
	_, user := w.seed("user1", "weak_password_1")
	ses := w.sessionOf(user, "weak_password_1")
	r := w.do(http.MethodGet, w.p("/auth/")+"?bazis_auth=garbage", nil, bearer(ses))
	w.notAuthenticated(r, "garbage")
	// an empty query parameter counts as absent
	r = w.do(http.MethodGet, w.p("/auth/")+"?bazis_auth=", nil, bearer(ses))
	wantStatus(w.t, r, 200)
}

func scenarioX9(w *wire) {
	t := w.t
	if w.tg.User == nil {
		t.Skip("the target gives no way to read users back")
	}
	_, user := w.seed("user1", "weak_password_1")
	if u := w.tg.User(t, user); u.LastLogin != nil || u.FirstLogin != nil {
		t.Fatalf("a new user has last_login/dt_first_login set")
	}
	s := w.newStore()
	wantStatus(t, w.passwordLogin(s, user, "weak_password_1"), 303)
	u1 := w.tg.User(t, user)
	if u1.LastLogin == nil || u1.FirstLogin == nil {
		t.Fatalf("login did not record last_login and dt_first_login")
	}
	wantStatus(t, w.api(s, http.MethodGet, w.p("/auth/"), nil), 200)
	u2 := w.tg.User(t, user)
	if !u2.LastLogin.Equal(*u1.LastLogin) || !u2.FirstLogin.Equal(*u1.FirstLogin) {
		t.Fatalf("the /auth/ claim changed the user: %v → %v", u1.LastLogin, u2.LastLogin)
	}
	if w.tg.Advance != nil {
		w.tg.Advance(2 * time.Second)
	} else {
		time.Sleep(1100 * time.Millisecond)
	}
	s = w.newStore()
	wantStatus(t, w.passwordLogin(s, user, "weak_password_1"), 303)
	u3 := w.tg.User(t, user)
	if !u3.LastLogin.After(*u1.LastLogin) || !u3.FirstLogin.Equal(*u1.FirstLogin) {
		t.Fatalf("a second login must move last_login and keep dt_first_login: %v/%v → %v/%v",
			u1.LastLogin, u1.FirstLogin, u3.LastLogin, u3.FirstLogin)
	}
}

func scenarioX10(w *wire) {
	t := w.t
	wait := func(d time.Duration) {
		if w.tg.Advance != nil {
			w.tg.Advance(d)
			return
		}
		time.Sleep(d)
	}
	if w.tg.Advance == nil && (w.tg.CookieLifetime > 2*time.Second || w.tg.ClaimLifetime > 2*time.Second) {
		t.Skip("store expiry needs Target.Advance or lifetimes of at most 2 s")
	}
	_, user := w.seed("user1", "weak_password_1")
	s := w.newStore()
	wait(w.tg.CookieLifetime + 1100*time.Millisecond)
	r := w.passwordLogin(s, user, "weak_password_1")
	wantStatus(t, r, 401)
	wantEqual(t, "body", string(r.body), `{"errors":[{"status":401,"code":"ERR_UNAUTHORIZED","detail":"Token has been expired"}]}`)
	s = w.newStore()
	wantStatus(t, w.passwordLogin(s, user, "weak_password_1"), 303)
	wait(w.tg.ClaimLifetime + 1100*time.Millisecond)
	w.notAuthenticated(w.api(s, http.MethodGet, w.p("/auth/"), nil), s)
}

func scenarioX11(w *wire) {
	t := w.t
	r := w.do(http.MethodGet, w.p("/auth/")+"?lang=ru", nil)
	wantStatus(t, r, 400)
	e := r.errs(t)[0]
	wantEqual(t, "title", e["title"], any("Пользователь не авторизован"))
	wantEqual(t, "detail", e["detail"], any("Пользователь не авторизован"))
	name := e["meta"].(map[string]any)["actions"].([]any)[0].(map[string]any)["name"]
	wantEqual(t, "action name", name, any("Логин/пароль"))
	r = w.do(http.MethodGet, w.p("/auth/"), nil, header("Accept-Language", "ru-RU,ru;q=0.9,en;q=0.5"))
	wantEqual(t, "title by Accept-Language", r.errs(t)[0]["title"], any("Пользователь не авторизован"))
	r = w.do(http.MethodGet, w.p("/auth/")+"?lang=en", nil, header("Accept-Language", "ru"))
	wantEqual(t, "?lang wins", r.errs(t)[0]["title"], any("User is not authorized."))
}

func scenarioRouting(w *wire) {
	t := w.t
	r := w.do(http.MethodGet, w.p("/no-such-route/"), nil)
	wantStatus(t, r, 404)
	wantEqual(t, "404 body", string(r.body), `{"errors":[{"status":404,"detail":"Not Found"}]}`)
	r = w.do(http.MethodDelete, w.p("/auth/"), nil)
	wantStatus(t, r, 405)
	if !strings.Contains(r.Header.Get("Allow"), "GET") {
		t.Fatalf("Allow = %q, want GET", r.Header.Get("Allow"))
	}
	wantEqual(t, "405 code", r.errs(t)[0]["status"], any(float64(405)))
	r = w.do(http.MethodGet, w.p("/password/"), nil)
	wantStatus(t, r, 405)
	wantEqual(t, "Allow", r.Header.Get("Allow"), "POST")
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("405 Content-Type = %q", ct)
	}
}

func scenarioBadInput(w *wire) {
	t := w.t
	s := w.newStore()
	bodies := []string{``, `null`, `[]`, `"x"`, `{"username":null,"password":null}`, `{"username":"a","password":"b"} x`,
		`{"username":"` + strings.Repeat("a", 10000) + `","password":"b"}`, "\xff\xfe", `{"username":{"$gt":""},"password":"x"}`}
	for _, b := range bodies {
		for _, ct := range []string{"application/json", "text/plain", ""} {
			r := w.do(http.MethodPost, w.p("/password/"), []byte(b), header("Content-Type", ct), bearer(s))
			if r.StatusCode >= 500 {
				t.Fatalf("body %q (%s): status %d", b, ct, r.StatusCode)
			}
			if r.StatusCode != 303 && r.StatusCode != 422 && r.StatusCode != 401 {
				t.Fatalf("body %q (%s): status %d: %s", b, ct, r.StatusCode, r.body)
			}
		}
	}
	big := bytes.Repeat([]byte("a"), 2<<20)
	r := w.do(http.MethodPost, w.p("/password/"), big, header("Content-Type", "application/json"), bearer(s))
	wantStatus(t, r, 413)
	for _, tok := range []string{"a.b.c", strings.Repeat("x", 10000), "Bearer", "..", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."} {
		r := w.do(http.MethodGet, w.p("/auth/"), nil, bearer(tok))
		wantStatus(t, r, 400)
	}
}
