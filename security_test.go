package authing_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/hashers"
	"authing.dev/authing/method/password"
	"authing.dev/authing/store/memstore"
	"authing.dev/authing/throttle"
)

// secServer is an in-process authing whose password method may have a
// limiter, with users alice (active), ivan (inactive, same password) and
// an event recorder.
type secServer struct {
	svc    *authing.Service
	users  *authingtest.Users
	clock  *fakeClock
	events *eventLog
}

type eventLog struct {
	mu     sync.Mutex
	events []authing.Event
}

func (l *eventLog) add(_ context.Context, e authing.Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

func (l *eventLog) kinds() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.events {
		out = append(out, e.Kind)
	}
	return out
}

func (l *eventLog) last() authing.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.events) == 0 {
		return authing.Event{}
	}
	return l.events[len(l.events)-1]
}

const alicePassword = "alice-password-1"

// cheapHasher keeps the tests fast; the timing test uses the default one.
func cheapHasher() *hashers.Set { return hashers.NewSet(hashers.PBKDF2SHA256{Iterations: 1000}) }

func newSecServer(t testing.TB, cfg authing.Config, popts password.Options) *secServer {
	t.Helper()
	return newSecServerAt(t, newSecClock(), cfg, popts)
}

func newSecClock() *fakeClock {
	return authingtest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
}

// newSecServerAt is newSecServer on a given clock (that a limiter shares).
func newSecServerAt(t testing.TB, clock *fakeClock, cfg authing.Config, popts password.Options) *secServer {
	t.Helper()
	users := &authingtest.Users{Clock: clock.Now}
	if popts.Hasher == nil {
		popts.Hasher = cheapHasher()
	}
	hash, err := popts.Hasher.Encode(alicePassword)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	users.CreateUser(ctx, authing.NewUser{Username: "alice", Email: "alice@site.com", PasswordHash: hash, IsActive: true})
	users.CreateUser(ctx, authing.NewUser{Username: "ivan", Email: "ivan@site.com", PasswordHash: hash, IsActive: false})
	store := memstore.New(memstore.Options{Now: clock.Now})
	if tb, ok := t.(interface{ Cleanup(func()) }); ok {
		tb.Cleanup(func() { store.Close() })
	}
	if cfg.SecretKey == "" {
		cfg.SecretKey = testSecret
	}
	cfg.Now = clock.Now
	ev := &eventLog{}
	cfg.Events = ev.add
	svc, err := authing.New(cfg, store, users, password.New(users, popts))
	if err != nil {
		t.Fatal(err)
	}
	return &secServer{svc: svc, users: users, clock: clock, events: ev}
}

// do sends one request through the handler.
func (s *secServer) do(method, target string, body string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body == "" {
		req.Body = http.NoBody
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "RemoteAddr" {
			req.RemoteAddr = hdr[i+1]
			continue
		}
		req.Header.Add(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	s.svc.ServeHTTP(rec, req)
	return rec
}

func (s *secServer) newStore(t testing.TB) string {
	t.Helper()
	rec := s.do("GET", "/api/v1/authing/auth/", "")
	return storeOf(t, rec.Body.Bytes())
}

func (s *secServer) login(store, user, pw string, hdr ...string) *httptest.ResponseRecorder {
	body, _ := json.Marshal(map[string]string{"username": user, "password": pw})
	return s.do("POST", "/api/v1/authing/password/", string(body),
		append([]string{"Content-Type", "application/json", "Authorization", "Bearer " + store}, hdr...)...)
}

func (s *secServer) tokenForm(path, user, pw string, hdr ...string) *httptest.ResponseRecorder {
	form := url.Values{"username": {user}, "password": {pw}}.Encode()
	return s.do("POST", path, form, append([]string{"Content-Type", "application/x-www-form-urlencoded"}, hdr...)...)
}

func (s *secServer) session(t testing.TB) string {
	t.Helper()
	rec := s.tokenForm("/api/openapi-token/", "alice", alicePassword)
	if rec.Code != 200 {
		t.Fatalf("sign-in: %d %s", rec.Code, rec.Body)
	}
	var a struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(rec.Body.Bytes(), &a)
	return a.AccessToken
}

// answer is a response reduced to what a client can observe, with the
// store token replaced by a placeholder (each attempt has its own store).
type answer struct {
	Status int
	Header http.Header
	Body   string
}

func observe(rec *httptest.ResponseRecorder, store string) answer {
	h := rec.Header().Clone()
	for k, vs := range h {
		for i, v := range vs {
			if store != "" {
				vs[i] = strings.ReplaceAll(v, store, "<store>")
			}
		}
		h[k] = vs
	}
	body := rec.Body.String()
	if store != "" {
		body = strings.ReplaceAll(body, store, "<store>")
	}
	return answer{rec.Code, h, body}
}

func sameAnswers(t *testing.T, what string, got map[string]answer) {
	t.Helper()
	var first string
	for name := range got {
		if first == "" || name < first {
			first = name
		}
	}
	want := got[first]
	for name, a := range got {
		if a.Status != want.Status || !headersEqual(a.Header, want.Header) || a.Body != want.Body {
			t.Errorf("%s: %q and %q can be told apart:\n%d %v %s\n%d %v %s", what, first, name,
				want.Status, want.Header, want.Body, a.Status, a.Header, a.Body)
		}
	}
}

func headersEqual(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// enumerationCases are the failures that must be indistinguishable.
var enumerationCases = map[string][2]string{
	"wrong password":                  {"alice", "wrong-password"},
	"unknown username":                {"nobody", alicePassword},
	"inactive user, right password":   {"ivan", alicePassword},
	"inactive user, wrong password":   {"ivan", "wrong-password"},
	"username differing only in case": {"Alice", alicePassword},
}

// A wrong password, an unknown username and an inactive user get the same
// answers, byte for byte, on every endpoint: POST /password/ and the GET
// /auth/ that follows it, and both token endpoints.
func TestNoEnumeration_Answers(t *testing.T) {
	for _, limited := range []bool{false, true} {
		t.Run(fmt.Sprintf("limiter=%v", limited), func(t *testing.T) {
			var popts password.Options
			if limited {
				popts.Limiter = throttle.New(throttle.Options{})
			}
			s := newSecServer(t, authing.Config{}, popts)
			login, follow := map[string]answer{}, map[string]answer{}
			tokens := map[string]map[string]answer{"/api/v1/authing/password/token/": {}, "/api/openapi-token/": {}}
			for name, c := range enumerationCases {
				st := s.newStore(t)
				login[name] = observe(s.login(st, c[0], c[1]), st)
				follow[name] = observe(s.do("GET", "/api/v1/authing/auth/", "", "Authorization", "Bearer "+st), st)
				for path := range tokens {
					tokens[path][name] = observe(s.tokenForm(path, c[0], c[1]), "")
				}
			}
			sameAnswers(t, "POST /password/", login)
			sameAnswers(t, "GET /auth/ after it", follow)
			for path, got := range tokens {
				sameAnswers(t, "POST "+path, got)
			}
			if a := login["wrong password"]; a.Status != 303 {
				t.Fatalf("login answer: %+v", a)
			}
			if a := follow["wrong password"]; a.Status != 400 || !strings.Contains(a.Body, "USERNAME_PASSWORD_ERROR") {
				t.Fatalf("follow answer: %+v", a)
			}
		})
	}
}

// Throttled answers do not tell usernames apart either: the counters do
// not know whether an account exists.
func TestNoEnumeration_Throttled(t *testing.T) {
	off := throttle.Rule{Off: true}
	lim := throttle.New(throttle.Options{Limits: throttle.Limits{
		User: throttle.Rule{Free: 1, Forgive: time.Hour, MaxDelay: time.Hour}, UserIP: off, IP: off, Net: off, Global: off}})
	s := newSecServer(t, authing.Config{}, password.Options{Limiter: lim})
	tokens, follow := map[string]answer{}, map[string]answer{}
	for name, c := range enumerationCases {
		for range 2 {
			s.tokenForm("/api/openapi-token/", c[0], c[1])
		}
		tokens[name] = observe(s.tokenForm("/api/openapi-token/", c[0], c[1]), "")
		st := s.newStore(t)
		s.login(st, c[0], c[1])
		follow[name] = observe(s.do("GET", "/api/v1/authing/auth/", "", "Authorization", "Bearer "+st), st)
	}
	sameAnswers(t, "throttled token answer", tokens)
	sameAnswers(t, "throttled store answer", follow)
	a := tokens["wrong password"]
	want := `{"errors":[{"status":429,"code":"TOO_MANY_ATTEMPTS","detail":"Too many attempts, try again later","meta":{"headers":{"Retry-After":"1"}}}]}`
	if a.Status != 429 || a.Body != want || a.Header.Get("Retry-After") != "1" {
		t.Fatalf("throttled answer: %+v", a)
	}
	if b := follow["wrong password"].Body; !strings.Contains(b, `{"status":422,"title":"Authentication error","code":"TOO_MANY_ATTEMPTS","detail":"Too many attempts, try again later"}`) {
		t.Fatalf("the store does not report TOO_MANY_ATTEMPTS: %s", b)
	}
}

// Security headers on every answer: nosniff everywhere, no-store on
// everything that may carry a token (all API answers).
func TestSecurityHeaders(t *testing.T) {
	s := newSecServer(t, authing.Config{}, password.Options{Limiter: throttle.New(throttle.Options{})})
	st := s.newStore(t)
	ses := s.session(t)
	cases := []struct {
		name   string
		rec    *httptest.ResponseRecorder
		status int
	}{
		{"auth anonymous", s.do("GET", "/api/v1/authing/auth/", ""), 400},
		{"auth session", s.do("GET", "/api/v1/authing/auth/", "", "Authorization", "Bearer "+ses), 200},
		{"password 303", s.login(st, "alice", "wrong"), 303},
		{"password 401", s.login("", "alice", "wrong"), 401},
		{"password 422", s.do("POST", "/api/v1/authing/password/", "{bad", "Content-Type", "application/json"), 422},
		{"password 413", s.do("POST", "/api/v1/authing/password/", strings.Repeat(" ", 70<<10), "Content-Type", "application/json"), 413},
		{"token 200", s.tokenForm("/api/openapi-token/", "alice", alicePassword), 200},
		{"token 401", s.tokenForm("/api/openapi-token/", "alice", "wrong"), 401},
		{"token 422", s.do("POST", "/api/openapi-token/", "", "Content-Type", "application/x-www-form-urlencoded"), 422},
		{"logout 204", s.do("POST", "/api/v1/authing/logout/", "", "Authorization", "Bearer "+st), 204},
		{"404", s.do("GET", "/api/v1/authing/nope/", ""), 404},
		{"405", s.do("DELETE", "/api/v1/authing/auth/", ""), 405},
		{"307 to the slashed path, token in the query", s.do("GET", "/api/v1/authing/auth?bazis_auth="+st, ""), 307},
	}
	for _, c := range cases {
		if c.rec.Code != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, c.rec.Code, c.status, c.rec.Body)
		}
		if got := c.rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", c.name, got)
		}
		if got := c.rec.Header().Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q", c.name, got)
		}
	}
}

// CORS: credentials only for the listed origins, matched exactly.
func TestCORS_OnlyListedOrigins(t *testing.T) {
	s := newSecServer(t, authing.Config{TrustedOrigins: []string{"https://app.site.com", "https://admin.site.com/"}}, password.Options{})
	for _, o := range []string{"https://app.site.com", "https://admin.site.com"} {
		rec := s.do("GET", "/api/v1/authing/auth/", "", "Origin", o)
		if rec.Header().Get("Access-Control-Allow-Origin") != o || rec.Header().Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("%s: %v", o, rec.Header())
		}
	}
	for _, o := range []string{"null", "https://app.site.com.evil.example", "http://app.site.com", "https://app.site.com:8443",
		"https://evil.example", "https://APP.site.com", "https://sub.app.site.com", "*"} {
		for _, method := range []string{"GET", "OPTIONS"} {
			rec := s.do(method, "/api/v1/authing/auth/", "", "Origin", o, "Access-Control-Request-Method", "POST")
			for k := range rec.Header() {
				if strings.HasPrefix(k, "Access-Control-") {
					t.Errorf("%s %s: %s: %v", method, o, k, rec.Header()[k])
				}
			}
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	trusted, err := authing.ParsePrefixes([]string{"10.0.0.0/8", "2001:db8:ffff::/48", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	h := authing.TrustedProxies(trusted)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = authing.ClientIP(r)
	}))
	cases := []struct {
		remote string
		xff    []string
		want   string
	}{
		{"198.51.100.1:4000", nil, "198.51.100.1"},
		{"198.51.100.1:4000", []string{"203.0.113.9"}, "198.51.100.1"}, // untrusted peer: header ignored
		{"10.1.2.3:4000", nil, "10.1.2.3"},
		{"10.1.2.3:4000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"10.1.2.3:4000", []string{"1.1.1.1, 203.0.113.9"}, "203.0.113.9"},           // spoofed left entry ignored
		{"10.1.2.3:4000", []string{"1.1.1.1, 203.0.113.9, 10.9.9.9"}, "203.0.113.9"}, // through two proxies
		{"10.1.2.3:4000", []string{"1.1.1.1", "203.0.113.9, 10.9.9.9"}, "203.0.113.9"},
		{"10.1.2.3:4000", []string{"10.5.5.5, 10.9.9.9"}, "10.5.5.5"},            // all trusted: the leftmost
		{"10.1.2.3:4000", []string{"1.1.1.1, garbage, 10.9.9.9"}, "10.9.9.9"},    // stop at a bad entry
		{"10.1.2.3:4000", []string{"203.0.113.9:5555"}, "203.0.113.9"},           // with a port
		{"10.1.2.3:4000", []string{"[2001:db8::1]:5555"}, "2001:db8::1"},         // IPv6 with a port
		{"10.1.2.3:4000", []string{"::ffff:203.0.113.9"}, "203.0.113.9"},         // mapped
		{"10.1.2.3:4000", []string{""}, "10.1.2.3"},                              // empty
		{"192.0.2.7:1", []string{"203.0.113.9"}, "203.0.113.9"},                  // a single trusted address
		{"192.0.2.8:1", []string{"203.0.113.9"}, "192.0.2.8"},                    // its neighbour is not
		{"[2001:db8:ffff:1::2]:443", []string{"2001:db8:1::9"}, "2001:db8:1::9"}, // IPv6 proxy
		{"[::ffff:10.0.0.1]:443", []string{"203.0.113.9"}, "203.0.113.9"},        // mapped proxy address
		{"pipe", []string{"203.0.113.9"}, "pipe"},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = c.remote
		for _, v := range c.xff {
			req.Header.Add("X-Forwarded-For", v)
		}
		got = ""
		h.ServeHTTP(httptest.NewRecorder(), req)
		if got != c.want {
			t.Errorf("remote %s, X-Forwarded-For %q: client %q, want %q", c.remote, c.xff, got, c.want)
		}
	}
	// no trusted proxies: the middleware is the identity
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.1.2.3:4"
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	authing.TrustedProxies(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = authing.ClientIP(r) })).ServeHTTP(httptest.NewRecorder(), req)
	if got != "10.1.2.3" {
		t.Fatalf("without trusted proxies: %q", got)
	}
}

func TestParsePrefixes(t *testing.T) {
	got, err := authing.ParsePrefixes([]string{"10.0.0.0/8", " 192.0.2.7 ", "2001:db8::/32", "::1", "10.1.2.3/8", "::ffff:10.0.0.0/104"})
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("10.0.0.0/8")}
	if !slices.Equal(got, want) {
		t.Fatalf("%v", got)
	}
	for _, bad := range []string{"", "10.0.0.0/33", "example.com", "fe80::1%eth0", "::ffff:0:0/64"} {
		if _, err := authing.ParsePrefixes([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Deeply nested JSON is refused with 422 before it is decoded; nesting in
// strings does not count.
func TestReadJSONBody_Depth(t *testing.T) {
	s := newSecServer(t, authing.Config{}, password.Options{})
	st := s.newStore(t)
	post := func(body string) *httptest.ResponseRecorder {
		return s.do("POST", "/api/v1/authing/password/", body, "Content-Type", "application/json", "Authorization", "Bearer "+st)
	}
	nest := func(n int) string { return `{"username":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}` }
	if rec := post(nest(authing.MaxJSONDepth)); rec.Code != 422 || !strings.Contains(rec.Body.String(), "string_type") {
		t.Fatalf("depth %d: %d %s", authing.MaxJSONDepth, rec.Code, rec.Body)
	}
	rec := post(nest(authing.MaxJSONDepth + 1))
	want := `{"errors":[{"status":422,"title":"json_invalid","code":"ERR_VALIDATE","detail":"JSON nested too deeply","source":{"pointer":"/` +
		fmt.Sprint(12+authing.MaxJSONDepth-1) + `"}}]}`
	if rec.Code != 422 || rec.Body.String() != want {
		t.Fatalf("depth %d: %d %s\nwant %s", authing.MaxJSONDepth+1, rec.Code, rec.Body, want)
	}
	// 10,000 levels: refused at once, no 5xx
	if rec := post(strings.Repeat("[", 10000)); rec.Code != 422 {
		t.Fatalf("deep array: %d", rec.Code)
	}
	deepString := `{"username":"` + strings.Repeat(`[{\"`, 100) + `","password":"x"}`
	if rec := post(deepString); rec.Code != 303 {
		t.Fatalf("brackets in a string: %d %s", rec.Code, rec.Body)
	}
}

// Strict content types: a JSON login needs a JSON content type, the token
// form a form content type.
func TestStrictContentTypes(t *testing.T) {
	s := newSecServer(t, authing.Config{}, password.Options{})
	st := s.newStore(t)
	body := `{"username":"alice","password":"` + alicePassword + `"}`
	for ct, want := range map[string]int{
		"application/json":                   303,
		"application/vnd.api+json":           303,
		"application/json; charset=utf-8":    303,
		"text/plain":                         422,
		"application/x-www-form-urlencoded":  422,
		"":                                   422,
		"application/json-patch+jsonx":       422,
		"application/javascript":             422,
		"multipart/form-data; boundary=----": 422,
	} {
		rec := s.do("POST", "/api/v1/authing/password/", body, "Content-Type", ct, "Authorization", "Bearer "+st)
		if rec.Code != want {
			t.Errorf("%q: %d, want %d: %s", ct, rec.Code, want, rec.Body)
		}
	}
	form := "username=alice&password=" + alicePassword
	for ct, want := range map[string]int{
		"application/x-www-form-urlencoded": 200,
		"application/json":                  422,
		"text/plain":                        422,
		"":                                  422,
	} {
		if rec := s.do("POST", "/api/openapi-token/", form, "Content-Type", ct); rec.Code != want {
			t.Errorf("token form %q: %d, want %d: %s", ct, rec.Code, want, rec.Body)
		}
	}
}

// badRequests are malformed inputs of every kind; none may give a 5xx.
func badRequests(st, ses string) [][]string {
	big := strings.Repeat("a", 70<<10)
	return [][]string{
		{"POST", "/api/v1/authing/password/", "{bad", "Content-Type", "application/json"},
		{"POST", "/api/v1/authing/password/", big, "Content-Type", "application/json", "Authorization", "Bearer " + st},
		{"POST", "/api/v1/authing/password/", "\xff\xfe{}", "Content-Type", "application/json", "Authorization", "Bearer " + st},
		{"POST", "/api/v1/authing/password/", `{"username":"\ud800","password":"\u0000"}`, "Content-Type", "application/json", "Authorization", "Bearer " + st},
		{"POST", "/api/v1/authing/password/", `{"username":"a","password":"b"}{}`, "Content-Type", "application/json", "Authorization", "Bearer " + st},
		{"POST", "/api/v1/authing/password/", `{"username":"a","password":"b"}`, "Content-Type", "application/json; charset", "Authorization", "Bearer " + st},
		{"POST", "/api/v1/authing/password/", `{"username":"a","password":"b"}`, "Content-Type", "application/json", "Authorization", "Bearer " + ses},
		{"POST", "/api/v1/authing/password/", `{"username":"a","password":"b"}`, "Content-Type", "application/json", "Authorization", "Bearer " + strings.Repeat("x.", 5000)},
		{"POST", "/api/v1/authing/password/?bazis_auth=%zz", `{}`, "Content-Type", "application/json"},
		{"POST", "/api/v1/authing/password/token/", big, "Content-Type", "application/x-www-form-urlencoded"},
		{"POST", "/api/v1/authing/password/token/", "username=%zz&password=%", "Content-Type", "application/x-www-form-urlencoded"},
		{"POST", "/api/v1/authing/password/token/", "--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n--x--", "Content-Type", "multipart/form-data; boundary=x"},
		{"POST", "/api/v1/authing/password/token/", "garbage", "Content-Type", "multipart/form-data; boundary=x"},
		{"POST", "/api/v1/authing/password/token/", "garbage", "Content-Type", "multipart/form-data"},
		{"POST", "/api/v1/authing/password/token/", "username=a&password=b&grant_type=client_credentials", "Content-Type", "application/x-www-form-urlencoded"},
		{"POST", "/api/openapi-token/", strings.Repeat("username=a&", 3000), "Content-Type", "application/x-www-form-urlencoded"},
		{"GET", "/api/v1/authing/auth/", "", "Cookie", "bazis_auth=\"" + st + "\"; bazis_auth=x"},
		{"GET", "/api/v1/authing/auth/", "", "Cookie", strings.Repeat("a=b; ", 2000)},
		{"GET", "/api/v1/authing/auth/", "", "Authorization", "Bearer"},
		{"GET", "/api/v1/authing/auth/", "", "Authorization", "Bearer  " + ses},
		{"GET", "/api/v1/authing/auth/?bazis_auth=" + ses + "&bazis_auth=", ""},
		{"GET", "/api/v1/authing/auth/?lang=%00&bazis_auth=%ff", "", "Accept-Language", strings.Repeat("ru;q=0.5,", 500)},
		{"POST", "/api/v1/authing/logout/", big, "Cookie", "bazis_auth=" + ses},
		{"POST", "/api/v1/authing/logout/?bazis_auth=" + st, "", "Authorization", "Basic dXNlcjpwYXNz"},
		{"GET", "/api/v1/authing/../../etc/passwd", ""},
		{"PUT", "/api/v1/authing/password/", "{}"},
		{"OPTIONS", "/api/v1/authing/password/", "", "Origin", "https://evil.example"},
	}
}

// No malformed input gives a 5xx, with or without a limiter.
func TestBadInputs_No5xx(t *testing.T) {
	for _, revoke := range []bool{false, true} {
		s := newSecServer(t, authing.Config{RevokeOnLogout: revoke}, password.Options{Limiter: throttle.New(throttle.Options{})})
		st := s.newStore(t)
		ses := s.session(t)
		for i, r := range badRequests(st, ses) {
			rec := s.do(r[0], r[1], r[2], r[3:]...)
			if rec.Code >= 500 {
				t.Errorf("request %d (%s %s): %d %s", i, r[0], r[1], rec.Code, rec.Body)
			}
			if rec.Code >= 400 && !json.Valid(rec.Body.Bytes()) {
				t.Errorf("request %d: not JSON: %q", i, rec.Body)
			}
		}
	}
}

// A throttled attempt reaches neither the user database nor the hasher;
// a 429 carries Retry-After in the header and in the envelope.
func TestThrottle_TokenEndpoint(t *testing.T) {
	clock := newSecClock()
	lim := throttle.New(throttle.Options{Limits: throttle.Limits{Now: clock.Now,
		UserIP: throttle.Rule{Free: 2, Forgive: time.Hour, MaxDelay: time.Hour}}})
	s := newSecServerAt(t, clock, authing.Config{}, password.Options{Limiter: lim})
	for range 3 {
		if rec := s.tokenForm("/api/openapi-token/", "alice", "wrong"); rec.Code != 401 {
			t.Fatalf("%d", rec.Code)
		}
	}
	rec := s.tokenForm("/api/openapi-token/", "alice", alicePassword)
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	if e := s.events.last(); e.Kind != authing.EventThrottled || e.Username != "alice" || e.Method != "password" || e.ClientIP != "192.0.2.1" {
		t.Fatalf("event %+v", e)
	}
	s.clock.Advance(time.Second)
	if rec := s.tokenForm("/api/openapi-token/", "alice", alicePassword); rec.Code != 200 {
		t.Fatalf("after the wait: %d %s", rec.Code, rec.Body)
	}
	// another address was never held back
	if rec := s.tokenForm("/api/openapi-token/", "alice", alicePassword, "RemoteAddr", "198.51.100.2:1"); rec.Code != 200 {
		t.Fatalf("another address: %d", rec.Code)
	}
}

// Behind a trusted proxy the limiter sees the client's address.
func TestThrottle_BehindTrustedProxy(t *testing.T) {
	lim := throttle.New(throttle.Options{Limits: throttle.Limits{UserIP: throttle.Rule{Free: 0, Forgive: time.Hour, MaxDelay: time.Hour}}})
	s := newSecServer(t, authing.Config{}, password.Options{Limiter: lim})
	proxies, _ := authing.ParsePrefixes([]string{"10.0.0.0/8"})
	h := authing.TrustedProxies(proxies)(s.svc)
	send := func(xff string) int {
		req := httptest.NewRequest("POST", "/api/openapi-token/", strings.NewReader("username=alice&password=wrong"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", xff)
		req.RemoteAddr = "10.0.0.1:1234"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if a, b := send("203.0.113.1"), send("203.0.113.1"); a != 401 || b != 429 {
		t.Fatalf("one client: %d then %d", a, b)
	}
	if c := send("203.0.113.2"); c != 401 {
		t.Fatalf("another client behind the same proxy was throttled: %d", c)
	}
	if d := send("203.0.113.2, 203.0.113.1"); d != 429 {
		t.Fatalf("a spoofed X-Forwarded-For escaped the limit: %d", d)
	}
}

// Under RevokeOnLogout, a logout revokes the sessions it is given (in any
// carrier), and only those.
func TestRevocation_Logout(t *testing.T) {
	s := newSecServer(t, authing.Config{RevokeOnLogout: true}, password.Options{})
	ses := s.session(t)
	s.clock.Advance(time.Second)
	other := s.session(t) // a second device
	refresh := func(tok string, hdr ...string) int {
		return s.do("GET", "/api/v1/authing/auth/", "", append([]string{"Authorization", "Bearer " + tok}, hdr...)...).Code
	}
	if refresh(ses) != 200 || refresh(other) != 200 {
		t.Fatal("sessions do not refresh")
	}
	if rec := s.do("POST", "/api/v1/authing/logout/", "", "Authorization", "Bearer "+ses); rec.Code != 204 {
		t.Fatalf("logout: %d", rec.Code)
	}
	if e := s.events.kinds(); !slices.Contains(e, authing.EventRevokeSession) {
		t.Fatalf("events %v", e)
	}
	if refresh(ses) != 400 {
		t.Fatal("the logged-out session still refreshes")
	}
	if refresh(other) != 200 {
		t.Fatal("the other session was revoked too")
	}
	if _, err := s.svc.VerifySession(context.Background(), ses); !errors.Is(err, authing.ErrSessionRevoked) {
		t.Fatalf("VerifySession: %v", err)
	}
	// the cookie and the query carry sessions too
	for _, carrier := range []func(string) []string{
		func(tok string) []string { return []string{"Cookie", "bazis_auth=" + tok} },
	} {
		s.clock.Advance(time.Second)
		tok := s.session(t)
		s.do("POST", "/api/v1/authing/logout/", "", carrier(tok)...)
		if refresh(tok) != 400 {
			t.Fatal("a session in the cookie was not revoked")
		}
	}
	s.clock.Advance(time.Second)
	tok := s.session(t)
	s.do("POST", "/api/v1/authing/logout/?bazis_auth="+tok, "")
	if refresh(tok) != 400 {
		t.Fatal("a session in the query was not revoked")
	}
}

// With the setting off, logout ignores session tokens, as Bazis does.
func TestRevocation_OffIsBazis(t *testing.T) {
	s := newSecServer(t, authing.Config{}, password.Options{})
	ses := s.session(t)
	s.do("POST", "/api/v1/authing/logout/", "", "Authorization", "Bearer "+ses)
	if rec := s.do("GET", "/api/v1/authing/auth/", "", "Authorization", "Bearer "+ses); rec.Code != 200 {
		t.Fatalf("%d", rec.Code)
	}
	if err := s.svc.RevokeUser(context.Background(), "alice"); !errors.Is(err, authing.ErrNoRevocations) {
		t.Fatalf("RevokeUser without Revocations: %v", err)
	}
}

// Sign out everywhere: every session issued up to now is refused, tokens
// without iat (bazis-users < 2.3) included; a new sign-in works.
func TestRevocation_User(t *testing.T) {
	clock := newSecClock()
	s := newSecServerAt(t, clock, authing.Config{Revocations: authing.NewMemoryRevocations(clock.Now, 0)}, password.Options{})
	old := s.session(t)
	exp := s.clock.Now().Add(time.Hour).Unix()
	noIat := authingtest.SignHS256(testSecret, fmt.Sprintf(`{"sub":"alice","exp":%d}`, exp))
	bob := authingtest.SignHS256(testSecret, fmt.Sprintf(`{"sub":"bob","exp":%d}`, exp))
	refresh := func(tok string) int {
		return s.do("GET", "/api/v1/authing/auth/", "", "Authorization", "Bearer "+tok).Code
	}
	if refresh(old) != 200 || refresh(noIat) != 200 {
		t.Fatal("sessions do not refresh before the revocation")
	}
	s.clock.Advance(1500 * time.Millisecond)
	if err := s.svc.RevokeUser(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	if e := s.events.last(); e.Kind != authing.EventRevokeUser || e.Username != "alice" {
		t.Fatalf("event %+v", e)
	}
	sameSecond := s.session(t)
	for name, tok := range map[string]string{"old": old, "no iat": noIat, "same second": sameSecond} {
		if refresh(tok) != 400 {
			t.Errorf("%s session still refreshes", name)
		}
		if _, err := s.svc.VerifySession(context.Background(), tok); !errors.Is(err, authing.ErrSessionRevoked) {
			t.Errorf("%s: VerifySession %v", name, err)
		}
	}
	if _, err := s.svc.VerifySession(context.Background(), bob); err != nil {
		t.Fatalf("another user's session: %v", err)
	}
	s.clock.Advance(time.Second)
	fresh := s.session(t)
	if refresh(fresh) != 200 {
		t.Fatal("a sign-in after the revocation does not refresh")
	}
	// the refreshed token is new and valid
	var a struct{ Token string }
	json.Unmarshal(s.do("GET", "/api/v1/authing/auth/", "", "Authorization", "Bearer "+fresh).Body.Bytes(), &a)
	if refresh(a.Token) != 200 {
		t.Fatal("the refreshed token is refused")
	}
}

// A revocation backend that fails makes refreshes answer 503, never a
// revoked session accepted.
func TestRevocation_BackendDown(t *testing.T) {
	s := newSecServer(t, authing.Config{Revocations: failingRevocations{}}, password.Options{})
	ses := s.session(t)
	rec := s.do("GET", "/api/v1/authing/auth/", "", "Authorization", "Bearer "+ses)
	if rec.Code != 503 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

type failingRevocations struct{}

func (failingRevocations) Check(context.Context, string, string) (time.Time, bool, error) {
	return time.Time{}, false, fmt.Errorf("revocations: %w", authing.ErrUnavailable)
}
func (failingRevocations) RevokeSession(context.Context, string, string, time.Time) error {
	return authing.ErrUnavailable
}
func (failingRevocations) RevokeUser(context.Context, string, time.Time) error {
	return authing.ErrUnavailable
}

// Key rotation: SECRET_KEY_FALLBACKS verify, the first key signs.
func TestKeyRotation_EndToEnd(t *testing.T) {
	const oldKey = "the-old-secret-key-of-32-characters-or-more"
	before := newSecServer(t, authing.Config{SecretKey: oldKey}, password.Options{})
	oldSession := before.session(t)
	oldStore := before.newStore(t)

	after := newSecServer(t, authing.Config{SecretKey: testSecret, SecretKeyFallbacks: []string{oldKey}}, password.Options{})
	rec := after.do("GET", "/api/v1/authing/auth/", "", "Authorization", "Bearer "+oldSession)
	if rec.Code != 200 {
		t.Fatalf("the old key's session is refused after the rotation: %d %s", rec.Code, rec.Body)
	}
	var a struct{ Token string }
	json.Unmarshal(rec.Body.Bytes(), &a)
	newOnly, _ := authing.NewKeys(authing.HS256, testSecret)
	oldOnly, _ := authing.NewKeys(authing.HS256, oldKey)
	now := after.clock.Now()
	if _, err := newOnly.ParseSessionToken(a.Token, now); err != nil {
		t.Fatalf("the refreshed token is not signed by the new key: %v", err)
	}
	if _, err := oldOnly.ParseSessionToken(a.Token, now); err == nil {
		t.Fatal("the refreshed token is signed by the old key")
	}
	// a store token of the old key is a valid store token (its store lived
	// in the old instance's memory: expired, not invalid)
	rec = after.login(oldStore, "alice", alicePassword)
	if rec.Code != 401 || !strings.Contains(rec.Body.String(), authing.DetailTokenExpired) {
		t.Fatalf("old store token: %d %s", rec.Code, rec.Body)
	}
	// without the fallback the old token is anonymous
	plain := newSecServer(t, authing.Config{SecretKey: testSecret}, password.Options{})
	if rec := plain.do("GET", "/api/v1/authing/auth/", "", "Authorization", "Bearer "+oldSession); rec.Code != 400 {
		t.Fatalf("without the fallback: %d", rec.Code)
	}
}

// The events of whole flows carry the user, method and address, and never
// a password or a token.
func TestEvents_NoSecrets(t *testing.T) {
	lim := throttle.New(throttle.Options{Limits: throttle.Limits{UserIP: throttle.Rule{Free: 1, Forgive: time.Hour, MaxDelay: time.Hour}}})
	s := newSecServer(t, authing.Config{RevokeOnLogout: true}, password.Options{Limiter: lim})
	var secrets []string
	st := s.newStore(t)
	secrets = append(secrets, st, alicePassword, "wrong-pass-1", testSecret)
	s.login(st, "alice", "wrong-pass-1")
	s.login(st, "alice", alicePassword)
	rec := s.do("GET", "/api/v1/authing/auth/", "", "Authorization", "Bearer "+st)
	var a struct{ Token string }
	json.Unmarshal(rec.Body.Bytes(), &a)
	secrets = append(secrets, a.Token)
	rec = s.do("GET", "/api/v1/authing/auth/", "", "Authorization", "Bearer "+a.Token)
	json.Unmarshal(rec.Body.Bytes(), &a)
	secrets = append(secrets, a.Token)
	s.do("POST", "/api/v1/authing/logout/", "", "Authorization", "Bearer "+a.Token)
	for range 3 {
		s.tokenForm("/api/openapi-token/", "mallory", "guess-pass-2")
	}
	secrets = append(secrets, "guess-pass-2")
	wantKinds := []string{authing.EventLoginFailure, authing.EventThrottled, authing.EventClaim, authing.EventSession,
		authing.EventRevokeSession, authing.EventLogout}
	kinds := s.events.kinds()
	for _, k := range wantKinds {
		if !slices.Contains(kinds, k) {
			t.Errorf("no %s event in %v", k, kinds)
		}
	}
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	for _, e := range s.events.events {
		b, _ := json.Marshal(e)
		for _, sec := range secrets {
			if bytes.Contains(b, []byte(sec)) {
				t.Errorf("event %s contains a secret", b)
			}
		}
		if e.ClientIP == "" {
			t.Errorf("event without client address: %+v", e)
		}
	}
}

// Only the configured algorithm verifies: every other header, however close,
// is refused before the signature is even checked; and tokens over the size
// bound are refused whatever they hold.
func TestKeys_AlgorithmConfusion(t *testing.T) {
	k, _ := authing.NewKeys(authing.HS256, testSecret)
	now := time.Unix(1767225600, 0)
	b64 := func(s string) string { return strings.TrimRight(base64URL(s), "=") }
	payload := b64(`{"sub":"alice","exp":1767300000}`)
	valid := k.SessionToken("alice", now, time.Hour, "")
	sig := valid[strings.LastIndexByte(valid, '.')+1:]
	for _, hdr := range []string{
		`{"alg":"none","typ":"JWT"}`, `{"alg":"None"}`, `{"alg":"NONE"}`, `{"alg":""}`, `{"typ":"JWT"}`,
		`{"alg":"hs256"}`, `{"alg":"HS256 "}`, `{"alg":["HS256"]}`, `{"alg":null}`, `{"alg":256}`,
		`{"alg":"HS384"}`, `{"alg":"HS512"}`, `{"alg":"RS256"}`, `{"alg":"ES256"}`, `{"alg":"PS256"}`, `{"alg":"EdDSA"}`,
		`{"alg":"HS256","crit":["b64"],"b64":false}`, `not json`, ``,
	} {
		for _, s := range []string{sig, "", "AAAA"} {
			tok := b64(hdr) + "." + payload + "." + s
			if _, err := k.ParseSessionToken(tok, now); err == nil {
				t.Errorf("header %s with signature %q accepted", hdr, s)
			}
			if _, err := k.ParseStoreToken(tok); err == nil {
				t.Errorf("header %s accepted as a store token", hdr)
			}
		}
	}
	// the size bound: a valid token padded to the limit by a long username
	long := k.SessionToken(strings.Repeat("u", authing.MaxTokenLength), now, time.Hour, "")
	if _, err := k.ParseSessionToken(long, now); !errors.Is(err, authing.ErrTokenInvalid) {
		t.Fatalf("a token of %d bytes: %v", len(long), err)
	}
	fits := k.SessionToken(strings.Repeat("u", 2000), now, time.Hour, "")
	if _, err := k.ParseSessionToken(fits, now); err != nil || len(fits) > authing.MaxTokenLength {
		t.Fatalf("a token of %d bytes under the bound: %v", len(fits), err)
	}
}

func base64URL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
