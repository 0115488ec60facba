package main

import (
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func httpGet(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// metricValue reads one series of a Prometheus exposition.
func metricValue(t *testing.T, exposition, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.e+-]+)$`).FindStringSubmatch(exposition)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// TestServe_Extras checks what `serve` adds on its embedded defaults: the
// OpenAPI document, Swagger UI, the login page and /metrics with counters
// that move with the traffic.
func TestServe_Extras(t *testing.T) {
	dir := t.TempDir()
	env := []string{"BS_SECRET_KEY=" + cliSecret, "BS_DATABASE_URL=sqlite://" + filepath.Join(dir, "x.db")}
	mustCLI(t, env, "weak_password_1\n", "users", "create", "--username", "user1", "--password-stdin")
	s := startServer(t, env)

	for path, want := range map[string]string{
		"/api/v1/authing/openapi.json":      `"openapi":"3.1.0"`,
		"/api/swagger/":                     `swagger-ui-bundle.js`,
		"/api/swagger/swagger-ui-bundle.js": `SwaggerUIBundle`,
		"/login/":                           `<meta name="authing-prefix" content="/api/v1/authing">`,
		"/login/login.js":                   `credentials: 'include'`,
	} {
		code, h, body := httpGet(t, s.url+path)
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d, body lacks %q", path, code, want)
		}
		if strings.HasSuffix(path, "/") && h.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: no Content-Security-Policy", path)
		}
	}

	_, _, before := httpGet(t, s.url+"/metrics")
	for _, pw := range []string{"weak_password_1", "wrong"} {
		res, err := http.Post(s.url+"/api/openapi-token/", "application/x-www-form-urlencoded", strings.NewReader("username=user1&password="+pw))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	httpGet(t, s.url+"/api/v1/authing/auth/")
	code, _, after := httpGet(t, s.url+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, series := range []string{
		`authing_sign_ins_total{method="password",outcome="success"}`,
		`authing_sign_ins_total{method="password",outcome="failure"}`,
		`authing_password_hash_duration_seconds_count{op="verify"}`,
		`authing_store_operations_total{backend="memory",op="put"}`,
		`authing_http_request_duration_seconds_count{method="POST",route="/api/openapi-token/",status="200"}`,
		`authing_http_request_duration_seconds_count{method="GET",route="/api/v1/authing/auth/",status="400"}`,
	} {
		if metricValue(t, after, series) <= metricValue(t, before, series) {
			t.Errorf("%s did not move", series)
		}
	}
	if metricValue(t, after, "go_goroutines") == 0 {
		t.Error("no Go runtime metrics")
	}
}

func TestServe_ExtrasOff(t *testing.T) {
	dir := t.TempDir()
	env := []string{"BS_SECRET_KEY=" + cliSecret, "BS_DATABASE_URL=sqlite://" + filepath.Join(dir, "x.db"),
		"BS_AUTHING_METRICS=false", "BS_AUTHING_SWAGGER=no", "BS_AUTHING_LOGIN_PAGE=false"}
	s := startServer(t, env)
	for _, path := range []string{"/metrics", "/api/swagger/", "/login/"} {
		if code, _, _ := httpGet(t, s.url+path); code != 404 {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
	if code, _, _ := httpGet(t, s.url+"/api/v1/authing/openapi.json"); code != 200 {
		t.Errorf("the OpenAPI document is part of the API: %d", code)
	}
	out, err := cli(t, []string{"BS_AUTHING_LOGIN_PAGE=sometimes"}, "", "check", "--database", "sqlite://"+filepath.Join(dir, "y.db"))
	if err == nil || !strings.Contains(out, "AUTHING_LOGIN_PAGE must be auto, true or false") {
		t.Errorf("a bad AUTHING_LOGIN_PAGE: %v %s", err, out)
	}
}

func TestExtrasSettings_LoginPageAuto(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, true},
		{map[string]string{"BS_REDIS_URL": "redis://127.0.0.1:6379/0"}, false},
		{map[string]string{"BS_DATABASE_URL": "postgres://u@h/db"}, false},
		{map[string]string{"BS_DATABASE_URL": "postgres://u@h/db", "BS_AUTHING_LOGIN_PAGE": "true"}, true},
		{map[string]string{"BS_AUTHING_LOGIN_PAGE": "off"}, false},
	}
	for _, c := range cases {
		st, err := loadSettings(func(k string) string { return c.env[k] }, "")
		if err != nil {
			t.Fatal(err)
		}
		x, err := extrasSettings(st)
		if err != nil || x.loginPage != c.want || !x.metrics || !x.swagger {
			t.Errorf("%v: %+v %v, want loginPage=%v", c.env, x, err, c.want)
		}
	}
}
