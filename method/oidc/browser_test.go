package oidc_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/method/oidc"
	"authing.dev/authing/method/oidc/oidctest"
)

// The whole browser flow against the in-process provider: init → provider
// → callback with the init's binding cookie → polling /auth/ → 200, once.
func TestGoogle_BrowserFlow(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.op.SetAccount(account("1001", "G@Site.com", true, "given_name", "Grace", "family_name", "Hopper", "name", "Grace Hopper"))
	store := e.newStore()

	f := e.start(store)

	// init: 302 to the provider, Bazis' parameters plus PKCE; no store token.
	q := f.authorize.Query()
	for k, want := range map[string]string{
		"response_type":         "code",
		"client_id":             clientID,
		"redirect_uri":          e.srv.URL + prefix + "/google-auth-callback/",
		"scope":                 "openid email profile",
		"code_challenge_method": "S256",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("authorize %s = %q, want %q", k, got, want)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(q.Get("state")) {
		t.Errorf("state = %q, want 64 hex digits", q.Get("state"))
	}
	if len(q.Get("nonce")) < 43 || len(q.Get("code_challenge")) != 43 {
		t.Errorf("nonce %q, code_challenge %q: want 32 random bytes and a SHA-256", q.Get("nonce"), q.Get("code_challenge"))
	}
	if strings.Contains(f.authorize.String(), store) || strings.Contains(f.authorize.String(), storeKey(store)) {
		t.Errorf("the authorize URL carries the store: %s", f.authorize)
	}
	if f.authorize.Scheme+"://"+f.authorize.Host != e.op.URL || f.authorize.Path != "/authorize" {
		t.Errorf("init redirects to %s, want the provider's authorization endpoint", f.authorize)
	}
	for _, sc := range f.init.Header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "bazis_auth=") {
			t.Errorf("init sets the store cookie: %s", sc)
		}
	}
	_, attrs := cookieAttrs(f.init.Header.Values("Set-Cookie")[0])
	for k, want := range map[string]string{"HttpOnly": "", "SameSite": "lax", "Path": prefix + "/google-auth-callback/",
		"Max-Age": "600", "Secure": ""} {
		if got, ok := attrs[k]; !ok || got != want {
			t.Errorf("binding cookie %s = %q (present %v), want %q", k, got, ok, want)
		}
	}
	if f.init.Header.Get("Cache-Control") != "no-store" || f.init.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("init headers: %v", f.init.Header)
	}

	// The provider sends the browser back with a code, the state and iss.
	if cq := f.callback.Query(); cq.Get("state") != q.Get("state") || cq.Get("code") == "" {
		t.Fatalf("provider callback URL %s", f.callback)
	}

	// callback: the closing page, the store cookie (Max-Age=CLAIM), no token.
	r := e.finish(f)
	wantPage(t, r, true, store)
	if !strings.Contains(string(r.body), "<title>Google Authentication</title>") {
		t.Errorf("page title: %s", r.body)
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("page CSP = %q", csp)
	}
	if len(r.Header.Values("Set-Cookie")) != 2 || !strings.HasPrefix(r.Header.Values("Set-Cookie")[1], f.binding[:strings.Index(f.binding, "=")+1]+";") {
		t.Errorf("callback cookies = %q, want the store cookie then the binding cookie's deletion", r.Header.Values("Set-Cookie"))
	}

	// The application polls /auth/ with its store: the session, once.
	m := e.signedIn(store, "1001")
	if m["email"] != "G@Site.com" || m["first_name"] != "Grace" || m["last_name"] != "Hopper" || m["logout_actions"] != nil {
		t.Errorf("session answer %v", m)
	}
	session, _ := m["token"].(string)
	if p := jwtPayload(t, session); p["auth_type"] != "google" || p["sub"] != "1001" {
		t.Errorf("session token payload %v", p)
	}
	if r := e.auth(store); r.StatusCode != http.StatusBadRequest {
		t.Errorf("second GET /auth/ with the store: %s, want the anonymous 400", r)
	}

	// The created user: username = sub, unusable password, linked, logged in.
	u, err := e.users.UserByLink(t.Context(), e.op.URL, "1001")
	if err != nil {
		t.Fatalf("no link after the sign-in: %v", err)
	}
	if u.Username != "1001" || !strings.HasPrefix(u.PasswordHash, "!") || len(u.PasswordHash) != 41 || u.LastLogin == nil || !u.IsActive {
		t.Errorf("created user %+v", u)
	}

	// The state is single-use: the same callback again is refused.
	r = e.finish(f)
	if r.StatusCode != http.StatusBadRequest || string(r.body) != `{"errors":[{"status":400,"detail":"Invalid or expired state"}]}` {
		t.Errorf("replayed callback: %s", r)
	}

	// A second sign-in of the same account finds the user by its link.
	store2 := e.newStore()
	wantPage(t, e.finish(e.start(store2)), true, store2)
	m2 := e.signedIn(store2, "1001")
	if m2["user_id"] != m["user_id"] {
		t.Errorf("second sign-in gave user %v, want %v", m2["user_id"], m["user_id"])
	}
	e.noTokensInURLs(store, session, m2["token"].(string))
	e.noTokensInURLs(store2)
}

// GET /auth/ offers Google exactly as Bazis does, in every language.
func TestGoogle_LoginAction(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, lang := range []string{"en", "ru"} {
		r := e.get(prefix + "/auth/?lang=" + lang)
		var env struct {
			Errors []struct {
				Meta struct {
					Actions json.RawMessage `json:"actions"`
				} `json:"meta"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(r.body, &env); err != nil || len(env.Errors) == 0 {
			t.Fatalf("GET /auth/: %s", r)
		}
		b := env.Errors[0].Meta.Actions
		want := `[{"code":"password","name":"` + authing.Translate(lang, authing.TextLoginPassword) + `","url":"/api/v1/authing/password/","method":"POST"},` +
			`{"code":"google","name":"Google Authentication","url":"/api/v1/authing/google-auth-init/","method":"GET"}]`
		if string(b) != want {
			t.Errorf("lang %s: actions %s\nwant %s", lang, b, want)
		}
	}
}

// The init route requires the store, with the Bazis 401s.
func TestGoogle_InitRequiresStore(t *testing.T) {
	e := newEnv(t, envOptions{})
	expired := e.newStore()
	e.do(http.MethodPost, prefix+"/logout/", nil, "Authorization", "Bearer "+expired)
	for _, tc := range []struct {
		name, query, detail string
	}{
		{"NoToken", "", authing.DetailTokenRequired},
		{"Invalid", "?bazis_auth=garbage", authing.DetailTokenInvalid},
		{"Expired", "?bazis_auth=" + expired, authing.DetailTokenExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(prefix + "/google-auth-init/" + tc.query)
			want := `{"errors":[{"status":401,"code":"ERR_UNAUTHORIZED","detail":"` + tc.detail + `"}]}`
			if r.StatusCode != http.StatusUnauthorized || string(r.body) != want {
				t.Errorf("init: %s, want 401 %s", r, want)
			}
			if len(e.op.AuthorizeRequests()) != 0 {
				t.Errorf("the provider was asked")
			}
		})
	}
}

// Every way a callback can be wrong. The 400s and 401 happen before the
// store is touched; every other failure leaves the store not signed in with
// GOOGLE_AUTH_ERROR, answers the page without any cookie, and creates no
// user.
func TestGoogle_CallbackRefusals(t *testing.T) {
	type setup struct {
		e     *env
		store string
		f     *flow
	}
	foreign := oidctest.NewKey(t)
	for _, tc := range []struct {
		name    string
		prepare func(s *setup)      // provider knobs before start
		finish  func(s *setup) resp // default: the callback with the binding cookie
		status  int                 // 0: the page with GOOGLE_AUTH_ERROR
		body    string              // for the 400/401 answers
		gone    bool                // the store is gone too
	}{
		{name: "MissingState", finish: func(s *setup) resp {
			return s.e.get(prefix+"/google-auth-callback/?code=x", "Cookie", s.f.binding)
		}, status: 400, body: `{"errors":[{"status":400,"detail":"Missing state parameter"}]}`},
		{name: "WrongState", finish: func(s *setup) resp {
			return s.e.get(prefix+"/google-auth-callback/?state="+strings.Repeat("0", 64)+"&code=x", "Cookie", s.f.binding)
		}, status: 400, body: `{"errors":[{"status":400,"detail":"Invalid or expired state"}]}`},
		{name: "ExpiredState", finish: func(s *setup) resp {
			s.e.clk.Advance(601 * time.Second)
			return s.e.finish(s.f)
		}, status: 400, body: `{"errors":[{"status":400,"detail":"Invalid or expired state"}]}`, gone: true},
		{name: "StoreGone", finish: func(s *setup) resp {
			s.e.do(http.MethodPost, prefix+"/logout/", nil, "Authorization", "Bearer "+s.store)
			return s.e.finish(s.f)
		}, status: 401, body: `{"errors":[{"status":401,"code":"ERR_UNAUTHORIZED","detail":"Token has been expired"}]}`, gone: true},
		{name: "NoBindingCookie", finish: func(s *setup) resp { return s.e.finish(s.f, "") }},
		{name: "OtherBrowsersBinding", finish: func(s *setup) resp {
			other := s.e.start(s.e.newStore()) // a state started elsewhere: its own cookie
			return s.e.finish(s.f, other.binding)
		}},
		{name: "WrongBindingValue", finish: func(s *setup) resp {
			name, _, _ := strings.Cut(s.f.binding, "=")
			return s.e.finish(s.f, name+"="+strings.Repeat("0", 64))
		}},
		{name: "ProviderDenied", prepare: func(s *setup) { s.e.op.Deny("access_denied") }},
		{name: "WrongNonce", prepare: func(s *setup) {
			s.e.op.Tamper(func(c map[string]any) { c["nonce"] = "another-nonce" })
		}},
		{name: "NoNonce", prepare: func(s *setup) {
			s.e.op.Tamper(func(c map[string]any) { delete(c, "nonce") })
		}},
		{name: "WrongAudience", prepare: func(s *setup) {
			s.e.op.Tamper(func(c map[string]any) { c["aud"] = "another-client" })
		}},
		{name: "SeveralAudiencesWithoutAZP", prepare: func(s *setup) {
			s.e.op.Tamper(func(c map[string]any) { c["aud"] = []string{clientID, "another-client"} })
		}},
		{name: "WrongIssuer", prepare: func(s *setup) {
			s.e.op.Tamper(func(c map[string]any) { c["iss"] = "https://evil.example.com" })
		}},
		{name: "ExpiredIDToken", prepare: func(s *setup) {
			s.e.op.Tamper(func(c map[string]any) { c["exp"] = s.e.clk.Now().Add(-time.Second).Unix() })
		}},
		{name: "AlgNone", prepare: func(s *setup) { s.e.op.SignWith(oidctest.SignNone) }},
		{name: "AlgHS256WithClientSecret", prepare: func(s *setup) {
			s.e.op.SignWith(func(c map[string]any) string { return oidctest.SignHS256([]byte(clientSecret), c) })
		}},
		{name: "UnknownKeyID", prepare: func(s *setup) {
			s.e.op.SignWith(func(c map[string]any) string { return oidctest.SignRS256(foreign, "unknown-kid", c) })
		}},
		{name: "ForeignKeyWithKnownKeyID", prepare: func(s *setup) {
			s.e.op.SignWith(func(c map[string]any) string { return oidctest.SignRS256(foreign, s.e.op.KeyID(), c) })
		}},
		{name: "PKCEVerifierNotTheOneSent", finish: func(s *setup) resp {
			// Replace the verifier kept with the state: the provider must
			// refuse the exchange.
			key := "auth_google_state_" + s.f.authorize.Query().Get("state")
			d, _, _ := s.e.store.Get(s.e.t.Context(), key)
			d.Values["verifier"] = strings.Repeat("v", 43)
			s.e.store.Put(s.e.t.Context(), key, d, time.Minute)
			return s.e.finish(s.f)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			e.op.SetAccount(account("1001", "g@site.com", true))
			s := &setup{e: e, store: e.newStore()}
			if tc.prepare != nil {
				tc.prepare(s)
			}
			s.f = e.start(s.store)
			var r resp
			if tc.finish != nil {
				r = tc.finish(s)
			} else {
				r = e.finish(s.f)
			}
			if tc.status != 0 {
				if r.StatusCode != tc.status || string(r.body) != tc.body {
					t.Fatalf("callback: %s, want %d %s", r, tc.status, tc.body)
				}
				if len(r.Header.Values("Set-Cookie")) != 0 {
					t.Errorf("refused callback sets cookies: %q", r.Header.Values("Set-Cookie"))
				}
			} else {
				wantPage(t, r, false, s.store)
			}
			if tc.gone {
				return
			}
			codes, details := e.storeErrors(s.store)
			if tc.status == 0 {
				wantCodes(t, codes, []string{"GOOGLE_AUTH_ERROR"})
				if details[0] != "Google authentication failed" {
					t.Errorf("detail %q", details[0])
				}
			} else {
				wantCodes(t, codes, nil)
			}
			if list, _ := e.users.ListUsers(t.Context()); len(list) != 0 {
				t.Errorf("a refused sign-in created users: %+v", list)
			}
			e.noTokensInURLs(s.store)
			e.noTokensInLogs(s.store, storeKey(s.store))
		})
	}
}

// The second sign-in of a code, from the case above, on its own: the state
// is claimed first, then the exchange fails at the provider.
func TestGoogle_CodeIsSingleUse(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.op.SetAccount(account("1001", "g@site.com", true))
	victim := e.newStore()
	first := e.start(victim)
	wantPage(t, e.finish(first), true, victim)

	other := e.newStore()
	second := e.start(other)
	q := second.callback.Query()
	q.Set("code", first.callback.Query().Get("code"))
	second.callback.RawQuery = q.Encode()
	wantPage(t, e.finish(second), false, other)
	codes, _ := e.storeErrors(other)
	wantCodes(t, codes, []string{"GOOGLE_AUTH_ERROR"})
}

// T15: the store token stays out of every URL but the init call; the
// callback page carries no token and sets the cookie; the callback works
// once; /auth/ gives the session once. The redirect URI is configured
// (BAZIS_G_AUTH_REDIRECT_URI) on another host name of the service.
func TestT15_GoogleFlowKeepsTheStoreTokenOutOfURLs(t *testing.T) {
	e := newEnv(t, envOptions{provider: func(op *oidctest.Provider, base string) oidc.Provider {
		p := googleOn(op, base)
		p.RedirectURL = "https://api.site.com/google-auth-callback/"
		return p
	}})
	e.op.SetAccount(account("1001", "g@site.com", true))
	e.op.SetUserinfo(map[string]any{"sub": "1001"})
	s := e.newStore()

	f := e.start(s)
	state := f.authorize.Query().Get("state")
	if state == "" || strings.Contains(state, s) || strings.Contains(s, state) {
		t.Fatalf("state %q", state)
	}
	if got := f.authorize.Query().Get("redirect_uri"); got != "https://api.site.com/google-auth-callback/" {
		t.Errorf("redirect_uri = %q", got)
	}
	if f.callback.Host != "api.site.com" || f.callback.Path != "/google-auth-callback/" {
		t.Errorf("the provider sent the browser to %s", f.callback)
	}

	r := e.finish(f)
	wantPage(t, r, true, s)
	if !strings.HasPrefix(r.Header.Get("Set-Cookie"), "bazis_auth=") {
		t.Errorf("Set-Cookie %q", r.Header.Get("Set-Cookie"))
	}
	if r := e.finish(f); r.StatusCode != http.StatusBadRequest {
		t.Errorf("the same callback again: %s, want 400", r)
	}
	m := e.signedIn(s, "1001")
	if m["email"] != "g@site.com" {
		t.Errorf("email %v", m["email"])
	}
	if r := e.auth(s); r.StatusCode != http.StatusBadRequest {
		t.Errorf("again: %s, want NOT_AUTHENTICATED", r)
	} else if meta, _ := errorsOf(t, r)[0]["meta"].(map[string]any); meta["token"] == s {
		t.Errorf("the claimed store came back")
	}
	e.noTokensInURLs(s, m["token"].(string))
}

// T16: a callback whose state was seeded for store A but that arrives
// without the browser binding (a forged callback): 200, no Set-Cookie, A not
// signed in, A's errors exactly GOOGLE_AUTH_ERROR.
func TestT16_ForgedGoogleCallbackSetsNoCookie(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.op.SetAccount(account("1001", "g@site.com", true))
	a := e.newStore()
	err := e.store.Put(t.Context(), "auth_google_state_forged-state",
		authing.StoreData{Values: map[string]string{"store": storeKey(a), "nonce": "n", "verifier": "v"}}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	r := e.get(prefix + "/google-auth-callback/?state=forged-state&code=code")
	wantPage(t, r, false, a)
	if r.Header.Get("Set-Cookie") != "" {
		t.Fatalf("Set-Cookie %q", r.Header.Get("Set-Cookie"))
	}
	codes, _ := e.storeErrors(a)
	wantCodes(t, codes, []string{"GOOGLE_AUTH_ERROR"})
	if h := e.op.Hits(); h.Token != 0 {
		t.Errorf("the forged code was exchanged (%d token requests)", h.Token)
	}
}

// Concurrent callbacks of one state: the state is claimed atomically, so
// exactly one proceeds and the others get 400.
func TestGoogle_ConcurrentCallbacksOfOneState(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.op.SetAccount(account("1001", "g@site.com", true))
	s := e.newStore()
	f := e.start(s)
	const n = 6
	codes := make(chan int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			<-start
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+prefix+"/google-auth-callback/?"+f.callback.RawQuery, nil)
			req.Header.Set("Cookie", f.binding)
			res, err := e.hc.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			codes <- res.StatusCode
		})
	}
	close(start)
	wg.Wait()
	close(codes)
	ok, refused := 0, 0
	for c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusBadRequest:
			refused++
		default:
			t.Errorf("callback status %d", c)
		}
	}
	if ok != 1 || refused != n-1 {
		t.Errorf("%d callbacks succeeded and %d were refused, want 1 and %d", ok, refused, n-1)
	}
	e.signedIn(s, "1001")
}

// The page's paragraph follows the language; "Google Authentication" stays
// English (a fuzzy entry in the Bazis catalog).
func TestGoogle_PageLanguage(t *testing.T) {
	e := newEnv(t, envOptions{})
	a := e.newStore()
	e.store.Put(t.Context(), "auth_google_state_s1", authing.StoreData{Values: map[string]string{"store": storeKey(a)}}, time.Minute)
	r := e.get(prefix+"/google-auth-callback/?state=s1&code=c", "Accept-Language", "ru-RU,ru;q=0.9,en;q=0.5")
	if !strings.Contains(string(r.body), "<p>Вход завершён: вернитесь в приложение.</p>") ||
		!strings.Contains(string(r.body), "<title>Google Authentication</title>") || !strings.Contains(string(r.body), `<html lang="ru">`) {
		t.Errorf("page in Russian: %s", r.body)
	}
}
