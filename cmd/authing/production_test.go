package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/internal/testenv"
	"authing.dev/authing/store/redisstore"
)

// The production tests run `authing serve` on the real PostgreSQL and Redis
// of the machine (internal/testenv: skipped locally when absent, failing in
// CI), each test in a schema and under a Redis key prefix of its own.

// hangGuard bounds every request of the fault tests: a backend that is down
// must give an answer, not a hang. It is not a performance target.
const hangGuard = 5 * time.Second

// unavailableBody is the 503 answer of docs/compat.md #3.
const unavailableBody = `{"errors":[{"status":503,"code":"SERVICE_UNAVAILABLE","detail":"Service temporarily unavailable","meta":{"headers":{"Retry-After":"1"}}}]}`

// pgDatabase creates a schema of its own on the test PostgreSQL and returns
// a URL whose connections use it (pgx passes search_path to the server); the
// schema is dropped at the end of the test.
func pgDatabase(t *testing.T) (dbURL, schema string) {
	t.Helper()
	base := testenv.PostgresURL(t)
	schema = testenv.Unique("authing_cmd_")
	c := pgConnect(t, base)
	if _, err := c.Exec(t.Context(), "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withQuery(base, "search_path", schema), schema
}

// withQuery sets one query parameter of a URL.
func withQuery(raw, key, value string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// pgConnect is a plain connection (closed at the end of the test).
func pgConnect(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// redisPrefix returns a Redis client of redisURL and a key prefix of the
// test's own; the keys under it are deleted at the end.
func redisPrefix(t *testing.T, redisURL string) (redis.UniversalClient, string) {
	t.Helper()
	c, err := redisstore.Open(redisURL, redisstore.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	prefix := testenv.Unique("authing_cmd:") + ":"
	t.Cleanup(func() {
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		keys, err := scanKeys(ctx, c, prefix+"*")
		if err == nil && len(keys) > 0 {
			err = c.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("cleanup of %s*: %v", prefix, err)
		}
	})
	return c, prefix
}

func scanKeys(ctx context.Context, c redis.UniversalClient, pattern string) ([]string, error) {
	var keys []string
	iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	return keys, iter.Err()
}

// prodEnv is the environment of the servers and the CLI of one test.
func prodEnv(db, prefix string, extra ...string) []string {
	return append([]string{"BS_SECRET_KEY=" + cliSecret, "BS_DATABASE_URL=" + db, "BS_REDIS_KEY_PREFIX=" + prefix}, extra...)
}

// seedUser creates an active user through the CLI on database db.
func seedUser(t *testing.T, env []string, db, username, password string) {
	t.Helper()
	mustCLI(t, env, password+"\n", "users", "create", "--username", username, "--email", username+"@site.com",
		"--password-stdin", "--database", db)
}

// reply is one finished HTTP exchange.
type reply struct {
	status  int
	header  http.Header
	body    string
	elapsed time.Duration
	err     error
}

var prodClient = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{MaxIdleConnsPerHost: 64},
}

// send makes one request without following redirects. headers are name,
// value pairs; a "Bearer" name sets the Authorization header. It never fails
// the test, so that it can run in goroutines.
func send(method, target, body string, headers ...string) reply {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		return reply{err: err}
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Bearer" {
			req.Header.Set("Authorization", "Bearer "+headers[i+1])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	start := time.Now()
	res, err := prodClient.Do(req)
	if err != nil {
		return reply{err: err, elapsed: time.Since(start)}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: string(b), elapsed: time.Since(start), err: err}
}

func (r reply) String() string {
	if r.err != nil {
		return fmt.Sprintf("error %v after %v", r.err, r.elapsed)
	}
	return fmt.Sprintf("%d after %v: %s", r.status, r.elapsed.Round(time.Millisecond), r.body)
}

type envelopeJSON struct {
	Errors []struct {
		Status int    `json:"status"`
		Code   string `json:"code"`
		Detail string `json:"detail"`
		Meta   struct {
			Token string `json:"token"`
		} `json:"meta"`
	} `json:"errors"`
}

// anonymous checks the 400 anonymous answer of GET /auth/ and returns its
// store token, which must differ from not.
func (r reply) anonymous(not string) (string, error) {
	var e envelopeJSON
	if r.err != nil || r.status != http.StatusBadRequest || json.Unmarshal([]byte(r.body), &e) != nil ||
		len(e.Errors) == 0 || e.Errors[0].Code != "UNAUTHORIZED" || e.Errors[0].Meta.Token == "" || e.Errors[0].Meta.Token == not {
		return "", fmt.Errorf("want the anonymous 400 with a new store token, got %v", r)
	}
	return e.Errors[0].Meta.Token, nil
}

// unavailable checks the 503 answer, within the hang guard.
func (r reply) unavailable() error {
	switch {
	case r.err != nil:
		return fmt.Errorf("want 503, got %v", r)
	case r.status != http.StatusServiceUnavailable || r.body != unavailableBody:
		return fmt.Errorf("want 503 %s, got %v", unavailableBody, r)
	case r.header.Get("Retry-After") != "1" || r.header.Get("Content-Type") != "application/json":
		return fmt.Errorf("503 headers: Retry-After %q, Content-Type %q", r.header.Get("Retry-After"), r.header.Get("Content-Type"))
	case r.elapsed >= hangGuard:
		return fmt.Errorf("503 after %v (hang guard %v)", r.elapsed, hangGuard)
	}
	return nil
}

const (
	authPath     = "/api/v1/authing/auth/"
	passwordPath = "/api/v1/authing/password/"
	logoutPath   = "/api/v1/authing/logout/"
	pwTokenPath  = "/api/v1/authing/password/token/"
	openAPIToken = "/api/openapi-token/"
)

func loginBody(username, password string) string {
	b, _ := json.Marshal(map[string]string{"username": username, "password": password})
	return string(b)
}

func formBody(username, password string) string {
	return url.Values{"username": {username}, "password": {password}}.Encode()
}

// newStoreOn is GET /auth/ without a token: a new store token.
func newStoreOn(t *testing.T, base string) string {
	t.Helper()
	tok, err := send("GET", base+authPath, "").anonymous("")
	if err != nil {
		t.Fatalf("GET /auth/: %v", err)
	}
	return tok
}

// passwordOn posts credentials into a store and expects the 303 to /auth/.
func passwordOn(t *testing.T, base, store, username, password string) {
	t.Helper()
	r := send("POST", base+passwordPath, loginBody(username, password), "Content-Type", "application/json", "Bearer", store)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != authPath {
		t.Fatalf("POST /password/: want 303 to %s, got %v (Location %q)", authPath, r, r.header.Get("Location"))
	}
}

// sessionOf checks a 200 session answer for username and returns its token.
func sessionOf(t *testing.T, r reply, username string) string {
	t.Helper()
	var s struct {
		Username string `json:"username"`
		Token    string `json:"token"`
	}
	if r.err != nil || r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &s) != nil || s.Username != username {
		t.Fatalf("want the session of %s, got %v", username, r)
	}
	k, _ := authing.NewKeys(authing.HS256, cliSecret)
	c, err := k.ParseSessionToken(s.Token, time.Now())
	if err != nil || c.Subject != username {
		t.Fatalf("session token %q: %v %+v", s.Token, err, c)
	}
	return s.Token
}

// signIn is the whole store flow on one instance: a session token.
func signIn(t *testing.T, base, username, password string) string {
	t.Helper()
	store := newStoreOn(t, base)
	passwordOn(t, base, store, username, password)
	return sessionOf(t, send("GET", base+authPath, "", "Bearer", store), username)
}

// waitFor retries check until it succeeds or the time is up, and returns how
// long it took.
func waitFor(t *testing.T, what string, within time.Duration, check func() error) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := check()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v: %v", what, within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logLines parses the server's log after it stopped: every line must be a
// JSON object.
func logLines(t *testing.T, s *server) []map[string]any {
	t.Helper()
	s.stop(t)
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s.logs.String()))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Errorf("log line is not JSON: %q", sc.Text())
			continue
		}
		lines = append(lines, m)
	}
	return lines
}

// checkLogs asserts that no request answered 500, that every access line
// and every "request failed" line has a request id, and that no secret
// appears in the log.
func checkLogs(t *testing.T, s *server, secrets ...string) []map[string]any {
	t.Helper()
	lines := logLines(t, s)
	for _, l := range lines {
		if st, _ := l["status"].(float64); st == 500 {
			t.Errorf("a request answered 500: %v", l)
		}
		if (l["msg"] == "request" || l["msg"] == "request failed") && l["request_id"] == nil {
			t.Errorf("log line without request_id: %v", l)
		}
	}
	text := s.logs.String()
	for _, sec := range append(secrets, cliSecret) {
		if sec != "" && strings.Contains(text, sec) {
			t.Errorf("the server log contains a secret (%.20q…)", sec)
		}
	}
	return lines
}

// TestProduction_Wire runs the Bazis wire scenarios against `authing serve
// --database postgres://… --redis redis://…`, users managed through the CLI
// on the same database.
func TestProduction_Wire(t *testing.T) {
	t.Parallel()
	db, _ := pgDatabase(t)
	redisURL := testenv.RedisURL(t)
	rc, prefix := redisPrefix(t, redisURL)
	env := prodEnv(db, prefix, "BS_BAZIS_AUTH_COOKIE_LIFETIME=60")
	s := startServer(t, env, "--database", db, "--redis", redisURL)
	authingtest.TestWire(t, cliTarget(s.url, env, db, 60*time.Second, 60*time.Second))

	// The stores are in Redis, under the prefix, with the lifetime of their
	// state (spec §6.3).
	keys, err := scanKeys(t.Context(), rc, prefix+authing.StoreKeyPrefix+"*")
	if err != nil || len(keys) == 0 {
		t.Fatalf("no store under %s in Redis (%v)", prefix, err)
	}
	for _, k := range keys[:min(len(keys), 20)] {
		if ttl := rc.PTTL(t.Context(), k).Val(); ttl <= 0 || ttl > 60*time.Second {
			t.Errorf("PTTL %s = %v, want in (0, 60s]", k, ttl)
		}
	}
	checkLogs(t, s, "weak_password_1", "weak_password_2")
}

// TestProduction_ThreeInstances: three `authing serve` processes share one
// PostgreSQL schema and one Redis prefix. A sign-in is started on the first,
// its password posted to the second and its session taken on the third;
// then 50 concurrent claims of one signed-in store, spread over the three,
// give exactly one session.
func TestProduction_ThreeInstances(t *testing.T) {
	t.Parallel()
	const claims, rounds = 50, 3
	db, _ := pgDatabase(t)
	redisURL := testenv.RedisURL(t)
	_, prefix := redisPrefix(t, redisURL)
	env := prodEnv(db, prefix)
	const user, pw = "shared.user", "three-instances-pw"
	seedUser(t, env, db, user, pw)
	var bases []string
	var servers []*server
	for range 3 {
		s := startServer(t, env, "--database", db, "--redis", redisURL)
		servers = append(servers, s)
		bases = append(bases, s.url)
	}

	for round := range rounds {
		a, b, c := bases[round%3], bases[(round+1)%3], bases[(round+2)%3]
		// One sign-in across three instances.
		store := newStoreOn(t, a)
		passwordOn(t, b, store, user, pw)
		session := sessionOf(t, send("GET", c+authPath, "", "Bearer", store), user)
		if _, err := send("GET", a+authPath, "", "Bearer", store).anonymous(store); err != nil {
			t.Fatalf("round %d: a claimed store used again: %v", round, err)
		}
		for _, base := range bases {
			sessionOf(t, send("GET", base+authPath, "", "Bearer", session), user)
		}

		// Concurrent claims of one signed-in store on all three.
		store = newStoreOn(t, c)
		passwordOn(t, a, store, user, pw)
		start := make(chan struct{})
		replies := make([]reply, claims)
		var wg sync.WaitGroup
		for i := range claims {
			wg.Go(func() {
				<-start
				replies[i] = send("GET", bases[i%3]+authPath, "", "Bearer", store)
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for i, r := range replies {
			if r.status == http.StatusOK {
				won++
				sessionOf(t, r, user)
				continue
			}
			if _, err := r.anonymous(store); err != nil {
				t.Errorf("round %d, claim %d on instance %d: %v", round, i, i%3, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d of %d concurrent claims got the session, want exactly 1", round, won, claims)
		}
	}
	for _, s := range servers {
		checkLogs(t, s, pw)
	}
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// redisServer is a private redis-server process without persistence.
type redisServer struct {
	bin, dir string
	port     int
	cmd      *exec.Cmd
	exited   chan struct{}
	logs     *logBuffer
}

// startRedisServer starts /usr/bin/redis-server (or the one on PATH) on
// port and waits until it answers PING. It skips when there is no
// redis-server, and fails in CI.
func startRedisServer(t *testing.T, port int) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if testenv.CI() {
			t.Fatalf("redis-server is not installed (%v); CI must provide it", err)
		}
		t.Skipf("redis-server is not installed (%v): skipping the Redis fault test", err)
	}
	r := &redisServer{bin: bin, dir: t.TempDir(), port: port}
	r.start(t)
	t.Cleanup(r.kill)
	return r
}

func (r *redisServer) start(t *testing.T) {
	t.Helper()
	r.cmd = exec.Command(r.bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", r.dir, "--daemonize", "no", "--logfile", "")
	r.logs = &logBuffer{}
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { cmd.Wait(); close(exited) }(r.cmd, r.exited)
	waitFor(t, "redis-server answering PING", 10*time.Second, func() error {
		select {
		case <-r.exited:
			t.Fatalf("redis-server exited:\n%s", r.logs)
		default:
		}
		c, err := net.DialTimeout("tcp", r.addr(), time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Second))
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			return err
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || line != "+PONG\r\n" {
			return fmt.Errorf("PING: %q %v", line, err)
		}
		return nil
	})
}

func (r *redisServer) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)) }

// kill stops the server at once (SIGKILL), as a crash does.
func (r *redisServer) kill() {
	select {
	case <-r.exited:
		return
	default:
	}
	r.cmd.Process.Kill()
	<-r.exited
}

// TestProduction_RedisFault: an instance whose Redis is killed mid-run
// answers 503 SERVICE_UNAVAILABLE to every request that needs a store,
// within the hang guard and never 500; requests that need no store
// (session refresh, token URLs) keep working; /readyz answers 503. When
// redis-server is back on the same port the instance recovers by itself.
func TestProduction_RedisFault(t *testing.T) {
	t.Parallel()
	rs := startRedisServer(t, freePort(t))
	redisURL := "redis://" + rs.addr() + "/0"
	db, _ := pgDatabase(t)
	env := prodEnv(db, testenv.Unique("fault:")+":")
	const user, pw = "redis.fault", "redis-fault-pw"
	seedUser(t, env, db, user, pw)
	s := startServer(t, env, "--database", db, "--redis", redisURL)

	session := signIn(t, s.url, user, pw)
	stale := newStoreOn(t, s.url)
	pending := newStoreOn(t, s.url)
	passwordOn(t, s.url, pending, user, pw) // signed in, waiting for its claim

	type check struct {
		name string
		do   func() reply
		want func(reply) error
	}
	wantStatus := func(code int) func(reply) error {
		return func(r reply) error {
			if r.err != nil || r.status != code || r.elapsed >= hangGuard {
				return fmt.Errorf("want %d within %v, got %v", code, hangGuard, r)
			}
			return nil
		}
	}
	unavailable := func(r reply) error { return r.unavailable() }
	okOrUnavailable := func(r reply) error {
		if r.status == http.StatusServiceUnavailable {
			return r.unavailable()
		}
		return wantStatus(200)(r)
	}
	checks := []check{
		{"GET /auth/ anonymous", func() reply { return send("GET", s.url+authPath, "", "X-Request-Id", "redis-fault-1") }, unavailable},
		{"GET /auth/ with a store", func() reply { return send("GET", s.url+authPath, "", "Bearer", stale) }, unavailable},
		{"GET /auth/ claim", func() reply { return send("GET", s.url+authPath, "", "Bearer", pending) }, unavailable},
		{"POST /password/", func() reply {
			return send("POST", s.url+passwordPath, loginBody(user, pw), "Content-Type", "application/json", "Bearer", stale)
		}, unavailable},
		{"POST /logout/", func() reply { return send("POST", s.url+logoutPath, "", "Bearer", stale) }, unavailable},
		// A session refresh and the token URL need no store: they work, or,
		// when a Redis-backed part (revocations, throttling) is configured,
		// answer 503 like the rest.
		{"GET /auth/ session refresh", func() reply { return send("GET", s.url+authPath, "", "Bearer", session) }, okOrUnavailable},
		{"POST /api/openapi-token/", func() reply {
			return send("POST", s.url+openAPIToken, formBody(user, pw), "Content-Type", "application/x-www-form-urlencoded")
		}, okOrUnavailable},
		{"GET /healthz", func() reply { return send("GET", s.url+"/healthz", "") }, wantStatus(200)},
		{"GET /readyz", func() reply { return send("GET", s.url+"/readyz", "") }, func(r reply) error {
			if err := wantStatus(503)(r); err != nil {
				return err
			}
			if r.body != `{"database":"ok","redis":"unavailable"}` {
				return fmt.Errorf("readyz body %s", r.body)
			}
			return nil
		}},
	}
	// Each check once, and a burst of anonymous requests, all at once.
	for range 20 {
		checks = append(checks, check{"GET /auth/ anonymous (burst)", func() reply { return send("GET", s.url+authPath, "") }, unavailable})
	}
	outage := func(phase string) {
		t.Helper()
		replies := make([]reply, len(checks))
		var wg sync.WaitGroup
		for i, c := range checks {
			wg.Go(func() { replies[i] = c.do() })
		}
		wg.Wait()
		var slowest time.Duration
		for i, c := range checks {
			if err := c.want(replies[i]); err != nil {
				t.Errorf("%s: %s: %v", phase, c.name, err)
			}
			if replies[i].status == 503 {
				slowest = max(slowest, replies[i].elapsed)
			}
		}
		t.Logf("%s: %d requests at once, slowest 503 after %v", phase, len(checks), slowest.Round(time.Millisecond))
		if t.Failed() {
			t.FailNow()
		}
	}

	// 1. Redis frozen (SIGSTOP): connections are accepted by the kernel
	// and never answered; the pooled ones go silent.
	if err := rs.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	outage("Redis silent")
	rs.cmd.Process.Signal(syscall.SIGCONT)
	took := waitFor(t, "recovery after SIGCONT", 15*time.Second, func() error {
		_, err := send("GET", s.url+authPath, "").anonymous("")
		return err
	})
	t.Logf("recovered %v after SIGCONT", took.Round(time.Millisecond))
	if _, err := send("GET", s.url+authPath, "", "Bearer", stale).anonymous(""); err != nil {
		t.Fatalf("the stores survive a freeze: %v", err)
	}

	// 2. Redis killed: connections are refused.
	rs.kill()
	outage("Redis killed")

	rs.start(t) // the same port, empty
	took = waitFor(t, "recovery after Redis is back", 15*time.Second, func() error {
		_, err := send("GET", s.url+authPath, "").anonymous("")
		return err
	})
	t.Logf("recovered %v after redis-server answered", took.Round(time.Millisecond))
	signIn(t, s.url, user, pw)
	// The restarted Redis kept nothing: the old stores are expired.
	r := send("POST", s.url+passwordPath, loginBody(user, pw), "Content-Type", "application/json", "Bearer", stale)
	if r.status != 401 || !strings.Contains(r.body, authing.DetailTokenExpired) {
		t.Errorf("a store from before the restart: %v", r)
	}
	if r := send("GET", s.url+"/readyz", ""); r.status != 200 {
		t.Errorf("readyz after recovery: %v", r)
	}

	lines := checkLogs(t, s, pw, session, stale, pending)
	var failed, access bool
	for _, l := range lines {
		if l["request_id"] == "redis-fault-1" {
			switch l["msg"] {
			case "request failed":
				failed = l["status"] == float64(503) && l["level"] == "WARN" && strings.Contains(fmt.Sprint(l["error"]), "unavailable")
			case "request":
				access = l["status"] == float64(503)
			}
		}
	}
	if !failed || !access {
		t.Errorf("the request id redis-fault-1 is not on both the access line (%v) and the \"request failed\" line (%v)", access, failed)
	}
}

// faultProxy is a TCP proxy to PostgreSQL that can stop answering
// ("silent": connections are accepted, never answered, never closed, and
// the established ones go silent) or refuse service ("close": connections
// are closed at once).
type faultProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	mode  string // "forward", "silent", "close"
	pairs map[*proxyPair]bool
	held  []net.Conn
}

type proxyPair struct {
	client, upstream net.Conn
	silenced         bool
}

func newFaultProxy(t *testing.T, target, mode string) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target, mode: mode, pairs: map[*proxyPair]bool{}}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.setMode("close") })
	return p
}

func (p *faultProxy) addr() string { return p.ln.Addr().String() }

func (p *faultProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		switch p.mode {
		case "silent":
			p.held = append(p.held, c)
		case "close":
			c.Close()
		default:
			go p.forward(c)
		}
		p.mu.Unlock()
	}
}

func (p *faultProxy) forward(c net.Conn) {
	u, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	pair := &proxyPair{client: c, upstream: u}
	p.mu.Lock()
	if p.mode != "forward" {
		p.mu.Unlock()
		u.Close()
		c.Close()
		return
	}
	p.pairs[pair] = true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(u, c); done <- struct{}{} }()
	go func() { io.Copy(c, u); done <- struct{}{} }()
	<-done
	p.mu.Lock()
	delete(p.pairs, pair)
	silenced := pair.silenced
	p.mu.Unlock()
	u.Close()
	if !silenced {
		c.Close()
	}
}

// setMode switches the proxy. "silent" cuts the established connections
// from PostgreSQL and keeps their client side open without a word;
// "forward" and "close" close the connections held silent.
func (p *faultProxy) setMode(mode string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = mode
	for pair := range p.pairs {
		if mode == "silent" {
			pair.silenced = true
			p.held = append(p.held, pair.client)
		} else if mode == "close" {
			pair.client.Close()
		}
		pair.upstream.Close()
		delete(p.pairs, pair)
	}
	if mode != "silent" {
		for _, c := range p.held {
			c.Close()
		}
		p.held = nil
	}
}

// TestProduction_PostgresFault: an instance whose PostgreSQL accepts
// connections and never answers (from the start, then again mid-run), or
// closes them, answers 503 to every request that needs a user within the
// hang guard, and /readyz 503; requests that need only Redis keep working.
// When PostgreSQL answers again the instance recovers by itself.
func TestProduction_PostgresFault(t *testing.T) {
	t.Parallel()
	db, _ := pgDatabase(t)
	redisURL := testenv.RedisURL(t)
	_, prefix := redisPrefix(t, redisURL)
	env := prodEnv(db, prefix)
	const user, pw = "pg.fault", "pg-fault-pw"
	seedUser(t, env, db, user, pw) // creates the table, on the real server
	// A session of a user the instance has never read (so no cache of
	// users can answer for the database).
	const other = "pg.fault.other"
	seedUser(t, env, db, other, pw)
	keys, _ := authing.NewKeys(authing.HS256, cliSecret)
	otherSession := keys.SessionToken(other, time.Now(), time.Hour, "password")

	u, _ := url.Parse(db)
	if u.Hostname() == "" {
		msg := "the test PostgreSQL is not named by a TCP host, which the fault proxy needs"
		if testenv.CI() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	proxy := newFaultProxy(t, target, "silent")
	u.Host = proxy.addr()
	viaProxy := u.String()
	// The instance starts on a database that does not answer: it does not
	// migrate (AUTHING_MIGRATE=false), and waits for it.
	// DATABASE_QUERY_TIMEOUT=1: a silent database gives 503 after about
	// 1 s (3 s by default), which the test checks.
	s := startServer(t, append(env, "BS_AUTHING_MIGRATE=false", "BS_DATABASE_QUERY_TIMEOUT=1"),
		"--database", viaProxy, "--redis", redisURL)
	if !strings.Contains(s.logs.String(), "the user database is not reachable yet") {
		t.Errorf("no warning at start about the unreachable database:\n%s", s.logs)
	}

	wantStatus := func(what string, r reply, code int) {
		t.Helper()
		if r.err != nil || r.status != code || r.elapsed >= hangGuard {
			t.Errorf("%s: want %d within %v, got %v", what, code, hangGuard, r)
		}
	}
	wantUnavailable := func(what string, r reply) {
		t.Helper()
		if err := r.unavailable(); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	outage := func(phase string, signedIn bool, stale, pending string) (slowest time.Duration) {
		t.Helper()
		type req struct {
			name string
			do   func() reply
			want int
		}
		reqs := []req{
			{"POST /password/", func() reply {
				return send("POST", s.url+passwordPath, loginBody(user, pw), "Content-Type", "application/json", "Bearer", stale)
			}, 503},
			{"POST /password/token/", func() reply {
				return send("POST", s.url+pwTokenPath, formBody(user, pw), "Content-Type", "application/x-www-form-urlencoded")
			}, 503},
			{"POST /api/openapi-token/", func() reply {
				return send("POST", s.url+openAPIToken, formBody(user, pw), "Content-Type", "application/x-www-form-urlencoded")
			}, 503},
			{"GET /readyz", func() reply { return send("GET", s.url+"/readyz", "") }, 503},
			{"GET /healthz", func() reply { return send("GET", s.url+"/healthz", "") }, 200},
			{"GET /auth/ anonymous", func() reply { return send("GET", s.url+authPath, "") }, 400},
			{"GET /auth/ session refresh", func() reply { return send("GET", s.url+authPath, "", "Bearer", otherSession) }, 503},
		}
		if signedIn {
			reqs = append(reqs,
				req{"GET /auth/ claim", func() reply { return send("GET", s.url+authPath, "", "Bearer", pending) }, 503})
		}
		replies := make([]reply, len(reqs))
		var wg sync.WaitGroup
		for i, rq := range reqs {
			wg.Go(func() { replies[i] = rq.do() })
		}
		wg.Wait()
		for i, rq := range reqs {
			what := phase + ": " + rq.name
			switch {
			case rq.name == "GET /readyz":
				wantStatus(what, replies[i], 503)
				if replies[i].body != `{"database":"unavailable","redis":"ok"}` {
					t.Errorf("%s: body %s", what, replies[i].body)
				}
			case rq.want == 503:
				wantUnavailable(what, replies[i])
				slowest = max(slowest, replies[i].elapsed)
			default:
				wantStatus(what, replies[i], rq.want)
			}
		}
		t.Logf("%s: %d requests at once, slowest 503 after %v", phase, len(reqs), slowest.Round(time.Millisecond))
		return slowest
	}
	querySetting := func(phase string, slowest time.Duration) {
		t.Helper()
		if slowest < 900*time.Millisecond || slowest > 2500*time.Millisecond {
			t.Errorf("%s: slowest 503 after %v; want about DATABASE_QUERY_TIMEOUT=1s", phase, slowest)
		}
	}
	recoverDB := func(phase string) {
		t.Helper()
		proxy.setMode("forward")
		took := waitFor(t, phase+": recovery", 15*time.Second, func() error {
			if r := send("GET", s.url+"/readyz", ""); r.status != 200 {
				return fmt.Errorf("readyz %v", r)
			}
			return nil
		})
		t.Logf("%s: ready %v after PostgreSQL answered", phase, took.Round(time.Millisecond))
	}

	// 1. Silent from the start.
	querySetting("silent from the start", outage("silent from the start", false, newStoreOn(t, s.url), ""))
	// AUTHING_REQUEST_TIMEOUT bounds a request whose database timeout is
	// longer.
	s2 := startServer(t, append(env, "BS_AUTHING_MIGRATE=false", "BS_DATABASE_QUERY_TIMEOUT=30", "BS_AUTHING_REQUEST_TIMEOUT=1.2"),
		"--database", viaProxy, "--redis", redisURL)
	r := send("POST", s2.url+openAPIToken, formBody(user, pw), "Content-Type", "application/x-www-form-urlencoded")
	if err := r.unavailable(); err != nil || r.elapsed < time.Second || r.elapsed > 2500*time.Millisecond {
		t.Errorf("AUTHING_REQUEST_TIMEOUT=1.2 with a silent database: want 503 after about 1.2 s: %v (%v)", r, err)
	}
	s2.stop(t)
	recoverDB("silent from the start")
	session := signIn(t, s.url, user, pw)
	stale := newStoreOn(t, s.url)
	pending := [2]string{newStoreOn(t, s.url), newStoreOn(t, s.url)}
	for _, p := range pending {
		passwordOn(t, s.url, p, user, pw) // signed in, waiting for a claim
	}

	// 2. Silent mid-run: the pooled connections stop answering too.
	proxy.setMode("silent")
	querySetting("silent mid-run", outage("silent mid-run", true, stale, pending[0]))

	// 3. Connections closed at once.
	proxy.setMode("close")
	outage("closing", true, stale, pending[1])

	recoverDB("after the outages")
	sessionOf(t, send("GET", s.url+authPath, "", "Bearer", session), user)
	sessionOf(t, send("GET", s.url+authPath, "", "Bearer", otherSession), other)
	signIn(t, s.url, user, pw)
	checkLogs(t, s, pw, session, otherSession, stale, pending[0], pending[1])
}

// TestProduction_BazisUsersUser signs in through HTTP a user of the
// users_user table that Bazis's Django migrations create, with a Django
// PBKDF2 hash. The table's columns, indexes and constraints stay as they
// are; the hash is upgraded to the preferred argon2 unless
// AUTHING_UPGRADE_HASHES=false.
func TestProduction_BazisUsersUser(t *testing.T) {
	t.Parallel()
	ddl, err := os.ReadFile("../../userdb/postgres/testdata/bazis_users_user.sql")
	if err != nil {
		t.Fatal(err)
	}
	const (
		id       = "0c7b9c52-3f0e-4d54-9b7e-5a1f3c2d8e61"
		username = "olga.ivanova"
		password = "lètmein"
		hash     = "pbkdf2_sha256$1000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps="
	)
	for _, upgrade := range []bool{true, false} {
		t.Run(fmt.Sprintf("upgrade=%v", upgrade), func(t *testing.T) {
			t.Parallel()
			db, schema := pgDatabase(t)
			c := pgConnect(t, db)
			if _, err := c.Exec(t.Context(), string(ddl)); err != nil {
				t.Fatalf("load the Bazis fixture: %v", err)
			}
			_, err := c.Exec(t.Context(), `INSERT INTO users_user (id, password, last_login, is_superuser, username,
					first_name, last_name, email, is_staff, is_active, date_joined)
				VALUES ($1, $2, NULL, false, $3, 'Ольга', 'Иванова', 'olga@example.com', false, true, now())`, id, hash, username)
			if err != nil {
				t.Fatal(err)
			}
			var django []string
			rows, _ := c.Query(t.Context(), `SELECT tablename FROM pg_tables WHERE schemaname = $1`, schema)
			django, err = pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil || !slices.Contains(django, "users_user") {
				t.Fatalf("fixture tables %v: %v", django, err)
			}
			before := tableShape(t, c, schema, django)

			redisURL := testenv.RedisURL(t)
			_, prefix := redisPrefix(t, redisURL)
			env := prodEnv(db, prefix, "BS_AUTHING_UPGRADE_HASHES="+strconv.FormatBool(upgrade))
			s := startServer(t, env, "--database", db, "--redis", redisURL)
			signIn(t, s.url, username, password)

			if after := tableShape(t, c, schema, django); after != before {
				t.Errorf("the Bazis tables changed:\n--- before\n%s\n--- after\n%s", before, after)
			}
			var stored string
			var lastLogin, firstLogin *time.Time
			err = c.QueryRow(t.Context(), `SELECT password, last_login, dt_first_login FROM users_user WHERE id = $1`, id).
				Scan(&stored, &lastLogin, &firstLogin)
			if err != nil {
				t.Fatal(err)
			}
			if lastLogin == nil || firstLogin == nil {
				t.Errorf("last_login %v, dt_first_login %v: want both set", lastLogin, firstLogin)
			}
			switch {
			case upgrade && !strings.HasPrefix(stored, "argon2$argon2id$"):
				t.Errorf("hash after sign-in = %q, want an argon2 upgrade", stored)
			case !upgrade && stored != hash:
				t.Errorf("hash after sign-in = %q, want it unchanged", stored)
			}
			// The (upgraded) hash still signs in, on the token URL as well.
			signIn(t, s.url, username, password)
			r := send("POST", s.url+openAPIToken, formBody(username, password), "Content-Type", "application/x-www-form-urlencoded")
			if r.status != 200 {
				t.Errorf("token URL: %v", r)
			}
			checkLogs(t, s, password, hash)
		})
	}
}

// tableShape describes the given tables of schema: columns, indexes,
// constraints and triggers (not the rows).
func tableShape(t *testing.T, c *pgx.Conn, schema string, tables []string) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT tablename, tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = ANY($2)`,
		`SELECT table_name, ordinal_position, column_name, data_type, coalesce(character_maximum_length, 0), is_nullable,
			coalesce(column_default, '-') FROM information_schema.columns WHERE table_schema = $1 AND table_name = ANY($2)`,
		`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = ANY($2)`,
		`SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k
			JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = $1 AND c.relname = ANY($2)`,
		`SELECT event_object_table, trigger_name FROM information_schema.triggers
			WHERE event_object_schema = $1 AND event_object_table = ANY($2)`,
	} {
		rows, err := c.Query(t.Context(), q, schema, tables)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprint(v...))
		}
		rows.Close()
		slices.Sort(lines)
		b.WriteString(strings.Join(lines, "\n") + "\n")
	}
	return b.String()
}

// TestBackendSettings: the pool and timeout settings reach the backends'
// options; left at their defaults they pass zero, so that the parameters of
// the database and Redis URLs still apply.
func TestBackendSettings(t *testing.T) {
	load := func(t *testing.T, env map[string]string) (backendConfig, error) {
		t.Helper()
		st, err := loadSettings(func(k string) string { return env[k] }, os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		return backendSettings(st)
	}
	b, err := load(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.postgres.MaxConns != 0 || b.postgres.ConnectTimeout != 0 || b.postgres.QueryTimeout != 3*time.Second ||
		b.redis != (redisstore.ClientOptions{}) || b.requestTimeout != 10*time.Second || !b.migrate {
		t.Errorf("defaults: %+v", b)
	}
	b, err = load(t, map[string]string{
		"BS_DATABASE_MAX_CONNS": "7", "BS_DATABASE_CONNECT_TIMEOUT": "2.5", "BS_DATABASE_QUERY_TIMEOUT": "0.75",
		"BS_REDIS_POOL_SIZE": "9", "BS_REDIS_CONNECT_TIMEOUT": "0.2", "BS_REDIS_TIMEOUT": "0.3",
		"BS_AUTHING_REQUEST_TIMEOUT": "4", "BS_AUTHING_MIGRATE": "false",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := redisstore.ClientOptions{PoolSize: 9, DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond}
	if b.postgres.MaxConns != 7 || b.postgres.ConnectTimeout != 2500*time.Millisecond ||
		b.postgres.QueryTimeout != 750*time.Millisecond || b.redis != want || b.requestTimeout != 4*time.Second || b.migrate {
		t.Errorf("explicit: %+v", b)
	}
	for name, bad := range map[string]string{
		"DATABASE_MAX_CONNS": "-1", "REDIS_POOL_SIZE": "many", "DATABASE_QUERY_TIMEOUT": "0",
		"REDIS_TIMEOUT": "1s", "AUTHING_REQUEST_TIMEOUT": "-3", "REDIS_CONNECT_TIMEOUT": "NaN", "AUTHING_MIGRATE": "maybe",
	} {
		if _, err := load(t, map[string]string{"BS_" + name: bad}); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err = %v, want one naming the setting", name, bad, err)
		}
	}
}
