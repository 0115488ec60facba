package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/hashers"
	"authing.dev/authing/method/password"
	"authing.dev/authing/metrics"
	"authing.dev/authing/store/memstore"
)

const secret = "metrics-test-secret-key-of-32-characters"

// metrics.Hasher is password.Hasher: a decorated hasher plugs into the method.
var _ password.Hasher = metrics.Hasher(nil)

// refuse throttles the username "throttled".
type refuse struct{}

func (refuse) Allow(_ context.Context, username, _ string) (int, error) {
	if username == "throttled" {
		return 3, nil
	}
	return 0, nil
}
func (refuse) Done(context.Context, string, string, bool) {}

// TestMetrics_WireRun runs the Bazis wire suite against a service wired with
// every collector and checks that the counters moved.
func TestMetrics_WireRun(t *testing.T) {
	m := metrics.New(metrics.Options{})
	users := &authingtest.Users{}
	ms := memstore.New(memstore.Options{})
	t.Cleanup(func() { ms.Close() })
	hs := m.Hasher(hashers.NewSet(hashers.PBKDF2SHA256{Iterations: 1000}))
	svc, err := authing.New(authing.Config{SecretKey: secret, Events: m.Events, RevokeOnLogout: true}, m.Store(ms, "memory"), users,
		password.New(users, password.Options{Hasher: hs, Limiter: refuse{}}))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", m.Middleware(svc))
	mux.Handle("GET /metrics", m.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	before := scrape(t, srv.URL)
	authingtest.TestWire(t, authingtest.Target{
		BaseURL: srv.URL, Secret: secret,
		Seed: func(t *testing.T, u authing.NewUser, pw string) string {
			u.PasswordHash, _ = hs.Encode(pw)
			nu, err := users.CreateUser(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			return nu.ID
		},
		SetActive: func(t *testing.T, id string, active bool) { users.SetActive(context.Background(), id, active) },
	})
	res, err := http.Post(srv.URL+"/api/openapi-token/", "application/x-www-form-urlencoded", strings.NewReader("username=throttled&password=x"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// A logout with a session token revokes it (RevokeOnLogout).
	h, _ := hs.Encode("pw-1")
	users.CreateUser(context.Background(), authing.NewUser{Username: "revoked", PasswordHash: h, IsActive: true})
	u, _ := users.UserByUsername(context.Background(), "revoked")
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/authing/logout/", nil)
	req.Header.Set("Authorization", "Bearer "+svc.IssueSession(u, "password"))
	if res, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	after := scrape(t, srv.URL)

	for _, series := range []string{
		`authing_sign_ins_total{method="password",outcome="success"}`,
		`authing_sign_ins_total{method="password",outcome="failure"}`,
		`authing_claims_total{method="password"}`,
		`authing_session_refreshes_total{method="password"}`,
		`authing_logouts_total`,
		`authing_events_total{kind="login.success"}`,
		`authing_store_operations_total{backend="memory",op="put"}`,
		`authing_store_operations_total{backend="memory",op="get"}`,
		`authing_store_operations_total{backend="memory",op="claim"}`,
		`authing_store_operations_total{backend="memory",op="delete"}`,
		`authing_store_claims_total{backend="memory",result="won"}`,
		`authing_store_operation_duration_seconds_count{backend="memory",op="get"}`,
		`authing_password_hash_duration_seconds_count{op="verify"}`,
		`authing_password_hash_duration_seconds_count{op="dummy"}`,
		`authing_password_hash_duration_seconds_count{op="encode"}`,
		`authing_http_request_duration_seconds_count{method="GET",route="/api/v1/authing/auth/",status="200"}`,
		`authing_http_request_duration_seconds_count{method="GET",route="/api/v1/authing/auth/",status="400"}`,
		`authing_http_request_duration_seconds_count{method="POST",route="/api/v1/authing/password/",status="303"}`,
		`authing_http_request_duration_seconds_count{method="POST",route="/api/openapi-token/",status="401"}`,
		`authing_http_request_duration_seconds_count{method="GET",route="/",status="404"}`,
		`authing_throttled_total{method="password"}`,
		`authing_sign_ins_total{method="password",outcome="throttled"}`,
		`authing_revocations_total{scope="session"}`,
	} {
		if after[series] <= before[series] {
			t.Errorf("%s did not move: %v → %v", series, before[series], after[series])
		}
	}
	if after[`go_goroutines`] == 0 || after[`process_start_time_seconds`] == 0 {
		t.Error("the Go runtime and process metrics are missing")
	}
	for s := range after {
		if strings.Contains(s, "route=") && strings.Contains(s, "{$}") {
			t.Errorf("route label keeps the pattern syntax: %s", s)
		}
	}
}

// TestMetrics_StoreErrors counts a failing backend's errors.
func TestMetrics_StoreErrors(t *testing.T) {
	m := metrics.New(metrics.Options{})
	s := m.Store(failing{}, "redis")
	ctx := context.Background()
	s.Put(ctx, "k", authing.StoreData{}, time.Second)
	s.Get(ctx, "k")
	s.Claim(ctx, "k")
	s.Delete(ctx, "k")
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	got := scrape(t, srv.URL)
	for _, op := range []string{"put", "get", "claim", "delete"} {
		if got[`authing_store_errors_total{backend="redis",op="`+op+`"}`] != 1 {
			t.Errorf("errors of %s not counted", op)
		}
	}
	if got[`authing_store_claims_total{backend="redis",result="won"}`] != 0 {
		t.Error("a failed claim counted as won")
	}
}

type failing struct{}

func (failing) Put(context.Context, string, authing.StoreData, time.Duration) error {
	return authing.ErrUnavailable
}
func (failing) Get(context.Context, string) (authing.StoreData, bool, error) {
	return authing.StoreData{}, false, authing.ErrUnavailable
}
func (failing) Claim(context.Context, string) (authing.StoreData, bool, error) {
	return authing.StoreData{}, false, authing.ErrUnavailable
}
func (failing) Delete(context.Context, string) error { return authing.ErrUnavailable }

var sample = regexp.MustCompile(`^([a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$`)

// scrape reads /metrics (or the handler at base) into series → value.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	url := base
	if !strings.HasSuffix(base, "/metrics") {
		url = base + "/metrics"
	}
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("metrics: %d %s", res.StatusCode, b)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		if m := sample.FindStringSubmatch(line); m != nil {
			v, _ := strconv.ParseFloat(m[2], 64)
			out[m[1]] = v
		}
	}
	return out
}
