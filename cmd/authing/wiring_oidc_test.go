package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/method/oidc/oidctest"
	"authing.dev/authing/store/memstore"
)

func settingsFrom(t *testing.T, env map[string]string) *settings {
	t.Helper()
	st, err := loadSettings(func(k string) string { return env[k] }, "")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// The OpenID Connect settings are checked at start, with messages that name
// the settings and never quote a secret.
func TestOIDCSettings_Findings(t *testing.T) {
	const secret = "very-secret-client-secret"
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // "" = no error
	}{
		{"GoogleNeedsClientID", map[string]string{"BS_BAZIS_AUTH_KINDS": `["google"]`, "BS_HOST_URL": "https://api.site.com"},
			"set BAZIS_G_AUTH_CLIENT_ID"},
		{"GoogleNeedsHostURL", map[string]string{"BS_BAZIS_AUTH_KINDS": `["bazis.contrib.authing.services.google"]`, "BS_BAZIS_G_AUTH_CLIENT_ID": "c"},
			"set HOST_URL"},
		{"GoogleOK", map[string]string{"BS_BAZIS_AUTH_KINDS": `["password","google"]`, "BS_BAZIS_G_AUTH_CLIENT_ID": "c",
			"BS_BAZIS_G_AUTH_REDIRECT_URI": "https://api.site.com/google-auth-callback/"}, ""},
		{"GoogleBadRedirect", map[string]string{"BS_BAZIS_AUTH_KINDS": `["google"]`, "BS_BAZIS_G_AUTH_CLIENT_ID": "c",
			"BS_BAZIS_G_AUTH_REDIRECT_URI": "/relative/"}, "redirect URL"},
		{"UnknownProvider", map[string]string{"BS_BAZIS_AUTH_KINDS": `["oidc:corp"]`}, `no provider named "corp"`},
		{"MalformedProviders", map[string]string{"BS_AUTHING_OIDC_PROVIDERS": `[{"name":"corp","client_secret":"` + secret + `"`},
			"AUTHING_OIDC_PROVIDERS: not a JSON list"},
		{"UnknownField", map[string]string{"BS_AUTHING_OIDC_PROVIDERS": `[{"name":"corp","client_secret":"` + secret + `","trust_emails":true}]`},
			`unknown field "trust_emails"`},
		{"DuplicateName", map[string]string{"BS_AUTHING_OIDC_PROVIDERS": `[{"name":"corp"},{"name":"corp"}]`}, "two providers"},
		{"ProviderInvalid", map[string]string{"BS_BAZIS_AUTH_KINDS": `["oidc:corp"]`,
			"BS_AUTHING_OIDC_PROVIDERS": `[{"name":"corp","issuer":"http://id.corp.example","client_id":"c","client_secret":"` + secret + `"}]`,
			"BS_HOST_URL":               "https://api.site.com"}, "must be https"},
		{"ProviderOK", map[string]string{"BS_BAZIS_AUTH_KINDS": `["password","oidc:corp"]`,
			"BS_AUTHING_OIDC_PROVIDERS": `[{"name":"corp","issuer":"https://id.corp.example/realms/main/","client_id":"c","client_secret":"` + secret + `","label":"Corp"}]`,
			"BS_HOST_URL":               "https://api.site.com"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.env["BS_SECRET_KEY"] = cliSecret
			_, err := buildConfig(settingsFrom(t, tc.env))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("buildConfig: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("buildConfig = %v, want an error mentioning %q", err, tc.want)
			case err != nil && strings.Contains(err.Error(), secret):
				t.Fatalf("the error quotes the client secret: %v", err)
			}
		})
	}
}

// The kinds build methods with the Bazis shape: codes, login actions,
// redirect URIs.
func TestOIDCKinds_Methods(t *testing.T) {
	st := settingsFrom(t, map[string]string{"BS_SECRET_KEY": cliSecret, "BS_HOST_URL": "https://api.site.com/",
		"BS_BAZIS_AUTH_KINDS":       `["password","bazis.contrib.authing.services.google","oidc:corp"]`,
		"BS_BAZIS_G_AUTH_CLIENT_ID": "gid", "BS_AUTHING_OIDC_PROVIDERS": `[{"name":"corp","issuer":"https://id.corp.example","client_id":"c","label":"Corp SSO"}]`})
	cfg, err := buildConfig(st)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.kinds, ",") != "password,google,oidc:corp" {
		t.Fatalf("kinds %q", cfg.kinds)
	}
	users := &authingtest.LinkingUsers{}
	var methods []authing.Method
	for _, k := range cfg.kinds {
		m, err := newMethod(k, methodDeps{users: users, hashers: cfg.hashers, settings: st})
		if err != nil {
			t.Fatalf("newMethod(%q): %v", k, err)
		}
		methods = append(methods, m)
	}
	cfg.auth.SecretKey = cliSecret
	store := memstore.New(memstore.Options{})
	defer store.Close()
	if _, err := authing.New(cfg.auth, store, users, methods...); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal([]authing.Action{methods[1].LoginAction("ru"), methods[2].LoginAction("en")})
	want := `[{"code":"google","name":"Google Authentication","url":"/api/v1/authing/google-auth-init/","method":"GET"},` +
		`{"code":"oidc:corp","name":"Corp SSO","url":"/api/v1/authing/oidc/corp/init/","method":"GET"}]`
	if string(got) != want {
		t.Errorf("actions %s\nwant %s", got, want)
	}
	for i, want := range map[int]string{1: "https://api.site.com/api/v1/authing/google-auth-callback/", 2: "https://api.site.com/api/v1/authing/oidc/corp/callback/"} {
		if got := methods[i].(interface{ RedirectURL() string }).RedirectURL(); got != want {
			t.Errorf("%s redirect URL %q, want %q", methods[i].Code(), got, want)
		}
	}
}

// `authing serve` with Google, a reachable provider and one that is down:
// it starts, offers every method, Google's init goes to Google without the
// store token, the reachable provider signs in through the browser flow,
// the down one records its error, and password sign-in works.
func TestServe_OIDC(t *testing.T) {
	up := oidctest.New(t, oidctest.Options{ClientID: "corp-client", ClientSecret: "corp-secret"})
	down := oidctest.Reserve(t, oidctest.Options{ClientID: "down-client", ClientSecret: "down-secret"})
	up.SetAccount(map[string]any{"sub": "u-1", "email": "ann@corp.example", "email_verified": true, "given_name": "Ann"})
	providers, _ := json.Marshal([]map[string]any{
		{"name": "corp", "issuer": up.URL, "client_id": "corp-client", "client_secret": "corp-secret", "label": "Corp SSO"},
		{"name": "down", "issuer": down.URL, "client_id": "down-client", "client_secret": "down-secret"},
	})
	dir := t.TempDir()
	database := "sqlite://" + filepath.Join(dir, "authing.db")
	env := []string{"BS_SECRET_KEY=" + cliSecret, "BS_DATABASE_URL=" + database, "BS_BAZIS_AUTH_COOKIE_SECURE=false",
		`BS_BAZIS_AUTH_KINDS=["password","google","oidc:corp","oidc:down"]`, "BS_BAZIS_G_AUTH_CLIENT_ID=google-client",
		"BS_BAZIS_G_AUTH_CLIENT_SECRET=google-secret", "BS_HOST_URL=https://api.site.com",
		"BS_AUTHING_OIDC_PROVIDERS=" + string(providers)}
	s := startServer(t, env)
	mustCLI(t, env, "pw-123456\n", "users", "create", "--username", "local", "--password-stdin", "--database", database)
	hc := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string, hdr ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(b)
	}
	const p = "/api/v1/authing"
	newStore := func() string {
		_, body := get(s.url + p + "/auth/")
		var env struct {
			Errors []struct {
				Meta struct {
					Token string `json:"token"`
				} `json:"meta"`
			} `json:"errors"`
		}
		json.Unmarshal([]byte(body), &env)
		if len(env.Errors) == 0 || env.Errors[0].Meta.Token == "" {
			t.Fatalf("GET /auth/: %s", body)
		}
		return env.Errors[0].Meta.Token
	}

	_, body := get(s.url + p + "/auth/")
	for _, a := range []string{`"code":"password"`, `{"code":"google","name":"Google Authentication","url":"/api/v1/authing/google-auth-init/","method":"GET"}`,
		`"code":"oidc:corp","name":"Corp SSO"`, `"code":"oidc:down"`} {
		if !strings.Contains(body, a) {
			t.Errorf("GET /auth/ lacks %s: %s", a, body)
		}
	}

	// Google: 302 to Google's authorization endpoint, Bazis' parameters.
	store := newStore()
	res, _ := get(s.url + p + "/google-auth-init/?bazis_auth=" + store)
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || loc.Host != "accounts.google.com" || loc.Path != "/o/oauth2/auth" ||
		loc.Query().Get("redirect_uri") != "https://api.site.com/api/v1/authing/google-auth-callback/" ||
		loc.Query().Get("scope") != "openid email profile" || loc.Query().Get("client_id") != "google-client" ||
		strings.Contains(loc.String(), store) {
		t.Errorf("google init: %d %s", res.StatusCode, loc)
	}

	// corp: the browser flow through the binary.
	store = newStore()
	res, _ = get(s.url + p + "/oidc/corp/init/?bazis_auth=" + store)
	if res.StatusCode != http.StatusFound {
		t.Fatalf("corp init: %d", res.StatusCode)
	}
	binding, _, _ := strings.Cut(res.Header.Get("Set-Cookie"), ";")
	res, _ = get(res.Header.Get("Location"))
	cb, _ := url.Parse(res.Header.Get("Location"))
	if cb.String() == "" || cb.Path != p+"/oidc/corp/callback/" {
		t.Fatalf("provider redirect %q", res.Header.Get("Location"))
	}
	res, body = get(s.url+cb.RequestURI(), "Cookie", binding)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Set-Cookie"), "bazis_auth="+store) || strings.Contains(body, store) {
		t.Fatalf("corp callback: %d %q %s", res.StatusCode, res.Header.Get("Set-Cookie"), body)
	}
	res, body = get(s.url+p+"/auth/", "Authorization", "Bearer "+store)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"username":"corp.u-1"`) || !strings.Contains(body, `"first_name":"Ann"`) {
		t.Fatalf("GET /auth/ after the corp sign-in: %d %s", res.StatusCode, body)
	}

	// down: the init answers the page and records the error.
	store = newStore()
	res, _ = get(s.url + p + "/oidc/down/init/?bazis_auth=" + store)
	if res.StatusCode != http.StatusOK || res.Header.Get("Set-Cookie") != "" {
		t.Errorf("init of a down provider: %d %q", res.StatusCode, res.Header.Get("Set-Cookie"))
	}
	_, body = get(s.url+p+"/auth/", "Authorization", "Bearer "+store)
	if !strings.Contains(body, `"code":"OIDC_AUTH_ERROR","detail":"Authentication with down failed"`) {
		t.Errorf("store after the down provider: %s", body)
	}

	// Password still works.
	store = newStore()
	req, _ := http.NewRequest(http.MethodPost, s.url+p+"/password/", strings.NewReader(`{"username":"local","password":"pw-123456"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+store)
	pres, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pres.Body.Close()
	if res, body := get(s.url+p+"/auth/", "Authorization", "Bearer "+store); res.StatusCode != http.StatusOK {
		t.Errorf("password sign-in with a provider down: %d %s", res.StatusCode, body)
	}
	for _, secret := range []string{"corp-secret", "down-secret", "google-secret", cliSecret} {
		if strings.Contains(s.logs.String(), secret) {
			t.Errorf("the server log contains a secret (%q)", secret)
		}
	}
}
