package main

import (
	"bufio"
	"encoding/json"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/internal/testenv"
)

// The abuse defences as the binary runs them (docs/security.md).

// signInToken signs in through the token endpoint and returns the token.
func signInToken(t *testing.T, url, user, pw string, hdr ...string) string {
	t.Helper()
	r := send("POST", url+"/api/openapi-token/", "username="+user+"&password="+pw,
		append([]string{"Content-Type", "application/x-www-form-urlencoded"}, hdr...)...)
	if r.status != 200 {
		t.Fatalf("sign-in of %s: %v", user, r)
	}
	var a struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal([]byte(r.body), &a)
	return a.AccessToken
}

// auditLines returns the audit lines of a server's log.
func auditLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("a log line is not JSON: %q", l)
		}
		if m["msg"] == "audit" {
			out = append(out, m)
		}
	}
	return out
}

// Whole flows through the binary: throttling answers 429, the audit log has
// one line per event with kind, method, user and client address, and no
// log line holds a password, a store token or a session token.
func TestServe_AuditLogHasNoSecrets(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "a.db")
	env := []string{"BS_SECRET_KEY=" + cliSecret, "BS_DATABASE_URL=" + db, "BS_AUTHING_REVOKE_ON_LOGOUT=true",
		"BS_AUTHING_THROTTLE_USER_IP=2/1h/1h/1m"}
	const pw, wrong, guess = "Right-Pass-4711", "Wrong-Pass-0815", "Guess-Pass-1234"
	mustCLI(t, env, pw+"\n", "users", "create", "--username", "ann", "--password-stdin")
	s := startServer(t, env)
	secrets := []string{pw, wrong, guess, cliSecret}

	// the browser flow: a failure, a success, the claim, a refresh, a logout
	st := anonymousToken(t, s.url)
	secrets = append(secrets, st)
	login := func(password string) reply {
		return send("POST", s.url+"/api/v1/authing/password/", `{"username":"ann","password":"`+password+`"}`,
			"Content-Type", "application/json", "Bearer", st)
	}
	if r := login(wrong); r.status != 303 {
		t.Fatalf("wrong password: %v", r)
	}
	if r := login(pw); r.status != 303 {
		t.Fatalf("password: %v", r)
	}
	r := send("GET", s.url+"/api/v1/authing/auth/", "", "Bearer", st)
	var a struct{ Token string }
	json.Unmarshal([]byte(r.body), &a)
	if r.status != 200 || a.Token == "" {
		t.Fatalf("claim: %v", r)
	}
	secrets = append(secrets, a.Token)
	r = send("GET", s.url+"/api/v1/authing/auth/?bazis_auth="+a.Token, "")
	ses := a.Token
	json.Unmarshal([]byte(r.body), &a)
	secrets = append(secrets, a.Token)
	if r := send("POST", s.url+"/api/v1/authing/logout/", "", "Cookie", "bazis_auth="+ses); r.status != 204 {
		t.Fatalf("logout: %v", r)
	}
	if r := send("GET", s.url+"/api/v1/authing/auth/", "", "Bearer", ses); r.status != 400 {
		t.Fatalf("the logged-out session still refreshes: %v", r)
	}
	// the token endpoint: guesses until throttled
	var codes []int
	for range 4 {
		r := send("POST", s.url+"/api/openapi-token/", "username=ann&password="+guess, "Content-Type", "application/x-www-form-urlencoded")
		codes = append(codes, r.status)
		if r.status == 429 && r.header.Get("Retry-After") == "" {
			t.Fatalf("429 without Retry-After: %v", r)
		}
	}
	if !slices.Equal(codes, []int{401, 401, 401, 429}) {
		t.Fatalf("token endpoint statuses %v, want [401 401 401 429] (2 free failures per username and address, the third starts the waits)", codes)
	}
	s.stop(t)

	logs := s.logs.String()
	for _, sec := range secrets {
		if strings.Contains(logs, sec) {
			t.Errorf("the log contains a secret (%.12q…)", sec)
		}
	}
	kinds := map[string]map[string]any{}
	for _, l := range auditLines(t, logs) {
		kinds[l["event"].(string)] = l
		if l["client_ip"] != "127.0.0.1" {
			t.Errorf("audit line without the client address: %v", l)
		}
	}
	for _, k := range []string{authing.EventLoginFailure, authing.EventLoginSuccess, authing.EventClaim, authing.EventSession,
		authing.EventRevokeSession, authing.EventLogout, authing.EventThrottled} {
		if kinds[k] == nil {
			t.Errorf("no audit line for %s", k)
		}
	}
	if l := kinds[authing.EventLoginSuccess]; l != nil && (l["method"] != "password" || l["username"] != "ann" || l["user_id"] == nil) {
		t.Errorf("login.success line: %v", l)
	}
	if l := kinds[authing.EventThrottled]; l != nil && (l["reason"] != "TOO_MANY_ATTEMPTS" || l["username"] != "ann") {
		t.Errorf("throttled line: %v", l)
	}
}

// Behind a trusted proxy the client address comes from X-Forwarded-For
// (read from the right); from anyone else the header is ignored.
func TestServe_TrustedProxies(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		proxies, want string
	}{
		{`["127.0.0.1"]`, "203.0.113.5"},
		{`[]`, "127.0.0.1"},
		{`["10.0.0.0/8"]`, "127.0.0.1"},
	} {
		env := []string{"BS_SECRET_KEY=" + cliSecret, "BS_DATABASE_URL=sqlite://" + filepath.Join(dir, "p.db"),
			"BS_AUTHING_TRUSTED_PROXIES=" + c.proxies}
		s := startServer(t, env)
		send("POST", s.url+"/api/openapi-token/", "username=x&password=y", "Content-Type", "application/x-www-form-urlencoded",
			"X-Forwarded-For", "198.51.100.1, 203.0.113.5")
		s.stop(t)
		lines := auditLines(t, s.logs.String())
		if len(lines) == 0 || lines[len(lines)-1]["client_ip"] != c.want {
			t.Errorf("trusted %s: audit %v, want client_ip %s", c.proxies, lines, c.want)
		}
	}
}

// Every answer of the binary carries the security headers, the health and
// error answers included.
func TestServe_SecurityHeaders(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, []string{"BS_SECRET_KEY=" + cliSecret, "BS_DATABASE_URL=sqlite://" + filepath.Join(dir, "h.db")})
	for _, c := range []struct{ method, path string }{
		{"GET", "/healthz"}, {"GET", "/readyz"}, {"GET", "/nope"}, {"DELETE", "/api/v1/authing/auth/"},
		{"GET", "/api/v1/authing/auth/"}, {"POST", "/api/v1/authing/logout/"}, {"GET", "/api/v1/authing/auth"},
	} {
		r := send(c.method, s.url+c.path, "")
		if r.err != nil {
			t.Fatal(r.err)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if got := r.header.Get(k); got != v {
				t.Errorf("%s %s (%d): %s = %q", c.method, c.path, r.status, k, got)
			}
		}
		if strings.HasPrefix(c.path, "/api/") && r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s: Cache-Control %q", c.method, c.path, r.header.Get("Cache-Control"))
		}
	}
}

// A client that sends its headers slowly (slowloris) is cut off after the
// header timeout, and a stalled body after the read timeout.
func TestServe_SlowClients(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, []string{"BS_SECRET_KEY=" + cliSecret, "BS_DATABASE_URL=sqlite://" + filepath.Join(dir, "s.db")})
	addr := strings.TrimPrefix(s.url, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	conn.Write([]byte("GET /api/v1/authing/auth/ HTTP/1.1\r\nHost: x\r\n"))
	stop := make(chan struct{})
	go func() { // one more header line every second, never the end
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
				if _, err := conn.Write([]byte("X-Slow: " + strings.Repeat("a", i) + "\r\n")); err != nil {
					return
				}
			}
		}
	}()
	defer close(stop)
	conn.SetReadDeadline(time.Now().Add(readHeaderTimeout + 10*time.Second))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	took := time.Since(start)
	if took > readHeaderTimeout+3*time.Second {
		t.Fatalf("the slow client held the connection for %v (header timeout %v)", took, readHeaderTimeout)
	}
	if strings.Contains(line, "200") {
		t.Fatalf("answered a request whose headers never ended: %q", line)
	}
	t.Logf("slow headers: connection ended after %v (%q)", took.Round(100*time.Millisecond), strings.TrimSpace(line))
}

// SECRET_KEY rotation end to end: a session of the old key still refreshes
// after the rotation, and the new session is signed by the new key only.
func TestServe_KeyRotation(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "k.db")
	const oldKey, newKey = "the-old-secret-key-0123456789abcdefXYZ", "the-new-secret-key-9876543210fedcbaZYX"
	mustCLI(t, []string{"BS_DATABASE_URL=" + db}, "pw-123456\n", "users", "create", "--username", "u", "--password-stdin")
	s := startServer(t, []string{"BS_SECRET_KEY=" + oldKey, "BS_DATABASE_URL=" + db})
	old := signInToken(t, s.url, "u", "pw-123456")
	s.stop(t)

	s = startServer(t, []string{"BS_SECRET_KEY=" + newKey, `BS_SECRET_KEY_FALLBACKS=["` + oldKey + `"]`, "BS_DATABASE_URL=" + db})
	r := send("GET", s.url+"/api/v1/authing/auth/", "", "Bearer", old)
	var a struct{ Token string }
	json.Unmarshal([]byte(r.body), &a)
	if r.status != 200 || a.Token == "" {
		t.Fatalf("the old key's session after the rotation: %v", r)
	}
	newOnly, _ := authing.NewKeys(authing.HS256, newKey)
	oldOnly, _ := authing.NewKeys(authing.HS256, oldKey)
	if _, err := newOnly.ParseSessionToken(a.Token, time.Now()); err != nil {
		t.Fatalf("the new session is not signed by the new key: %v", err)
	}
	if _, err := oldOnly.ParseSessionToken(a.Token, time.Now()); err == nil {
		t.Fatal("the new session is signed by the old key")
	}
	if _, err := newOnly.ParseSessionToken(signInToken(t, s.url, "u", "pw-123456"), time.Now()); err != nil {
		t.Fatalf("a new sign-in is not signed by the new key: %v", err)
	}
	s.stop(t)

	// the old key dropped from the fallbacks: its sessions are anonymous
	s = startServer(t, []string{"BS_SECRET_KEY=" + newKey, "BS_DATABASE_URL=" + db})
	if r := send("GET", s.url+"/api/v1/authing/auth/", "", "Bearer", old); r.status != 400 {
		t.Fatalf("the old key's session without the fallback: %v", r)
	}
}

// `authing users revoke` signs a user out of every instance that shares the
// Redis; without Redis it refuses and says why.
func TestUsersRevoke(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "r.db")
	out, err := cli(t, []string{"BS_DATABASE_URL=" + db}, "", "users", "revoke", "--username", "nobody")
	if err == nil || !strings.Contains(out, `no user "nobody"`) {
		t.Fatalf("unknown user: %v %s", err, out)
	}
	mustCLI(t, []string{"BS_DATABASE_URL=" + db}, "pw-123456\n", "users", "create", "--username", "u", "--password-stdin")
	out, err = cli(t, []string{"BS_DATABASE_URL=" + db, "BS_REDIS_URL="}, "", "users", "revoke", "--username", "u")
	if err == nil || !strings.Contains(out, "needs REDIS_URL") {
		t.Fatalf("without Redis: %v %s", err, out)
	}

	redisURL := testenv.RedisURL(t)
	_, prefix := redisPrefix(t, redisURL)
	env := []string{"BS_SECRET_KEY=" + cliSecret, "BS_DATABASE_URL=" + db, "BS_REDIS_URL=" + redisURL, "BS_REDIS_KEY_PREFIX=" + prefix}
	a, b := startServer(t, env), startServer(t, env) // two instances
	ses := signInToken(t, a.url, "u", "pw-123456")
	for _, s := range []*server{a, b} {
		if r := send("GET", s.url+"/api/v1/authing/auth/", "", "Bearer", ses); r.status != 200 {
			t.Fatalf("before: %v", r)
		}
	}
	out = mustCLI(t, env, "", "users", "revoke", "--username", "u")
	if !strings.Contains(out, "signed u out everywhere") {
		t.Fatalf("revoke: %s", out)
	}
	for _, s := range []*server{a, b} {
		if r := send("GET", s.url+"/api/v1/authing/auth/", "", "Bearer", ses); r.status != 400 {
			t.Fatalf("a revoked session refreshes: %v", r)
		}
	}
	time.Sleep(1100 * time.Millisecond) // revocations have the precision of iat: a second
	fresh := signInToken(t, b.url, "u", "pw-123456")
	if r := send("GET", a.url+"/api/v1/authing/auth/", "", "Bearer", fresh); r.status != 200 {
		t.Fatalf("a sign-in after the revocation: %v", r)
	}
}

// With three instances on one Redis, the limits hold overall: guesses spread
// over the instances are throttled as if one instance took them all.
func TestServe_ThrottleAcrossInstances(t *testing.T) {
	redisURL := testenv.RedisURL(t)
	_, prefix := redisPrefix(t, redisURL)
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "t.db")
	env := []string{"BS_SECRET_KEY=" + cliSecret, "BS_DATABASE_URL=" + db, "BS_REDIS_URL=" + redisURL, "BS_REDIS_KEY_PREFIX=" + prefix,
		"BS_AUTHING_THROTTLE_USER=3/1h/1h/1m", "BS_AUTHING_TRUSTED_PROXIES=[\"127.0.0.1\"]"}
	mustCLI(t, env, "pw-123456\n", "users", "create", "--username", "victim", "--password-stdin")
	mustCLI(t, env, "pw-654321\n", "users", "create", "--username", "other", "--password-stdin")
	servers := []*server{startServer(t, env), startServer(t, env), startServer(t, env)}
	checked := 0
	for i := range 30 {
		r := send("POST", servers[i%3].url+"/api/openapi-token/", "username=victim&password=guess",
			"Content-Type", "application/x-www-form-urlencoded", "X-Forwarded-For", "10.9."+secItoa(i)+".1")
		switch r.status {
		case 401:
			checked++
		case 429:
		default:
			t.Fatalf("guess %d: %v", i, r)
		}
	}
	if checked != 4 {
		t.Fatalf("%d of 30 guesses from 30 networks over 3 instances were checked, want Free+1 = 4", checked)
	}
	signInToken(t, servers[1].url, "other", "pw-654321", "X-Forwarded-For", "198.51.100.9")
}

func secItoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestServe_RefusesBadSecuritySettings(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
	for _, c := range []struct{ env, want string }{
		{`BS_AUTHING_TRUSTED_PROXIES=["example.com"]`, "AUTHING_TRUSTED_PROXIES"},
		{"BS_AUTHING_TRUSTED_PROXIES=10.0.0.0/8", "AUTHING_TRUSTED_PROXIES must be a JSON list"},
		{"BS_AUTHING_THROTTLE_IP=50", "AUTHING_THROTTLE_IP must be FREE/FORGIVE/MAXDELAY"},
		{"BS_AUTHING_THROTTLE=maybe", "AUTHING_THROTTLE must be true or false"},
		{"BS_AUTHING_REVOKE_ON_LOGOUT=sometimes", "AUTHING_REVOKE_ON_LOGOUT"},
	} {
		out, err := cli(t, []string{"BS_DATABASE_URL=" + db, c.env}, "", "check")
		if err == nil || !strings.Contains(out, c.want) {
			t.Errorf("%s: %v %s", c.env, err, out)
		}
	}
}
