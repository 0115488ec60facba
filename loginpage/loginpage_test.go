package loginpage_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"authing.dev/authing/loginpage"
)

func TestHandler(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/login/", loginpage.Handler(loginpage.Options{Prefix: "/auth/v2/", CookieName: "sid", Title: "Welcome <back>"}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	cases := []struct {
		method, path string
		status       int
		typ, body    string
	}{
		{"GET", "/login/", 200, "text/html; charset=utf-8", `<meta name="authing-prefix" content="/auth/v2">`},
		{"GET", "/login/", 200, "text/html; charset=utf-8", `<meta name="authing-cookie-name" content="sid">`},
		{"GET", "/login/", 200, "text/html; charset=utf-8", `<title>Welcome &lt;back&gt;</title>`},
		{"GET", "/login/login.js", 200, "text/javascript; charset=utf-8", "prefix + '/auth/'"},
		{"GET", "/login/login.css", 200, "text/css; charset=utf-8", "main {"},
		{"HEAD", "/login/", 200, "text/html; charset=utf-8", ""},
		{"GET", "/login/index.html", 404, "", ""},
		{"GET", "/login/assets/login.js", 200, "text/javascript; charset=utf-8", ""},
		{"POST", "/login/", 405, "", ""},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.status || (c.typ != "" && res.Header.Get("Content-Type") != c.typ) || !strings.Contains(string(b), c.body) {
			t.Errorf("%s %s: %d %q, want %d %q with %q", c.method, c.path, res.StatusCode, res.Header.Get("Content-Type"), c.status, c.typ, c.body)
		}
		if c.status == 200 {
			csp := res.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
				res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: security headers %q", c.path, csp)
			}
		}
	}
	// The page has no inline script (the CSP forbids it) and no third-party URL.
	res, _ := http.Get(srv.URL + "/login/")
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(b), "<script>") || strings.Contains(string(b), "http") {
		t.Errorf("inline script or external URL in the page:\n%s", b)
	}
}
