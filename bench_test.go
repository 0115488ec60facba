package authing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/method/password"
	"authing.dev/authing/store/memstore"
)

// The hot paths of the service, in-process: tokens, and GET /auth/ in each
// of its states through Service.ServeHTTP with an httptest.ResponseRecorder
// (no network). The load tool cmd/authing-bench measures the same paths over
// loopback HTTP; bench/README.md has the figures and the targets.

const benchKey = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func benchKeys(b *testing.B) *authing.Keys {
	k, err := authing.NewKeys(authing.HS256, testSecret, "an-old-secret-key-of-at-least-32-chars")
	if err != nil {
		b.Fatal(err)
	}
	return k
}

func BenchmarkStoreToken(b *testing.B) {
	k := benchKeys(b)
	b.ReportAllocs()
	for b.Loop() {
		k.StoreToken(benchKey)
	}
}

func BenchmarkParseStoreToken(b *testing.B) {
	k := benchKeys(b)
	tok := k.StoreToken(benchKey)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.ParseStoreToken(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSessionToken(b *testing.B) {
	k := benchKeys(b)
	now := time.Unix(1767225600, 0)
	b.ReportAllocs()
	for b.Loop() {
		k.SessionToken("user1", now, authing.DefaultSessionLifetime, password.Code)
	}
}

func BenchmarkParseSessionToken(b *testing.B) {
	k := benchKeys(b)
	now := time.Now()
	tok := k.SessionToken("user1", now, authing.DefaultSessionLifetime, password.Code)
	b.Run("Valid", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := k.ParseSessionToken(tok, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A store token is the common "not a session" case of GET /auth/.
	st := k.StoreToken(benchKey)
	b.Run("StoreToken", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := k.ParseSessionToken(st, now); err != authing.ErrNotSessionToken {
				b.Fatal(err)
			}
		}
	})
}

// benchService is a Service on the memory store and in-memory users, with
// the password method, as `authing serve` wires it (without the database).
type benchService struct {
	svc   *authing.Service
	store *memstore.Store
	user  authing.User
}

func newBenchService(b *testing.B, cfg authing.Config) *benchService {
	b.Helper()
	users := &authingtest.Users{}
	store := memstore.New(memstore.Options{})
	b.Cleanup(func() { store.Close() })
	cfg.SecretKey = testSecret
	svc, err := authing.New(cfg, store, users, password.New(users, password.Options{Hasher: fakeHasher{}}))
	if err != nil {
		b.Fatal(err)
	}
	u, err := users.CreateUser(context.Background(), authing.NewUser{Username: "user1", Email: "user1@site.com", IsActive: true})
	if err != nil {
		b.Fatal(err)
	}
	return &benchService{svc: svc, store: store, user: u}
}

// fakeHasher keeps password work out of the handler benchmarks (the hashers
// package measures it).
type fakeHasher struct{}

func (fakeHasher) Verify(pw, enc string) (bool, bool, error) { return pw == enc, false, nil }
func (fakeHasher) Encode(pw string) (string, error)          { return pw, nil }
func (fakeHasher) VerifyDummy(string)                        {}

// get serves GET /auth/ and checks the status. The request and the
// response writer are reused, so that the figures are of the service alone.
func (bs *benchService) get(b testing.TB, req *http.Request, w *benchWriter, want int) {
	w.reset()
	bs.svc.ServeHTTP(w, req)
	if w.code != want {
		b.Fatalf("GET /auth/ = %d, want %d: %s", w.code, want, w.body)
	}
}

func authRequest(token string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, authing.DefaultPrefix+"/auth/", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// benchWriter is a ResponseWriter that keeps the status and the body of
// one answer and allocates nothing once warm.
type benchWriter struct {
	h    http.Header
	code int
	body []byte
}

func newBenchWriter() *benchWriter { return &benchWriter{h: http.Header{}} }

func (w *benchWriter) reset() {
	clear(w.h)
	w.code, w.body = 0, w.body[:0]
}

func (w *benchWriter) Header() http.Header { return w.h }

func (w *benchWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *benchWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.body = append(w.body, p...)
	return len(p), nil
}

// BenchmarkAuth measures GET /auth/ in each state:
//
//   - Anonymous: no token; a new store is created (400).
//   - StoreErrors: a store that is not signed in and carries two sign-in
//     errors (400, the same store).
//   - Claim: a signed-in store is claimed (200); each iteration also puts
//     the signed-in store into the memory store.
//   - Refresh: a session token is refreshed (200), the most frequent request.
func BenchmarkAuth(b *testing.B) {
	b.Run("Anonymous", func(b *testing.B) {
		bs := newBenchService(b, authing.Config{})
		req, w := authRequest(""), newBenchWriter()
		b.ReportAllocs()
		for b.Loop() {
			bs.get(b, req, w, http.StatusBadRequest)
		}
	})
	b.Run("StoreErrors", func(b *testing.B) {
		bs := newBenchService(b, authing.Config{})
		d := authing.StoreData{Errors: []authing.StoreError{
			{Code: authing.CodeUsernamePasswordError, Detail: authing.DetailCredentialsInvalid},
			{Code: authing.CodeUsernamePasswordError, Detail: authing.DetailCredentialsInvalid}}}
		if err := bs.store.Put(context.Background(), authing.StoreKeyPrefix+benchKey, d, time.Hour); err != nil {
			b.Fatal(err)
		}
		req, w := authRequest(bs.svc.Keys().StoreToken(benchKey)), newBenchWriter()
		b.ReportAllocs()
		for b.Loop() {
			bs.get(b, req, w, http.StatusBadRequest)
		}
	})
	b.Run("Claim", func(b *testing.B) {
		bs := newBenchService(b, authing.Config{})
		req, w := authRequest(bs.svc.Keys().StoreToken(benchKey)), newBenchWriter()
		d := authing.StoreData{UserID: bs.user.ID, AuthType: password.Code}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if err := bs.store.Put(ctx, authing.StoreKeyPrefix+benchKey, d, time.Minute); err != nil {
				b.Fatal(err)
			}
			bs.get(b, req, w, http.StatusOK)
		}
	})
	b.Run("Refresh", func(b *testing.B) {
		bs := newBenchService(b, authing.Config{})
		req, w := authRequest(bs.svc.IssueSession(bs.user, password.Code)), newBenchWriter()
		b.ReportAllocs()
		for b.Loop() {
			bs.get(b, req, w, http.StatusOK)
		}
	})
}

// refreshAllocBudget is the most heap allocations one session refresh
// (GET /auth/ with a session token, the user cached) may make in the
// service, the request and the response writer being reused. Profiled at 11
// (Go 1.26): five header values, Content-Length, the new token, the answer's
// buffer, the user, the token's claims; the margin of 3 leaves room for a
// header or two, not for a JSON reflection or a database read (10 and more
// each). Allocation counts are deterministic, so the benchmark enforces it;
// bench/README.md has the history.
const refreshAllocBudget = 14

// BenchmarkAuth_RefreshAllocs measures the allocations of a session refresh
// and fails when they exceed refreshAllocBudget. It runs in the CI smoke
// (go test -bench); under the race detector counts vary and are not checked.
func BenchmarkAuth_RefreshAllocs(b *testing.B) {
	bs := newBenchService(b, authing.Config{})
	req, w := authRequest(bs.svc.IssueSession(bs.user, password.Code)), newBenchWriter()
	bs.get(b, req, w, http.StatusOK) // warm the user cache and the writer
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := 0
	for b.Loop() {
		bs.get(b, req, w, http.StatusOK)
		n++
	}
	runtime.ReadMemStats(&after)
	allocs := float64(after.Mallocs-before.Mallocs) / float64(n)
	b.ReportMetric(allocs, "allocs/refresh")
	if allocs > refreshAllocBudget && !raceEnabled() {
		b.Errorf("a session refresh makes %.1f allocations; the budget is %d", allocs, refreshAllocBudget)
	}
}

func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}
