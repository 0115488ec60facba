package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
)

// The tests drive the authing binary as a user does: built once, started
// with flags and BS_ settings, users managed through its CLI.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "authing-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "authing")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building authing:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const cliSecret = "cli-test-secret-key-with-32-or-more-chars"

// cli runs one authing command and returns its stdout; it fails the test on
// a non-zero exit unless wantErr.
func cli(t testing.TB, env []string, stdin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String() + errb.String(), err
	}
	return out.String(), nil
}

func mustCLI(t testing.TB, env []string, stdin string, args ...string) string {
	t.Helper()
	out, err := cli(t, env, stdin, args...)
	if err != nil {
		t.Fatalf("authing %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// server is a running `authing serve`.
type server struct {
	cmd     *exec.Cmd
	url     string
	logs    *logBuffer
	exited  chan struct{} // closed when the process has exited
	exitErr error
}

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServer runs `authing serve --addr 127.0.0.1:0 args...` and waits for
// its "authing listening" log line.
func startServer(t testing.TB, env []string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	logs := &logBuffer{}
	cmd.Stderr = io.MultiWriter(pw, logs)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, logs: logs, exited: make(chan struct{})}
	go func() { s.exitErr = cmd.Wait(); close(s.exited); pw.Close() }()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "authing listening" {
				addr <- line["addr"].(string)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case a := <-addr:
		s.url = "http://" + a
	case <-s.exited:
		t.Fatalf("authing serve exited: %v\n%s", s.exitErr, logs)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("authing serve did not start:\n%s", logs)
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop(t testing.TB) {
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		if s.exitErr != nil {
			t.Errorf("authing serve exited with %v after SIGTERM\n%s", s.exitErr, s.logs)
		}
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		t.Errorf("authing serve did not stop after SIGTERM")
	}
}

// cliTarget is the wire suite's view of a server whose users are managed
// through the CLI on the same database.
func cliTarget(url string, env []string, database string, cl, claim time.Duration) authingtest.Target {
	db := []string{"--database", database}
	return authingtest.Target{
		BaseURL: url, Secret: cliSecret, CookieLifetime: cl, ClaimLifetime: claim,
		Seed: func(t *testing.T, u authing.NewUser, pw string) string {
			args := append([]string{"users", "create", "--username", u.Username, "--email", u.Email, "--password-stdin"}, db...)
			mustCLI(t, env, pw+"\n", args...)
			return cliUser(t, env, db, u.Username).ID
		},
		SetActive: func(t *testing.T, id string, active bool) {
			for _, u := range cliUsers(t, env, db) {
				if u.ID == id {
					verb := map[bool]string{true: "activate", false: "deactivate"}[active]
					mustCLI(t, env, "", append([]string{"users", verb, "--username", u.Username}, db...)...)
					return
				}
			}
			t.Fatalf("no user %s", id)
		},
		User: func(t *testing.T, username string) authing.User { return cliUser(t, env, db, username) },
	}
}

func cliUsers(t testing.TB, env, db []string) []authing.User {
	t.Helper()
	out := mustCLI(t, env, "", append([]string{"users", "list", "--json"}, db...)...)
	var us []userJSON
	if err := json.Unmarshal([]byte(out), &us); err != nil {
		t.Fatalf("users list --json: %v: %s", err, out)
	}
	res := make([]authing.User, len(us))
	for i, u := range us {
		res[i] = authing.User{ID: u.ID, Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
			IsActive: u.IsActive, IsStaff: u.IsStaff, IsSuperuser: u.IsSuperuser, LastLogin: u.LastLogin, FirstLogin: u.DtFirstLogin}
	}
	return res
}

func cliUser(t testing.TB, env, db []string, username string) authing.User {
	t.Helper()
	for _, u := range cliUsers(t, env, db) {
		if u.Username == username {
			return u
		}
	}
	t.Fatalf("no user %q", username)
	return authing.User{}
}

// TestServe_Wire runs the Bazis wire scenarios against `authing serve` on
// its embedded defaults (SQLite, in-process store) with the sample setting
// BAZIS_AUTH_COOKIE_LIFETIME=60.
func TestServe_Wire(t *testing.T) {
	dir := t.TempDir()
	database := "sqlite://" + filepath.Join(dir, "authing.db")
	env := []string{"BS_SECRET_KEY=" + cliSecret, "BS_BAZIS_AUTH_COOKIE_LIFETIME=60", "BS_DATABASE_URL=" + database}
	s := startServer(t, env)
	authingtest.TestWire(t, cliTarget(s.url, env, database, 60*time.Second, 60*time.Second))
	for _, secret := range []string{"weak_password_1", "weak_password_2", cliSecret} {
		if strings.Contains(s.logs.String(), secret) {
			t.Errorf("the server log contains a secret (%q)", secret)
		}
	}
}

// TestServe_Settings checks the settings the issue names, from the
// environment, a .env file and flags (flags win).
func TestServe_Settings(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "authing.env")
	os.WriteFile(envFile, []byte("# settings\nBS_BAZIS_AUTH_COOKIE_LIFETIME=120\nBS_BAZIS_AUTH_COOKIE_NAME='sid'\nexport BS_LANGUAGE_CODE=ru\n"), 0o600)
	env := []string{"BS_SECRET_KEY=" + cliSecret, "BS_BAZIS_AUTH_CLAIM_LIFETIME=15", "BS_BAZIS_AUTH_COOKIE_SECURE=false",
		"BS_BAZIS_JWT_SESSION_LIFETIME=3600", "BS_BAZIS_OPENAPI_TOKEN_URL=/api/token/", "BS_ENV_FILE=" + envFile,
		`BS_BAZIS_AUTH_KINDS=["bazis.contrib.authing.services.password"]`}
	database := "sqlite://" + filepath.Join(dir, "a.db")
	s := startServer(t, env, "--database", database, "--prefix", "/auth")
	res, err := http.Get(s.url + "/auth/auth/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	sc := res.Header.Get("Set-Cookie")
	if res.StatusCode != 400 || !strings.HasPrefix(sc, "sid=") || !strings.HasSuffix(sc, "; HttpOnly; Max-Age=120; Path=/; SameSite=lax") {
		t.Fatalf("status %d, Set-Cookie %q", res.StatusCode, sc)
	}
	if !strings.Contains(string(body), "Пользователь не авторизован") || !strings.Contains(string(body), `"url":"/auth/password/"`) {
		t.Fatalf("language or prefix not applied: %s", body)
	}
	mustCLI(t, env, "pw-123456\n", "users", "create", "--username", "u", "--password-stdin", "--database", database)
	res, err = http.Post(s.url+"/api/token/", "application/x-www-form-urlencoded", strings.NewReader("username=u&password=pw-123456"))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	k, _ := authing.NewKeys(authing.HS256, cliSecret)
	c, err := k.ParseSessionToken(tok.AccessToken, time.Now())
	if res.StatusCode != 200 || err != nil || c.Expires-c.IssuedAt != 3600 {
		t.Fatalf("token URL: %d %v %+v", res.StatusCode, err, c)
	}
}

func TestServe_RefusesBadConfiguration(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "x.db")
	cases := []struct {
		env  []string
		want string
	}{
		{[]string{`BS_BAZIS_AUTH_KINDS=["password","ldap"]`}, `unknown sign-in method "ldap"`},
		{[]string{`BS_BAZIS_AUTH_KINDS=["bazis.contrib.authing.password"]`}, "did you mean bazis.contrib.authing.services.password"},
		{[]string{"BS_SECRET_KEY=too-short"}, "SECRET_KEY is too short"},
		{[]string{"BS_BAZIS_JWT_SESSION_ALG=RS256"}, "BAZIS_JWT_SESSION_ALG"},
		{[]string{"BS_BAZIS_AUTH_COOKIE_LIFETIME=soon"}, "BAZIS_AUTH_COOKIE_LIFETIME"},
		{[]string{"BS_DATABASE_URL=mysql://x"}, "DATABASE_URL must be"},
	}
	for _, c := range cases {
		env := append([]string{"BS_DATABASE_URL=" + db}, c.env...)
		out, err := cli(t, env, "", "serve", "--addr", "127.0.0.1:0")
		if err == nil || !strings.Contains(out, c.want) {
			t.Errorf("%v: err=%v, output %q does not say %q", c.env, err, out, c.want)
		}
		out, err = cli(t, env, "", "check")
		if err == nil || !strings.Contains(out, c.want) {
			t.Errorf("check %v: err=%v, output %q", c.env, err, out)
		}
	}
	out := mustCLI(t, []string{"BS_SECRET_KEY=" + cliSecret}, "", "check", "--database", db)
	if !strings.Contains(out, "ok: configuration is valid") {
		t.Fatalf("check of a good configuration: %s", out)
	}
}

// Without BS_SECRET_KEY, serve generates a key once, keeps it beside the
// database with mode 0600 and reuses it: tokens survive a restart.
func TestServe_GeneratedSecret(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "authing.db")
	env := []string{"BS_SECRET_KEY="}
	s := startServer(t, env, "--database", "sqlite://"+db)
	fi, err := os.Stat(db + ".secret")
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}
	if !strings.Contains(s.logs.String(), "generated a secret key") {
		t.Fatalf("the log does not say that a key was generated:\n%s", s.logs)
	}
	tok := anonymousToken(t, s.url)
	s.stop(t)
	s2 := startServer(t, env, "--database", "sqlite://"+db)
	req, _ := http.NewRequest("POST", s2.url+"/api/v1/authing/password/", strings.NewReader(`{"username":"x","password":"y"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := (&http.Transport{}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// the same key: the token is valid, its store (in memory) is gone
	if res.StatusCode != 401 {
		t.Fatalf("status %d", res.StatusCode)
	}
	key, _ := os.ReadFile(db + ".secret")
	if strings.Contains(s2.logs.String(), strings.TrimSpace(string(key))) {
		t.Fatal("the key was logged")
	}
}

func anonymousToken(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url + "/api/v1/authing/auth/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var env struct {
		Errors []struct {
			Meta struct{ Token string } `json:"meta"`
		} `json:"errors"`
	}
	json.NewDecoder(res.Body).Decode(&env)
	return env.Errors[0].Meta.Token
}

func TestUsersCommands(t *testing.T) {
	dir := t.TempDir()
	env := []string{"BS_DATABASE_URL=sqlite://" + filepath.Join(dir, "u.db")}
	out := mustCLI(t, env, "s3cret-pass\n", "users", "create", "--username", "ann", "--email", "ann@site.com",
		"--first-name", "Ann", "--last-name", "Lee", "--staff", "--password-stdin")
	if !strings.Contains(out, "created user ann") {
		t.Fatalf("create: %s", out)
	}
	if out, err := cli(t, env, "x\n", "users", "create", "--username", "ann", "--password-stdin"); err == nil || !strings.Contains(out, "already exists") {
		t.Fatalf("duplicate: %v %s", err, out)
	}
	if out, err := cli(t, env, "", "users", "create", "--username", "bob", "--password", "x"); err == nil || !strings.Contains(out, "flag provided but not defined: -password") {
		t.Fatalf("a password argument must be refused: %v %s", err, out)
	}
	if _, err := cli(t, env, "", "users", "create", "--username", "bob"); err == nil {
		t.Fatal("create without --password-stdin must fail")
	}
	users := cliUsers(t, env, nil)
	if len(users) != 1 || users[0].Username != "ann" || users[0].Email != "ann@site.com" || users[0].FirstName != "Ann" ||
		users[0].LastName != "Lee" || !users[0].IsStaff || users[0].IsSuperuser || !users[0].IsActive || users[0].LastLogin != nil {
		t.Fatalf("list: %+v", users)
	}
	raw := mustCLI(t, env, "", "users", "list", "--json")
	for _, k := range []string{`"id"`, `"username"`, `"email"`, `"first_name"`, `"last_name"`, `"is_active"`, `"is_staff"`,
		`"is_superuser"`, `"last_login": null`, `"dt_first_login": null`} {
		if !strings.Contains(raw, k) {
			t.Errorf("users list --json lacks %s: %s", k, raw)
		}
	}
	mustCLI(t, env, "", "users", "deactivate", "--username", "ann")
	if cliUsers(t, env, nil)[0].IsActive {
		t.Fatal("deactivate had no effect")
	}
	mustCLI(t, env, "", "users", "activate", "--username", "ann")
	mustCLI(t, env, "new-pass-2\n", "users", "set-password", "--username", "ann", "--password-stdin")
	if out, err := cli(t, env, "", "users", "activate", "--username", "nobody"); err == nil || !strings.Contains(out, `no user "nobody"`) {
		t.Fatalf("unknown user: %v %s", err, out)
	}
	if !strings.Contains(mustCLI(t, env, "", "users", "list"), "ann@site.com") {
		t.Fatal("table listing")
	}
	// the new password signs in, the old one does not
	env2 := append(env, "BS_SECRET_KEY="+cliSecret)
	s := startServer(t, env2)
	for pw, want := range map[string]int{"new-pass-2": 200, "s3cret-pass": 401} {
		res, err := http.Post(s.url+"/api/openapi-token/", "application/x-www-form-urlencoded", strings.NewReader("username=ann&password="+pw))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("password %q: %d, want %d", pw, res.StatusCode, want)
		}
	}
}

func TestMigrateAndHealth(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "m.db")
	if out := mustCLI(t, nil, "", "migrate", "--database", db); !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: %s", out)
	}
	mustCLI(t, nil, "", "migrate", "--database", db) // idempotent
	s := startServer(t, []string{"BS_SECRET_KEY=" + cliSecret}, "--database", db)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		res, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
}

// SIGTERM lets an in-flight request finish before the process exits.
func TestServe_GracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	env := []string{"BS_SECRET_KEY=" + cliSecret}
	s := startServer(t, env, "--database", "sqlite://"+filepath.Join(dir, "g.db"))
	pr, pw := io.Pipe()
	req, _ := http.NewRequestWithContext(context.Background(), "POST", s.url+"/api/openapi-token/", pr)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	type result struct {
		status int
		err    error
	}
	resc := make(chan result, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			resc <- result{0, err}
			return
		}
		res.Body.Close()
		resc <- result{res.StatusCode, nil}
	}()
	pw.Write([]byte("username=nobody&"))
	time.Sleep(200 * time.Millisecond) // the request is in flight, its body half sent
	s.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	pw.Write([]byte("password=x"))
	pw.Close()
	r := <-resc
	if r.err != nil || r.status != 401 {
		t.Fatalf("in-flight request: %d %v", r.status, r.err)
	}
	<-s.exited
	if s.exitErr != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", s.exitErr, s.logs)
	}
}
