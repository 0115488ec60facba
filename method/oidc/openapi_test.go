package oidc_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"authing.dev/authing"
	"authing.dev/authing/internal/openapitest"
)

// TestOpenAPI_Contract runs the Google flows through a recorder and
// validates every answer against the service's OpenAPI document: the browser
// flow (init, provider, callback), its refusals, and the verify route.
func TestOpenAPI_Contract(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.op.SetAccount(account("1001", "g@site.com", true))
	rec := &openapitest.Recorder{Handler: e.svc}
	rs := httptest.NewServer(rec)
	t.Cleanup(rs.Close)
	p := e.method.Provider()
	newStore := func() string {
		r := e.get(rs.URL + prefix + "/auth/")
		var env struct {
			Errors []struct {
				Meta struct{ Token string } `json:"meta"`
			} `json:"errors"`
		}
		json.Unmarshal(r.body, &env)
		return env.Errors[0].Meta.Token
	}
	bearer := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

	// The browser flow, as a window does it.
	s := newStore()
	init := e.get(rs.URL + prefix + p.InitPath + "?bazis_auth=" + s)
	if init.StatusCode != http.StatusFound {
		t.Fatalf("init: %s", init)
	}
	binding := ""
	for _, sc := range init.Header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "authing_oidc_") {
			binding, _, _ = strings.Cut(sc, ";")
		}
	}
	authz := e.get(init.Header.Get("Location"))
	cb, err := url.Parse(authz.Header.Get("Location"))
	if err != nil || authz.StatusCode != http.StatusFound {
		t.Fatalf("provider: %s", authz)
	}
	if r := e.get(rs.URL+prefix+p.CallbackPath+"?"+cb.RawQuery, "Cookie", binding); r.StatusCode != 200 {
		t.Fatalf("callback: %s", r)
	}
	e.get(rs.URL + prefix + p.CallbackPath + "?" + cb.RawQuery) // the state is spent: 400
	e.get(rs.URL + prefix + p.CallbackPath)                     // no state: 400
	e.get(rs.URL + prefix + p.InitPath)                         // no store: 401
	// A callback without the binding cookie: the closing page, an error in the store.
	s2 := newStore()
	init = e.get(rs.URL + prefix + p.InitPath + "?bazis_auth=" + s2)
	authz = e.get(init.Header.Get("Location"))
	cb, _ = url.Parse(authz.Header.Get("Location"))
	e.get(rs.URL + prefix + p.CallbackPath + "?" + cb.RawQuery)
	e.get(rs.URL+prefix+"/auth/", bearer(s2)...) // GOOGLE_AUTH_ERROR

	// The verify route of mobile SDKs.
	v := rs.URL + prefix + p.VerifyPath
	id, access := e.sdkTokens(account("1002", "m@site.com", true), nil)
	body, _ := json.Marshal(map[string]string{"id_token": id, "access_token": access})
	e.do("POST", v, body, append(bearer(newStore()), "Content-Type", "application/json")...) // 303
	e.do("POST", v, nil, bearer(newStore())...)                                              // 400
	e.do("POST", v, []byte(`{"id_token":1}`), append(bearer(newStore()), "Content-Type", "application/json")...)
	e.do("POST", v, []byte(`{bad`), "Content-Type", "application/json") // 422 before the token
	e.do("POST", v, body, "Content-Type", "application/json")           // 401

	doc := openapitest.Load(t, e.svc.OpenAPI())
	seen := openapitest.Validate(t, doc, authing.OpenAPISchemaErrors, rec.Exchanges())
	for _, k := range []string{"GET " + prefix + p.InitPath + " 302", "GET " + prefix + p.InitPath + " 401",
		"GET " + prefix + p.CallbackPath + " 200", "GET " + prefix + p.CallbackPath + " 400",
		"POST " + prefix + p.VerifyPath + " 303", "POST " + prefix + p.VerifyPath + " 400",
		"POST " + prefix + p.VerifyPath + " 401", "POST " + prefix + p.VerifyPath + " 422"} {
		if !seen[k] {
			t.Errorf("the contract run never saw %s", k)
		}
	}
	var unseen []string
	for _, k := range openapitest.Unseen(doc, seen) {
		if strings.Contains(k, "google") {
			unseen = append(unseen, k)
		}
	}
	sort.Strings(unseen)
	t.Logf("%d exchanges validated; not exercised: %v", len(rec.Exchanges()), unseen)
	if op := doc.Paths.Value(prefix + p.InitPath).Get; op == nil || op.OperationID != "google_auth_init" {
		t.Errorf("the init route is not described as google_auth_init")
	}
}
