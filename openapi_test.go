package authing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/hashers"
	"authing.dev/authing/internal/openapitest"
	"authing.dev/authing/method/password"
	"authing.dev/authing/store/memstore"
)

// throttleUser refuses every attempt for the username "throttled".
type throttleUser struct{}

func (throttleUser) Allow(_ context.Context, username, _ string) (int, error) {
	if username == "throttled" {
		return 7, nil
	}
	return 0, nil
}
func (throttleUser) Done(context.Context, string, string, bool) {}

// flakyStore fails every operation while down is set.
type flakyStore struct {
	authing.Store
	down atomic.Bool
}

func (f *flakyStore) Get(ctx context.Context, k string) (authing.StoreData, bool, error) {
	if f.down.Load() {
		return authing.StoreData{}, false, fmt.Errorf("flaky: %w", authing.ErrUnavailable)
	}
	return f.Store.Get(ctx, k)
}

func (f *flakyStore) Delete(ctx context.Context, k string) error {
	if f.down.Load() {
		return fmt.Errorf("flaky: %w", authing.ErrUnavailable)
	}
	return f.Store.Delete(ctx, k)
}

func (f *flakyStore) Put(ctx context.Context, k string, d authing.StoreData, ttl time.Duration) error {
	if f.down.Load() {
		return fmt.Errorf("flaky: %w", authing.ErrUnavailable)
	}
	return f.Store.Put(ctx, k, d, ttl)
}

// TestOpenAPI_Contract runs the whole Bazis wire suite (and a few answers it
// does not reach: throttling, a failing store, a method that does not
// describe itself) through a recorder, then validates every response against
// {prefix}/openapi.json: its status must be documented for the operation and
// its headers and body must match. The document cannot drift from the code.
func TestOpenAPI_Contract(t *testing.T) {
	clock := authingtest.NewClock(time.Now())
	users := &authingtest.Users{Clock: clock.Now}
	ms := memstore.New(memstore.Options{Now: clock.Now})
	t.Cleanup(func() { ms.Close() })
	store := &flakyStore{Store: ms}
	hs := hashers.NewSet(hashers.PBKDF2SHA256{Iterations: 1000})
	svc, err := authing.New(authing.Config{SecretKey: testSecret, CookieLifetime: 60 * time.Second, Now: clock.Now}, store, users,
		password.New(users, password.Options{Hasher: hs, Limiter: throttleUser{}}))
	if err != nil {
		t.Fatal(err)
	}
	// A second service, under another prefix, with a method that does not
	// describe itself and records next actions.
	svc2, err := authing.New(authing.Config{SecretKey: testSecret, Prefix: "/other", Now: clock.Now}, ms, users,
		password.New(users, password.Options{Hasher: hs}), &stepMethod{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", svc)
	mux.Handle("/other/", svc2)
	rec := &openapitest.Recorder{Handler: mux}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	ts := &testServer{Server: srv, svc: svc, users: users, clock: clock, hasher: hs}

	authingtest.TestWire(t, ts.target(t))

	// Answers the wire suite does not reach.
	p := svc.Path
	form := "application/x-www-form-urlencoded"
	send(t, "POST", srv.URL+p("/password/token/"), []byte("username=throttled&password=x"), "Content-Type", form)
	_, body := get(t, srv.URL+p("/auth/"))
	var anon struct {
		Errors []struct {
			Meta struct{ Token string } `json:"meta"`
		} `json:"errors"`
	}
	json.Unmarshal(body, &anon)
	store1 := anon.Errors[0].Meta.Token
	send(t, "POST", srv.URL+p("/password/"), []byte(`{"username":"throttled","password":"x"}`),
		"Content-Type", "application/json", "Authorization", "Bearer "+store1)
	get(t, srv.URL+p("/auth/"), "Authorization", "Bearer "+store1) // TOO_MANY_ATTEMPTS in the store
	_, body = get(t, srv.URL+svc2.Path("/auth/"))
	json.Unmarshal(body, &anon)
	store2 := anon.Errors[0].Meta.Token
	send(t, "POST", srv.URL+svc2.Path("/step/"), nil, "Authorization", "Bearer "+store2) // an undocumented method
	get(t, srv.URL+svc2.Path("/auth/"), "Authorization", "Bearer "+store2)               // next action, errors
	get(t, srv.URL+svc2.Path("/openapi.json"))
	send(t, "POST", srv.URL+p("/password/"), bytes.Repeat([]byte("x"), 70<<10), "Content-Type", "application/json")
	get(t, srv.URL+p("/openapi.json"))
	send(t, "POST", srv.URL+p("/openapi.json"), nil)
	store.down.Store(true)
	get(t, srv.URL+p("/auth/"))
	send(t, "POST", srv.URL+p("/logout/"), nil, "Authorization", "Bearer "+store1)
	store.down.Store(false)

	doc, doc2 := openapitest.Load(t, svc.OpenAPI()), openapitest.Load(t, svc2.OpenAPI())
	var main, other []openapitest.Exchange
	for _, ex := range rec.Exchanges() {
		if strings.HasPrefix(ex.Request.URL.Path, "/other/") {
			other = append(other, ex)
		} else {
			main = append(main, ex)
		}
	}
	if len(main) < 100 {
		t.Fatalf("only %d exchanges recorded", len(main))
	}
	seen := openapitest.Validate(t, doc, authing.OpenAPISchemaErrors, main)
	for k := range openapitest.Validate(t, doc2, authing.OpenAPISchemaErrors, other) {
		seen[k] = true
	}
	// Every documented answer of the core and the password method is seen,
	// except those no test can provoke without breaking the service.
	unseen := openapitest.Unseen(doc, seen)
	sort.Strings(unseen)
	t.Logf("%d exchanges validated; documented answers not exercised: %v", len(main)+len(other), unseen)
	for _, k := range []string{"GET " + p("/auth/") + " 200", "GET " + p("/auth/") + " 400", "GET " + p("/auth/") + " 503",
		"POST " + p("/password/") + " 303", "POST " + p("/password/") + " 401", "POST " + p("/password/") + " 422",
		"POST " + p("/password/") + " 413", "POST " + p("/password/token/") + " 200", "POST " + p("/password/token/") + " 401",
		"POST " + p("/password/token/") + " 429", "POST /api/openapi-token/ 200", "POST " + p("/logout/") + " 204",
		"POST " + p("/logout/") + " 503", "GET " + p("/openapi.json") + " 200",
		"POST /other/step/ 303", "GET /other/auth/ 400"} {
		if !seen[k] {
			t.Errorf("the contract run never saw %s", k)
		}
	}
}

// TestOpenAPI_Document checks what Swagger UI needs: the OAuth2 password
// flow on {prefix}/password/token/, security on GET /auth/, every route.
func TestOpenAPI_Document(t *testing.T) {
	s := newTestServer(t, authing.Config{Prefix: "/auth/v2", OpenAPITokenURL: "-"}, &stepMethod{})
	res, body := get(t, s.URL+"/auth/v2/openapi.json")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			SecuritySchemes map[string]struct {
				Type  string `json:"type"`
				Flows struct {
					Password struct {
						TokenURL string `json:"tokenUrl"`
					} `json:"password"`
				} `json:"flows"`
			} `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	sch := doc.Components.SecuritySchemes[authing.OpenAPISecurityBearer]
	if sch.Type != "oauth2" || sch.Flows.Password.TokenURL != "/auth/v2/password/token/" {
		t.Errorf("security scheme %+v", sch)
	}
	var paths []string
	for p, item := range doc.Paths {
		for m := range item {
			paths = append(paths, strings.ToUpper(m)+" "+p)
		}
	}
	sort.Strings(paths)
	want := []string{"GET /auth/v2/auth/", "GET /auth/v2/openapi.json", "POST /auth/v2/logout/", "POST /auth/v2/password/",
		"POST /auth/v2/password/token/", "POST /auth/v2/step/"}
	if !slices.Equal(paths, want) {
		t.Errorf("operations %v, want %v (the token URL is off)", paths, want)
	}
	sec, _ := json.Marshal(doc.Paths["/auth/v2/auth/"]["get"]["security"])
	if string(sec) != `[{"OAuth2PasswordBearer":[]},{}]` {
		t.Errorf("GET /auth/ security %s", sec)
	}
	if s := doc.Paths["/auth/v2/step/"]["post"]["summary"]; s != "Undocumented route" {
		t.Errorf("a method that does not describe itself: %v", s)
	}
	res, _ = send(t, "DELETE", s.URL+"/auth/v2/openapi.json", nil)
	if res.StatusCode != 405 || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("DELETE openapi.json: %d %q", res.StatusCode, res.Header.Get("Allow"))
	}
}
