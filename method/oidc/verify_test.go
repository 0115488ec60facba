package oidc_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"authing.dev/authing/method/oidc/oidctest"
)

// verify posts a JSON body to google-auth-verify/ with the store as bearer.
func (e *env) verify(store string, body any) resp {
	e.t.Helper()
	b, _ := json.Marshal(body)
	return e.do(http.MethodPost, prefix+e.method.Provider().VerifyPath, b,
		"Content-Type", "application/json", "Authorization", "Bearer "+store)
}

// sdkTokens mints what a mobile SDK gets from the provider for an account:
// an ID token for our client and an access token whose userinfo is info.
func (e *env) sdkTokens(claims map[string]any, info map[string]any) (idToken, accessToken string) {
	return e.op.IDToken(e.op.Claims(claims, nil)), e.op.NewAccessToken(info)
}

// want303 asserts the Bazis 303 to /auth/ with the store cookie.
func want303(t *testing.T, r resp, store string, maxAge int) {
	t.Helper()
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != prefix+"/auth/" || len(r.body) != 0 {
		t.Fatalf("verify: %s Location %q, want 303 to %s/auth/", r, r.Header.Get("Location"), prefix)
	}
	want := "bazis_auth=" + store + "; HttpOnly; Max-Age=" + itoa(maxAge) + "; Path=/; SameSite=lax; Secure"
	if got := r.Header.Get("Set-Cookie"); got != want {
		t.Errorf("Set-Cookie = %q\nwant %q", got, want)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// T5: the SDK flow. The ID token says 1001/g@site.com (verified); userinfo
// of the access token is another account, whose names are ignored.
func TestT5_GoogleSignIn(t *testing.T) {
	e := newEnv(t, envOptions{})
	s := e.newStore()
	id, access := e.sdkTokens(account("1001", "g@site.com", true),
		map[string]any{"sub": "2002", "email": "other@site.com", "given_name": "Other"})
	r := e.verify(s, map[string]string{"id_token": id, "access_token": access})
	want303(t, r, s, 60)
	if u, _ := url.Parse(r.Header.Get("Location")); u.RawQuery != "" || strings.Contains(r.Header.Get("Location"), s) {
		t.Errorf("Location %q", r.Header.Get("Location"))
	}
	m := e.signedIn(s, "1001")
	if m["email"] != "g@site.com" || m["first_name"] != "" {
		t.Errorf("session %v: userinfo of another account must be ignored", m)
	}
	if h := e.op.Hits(); h.Userinfo != 1 {
		t.Errorf("userinfo requests = %d, want 1", h.Userinfo)
	}
	e.noTokensInURLs(s, m["token"].(string), id, access)
	e.noTokensInLogs(s, id, access, m["token"].(string))
}

// Userinfo of the same account fills the names the ID token lacks, never
// the email.
func TestGoogle_VerifyUserinfoSameAccount(t *testing.T) {
	e := newEnv(t, envOptions{})
	s := e.newStore()
	id, access := e.sdkTokens(account("1001", "g@site.com", true, "family_name", "Token"),
		map[string]any{"sub": "1001", "email": "changed@site.com", "given_name": "Info", "family_name": "Info"})
	want303(t, e.verify(s, map[string]string{"id_token": id, "access_token": access}), s, 60)
	m := e.signedIn(s, "1001")
	if m["email"] != "g@site.com" || m["first_name"] != "Info" || m["last_name"] != "Token" {
		t.Errorf("session %v", m)
	}
}

// T6: the tokens in a JSON body, in the deprecated query form, and neither.
func TestT6_GoogleVerifyTokensInBody(t *testing.T) {
	e := newEnv(t, envOptions{})
	s := e.newStore()
	api := []string{"Content-Type", "application/vnd.api+json", "Authorization", "Bearer " + s}

	// 1. JSON body (the Bazis test client's content type).
	id, access := e.sdkTokens(account("1001", "g@site.com", true), map[string]any{"sub": "1001"})
	b, _ := json.Marshal(map[string]string{"id_token": id, "access_token": access})
	want303(t, e.do(http.MethodPost, prefix+"/google-auth-verify/", b, api...), s, 60)

	// 2. No body, the tokens in the query (deprecated).
	id2, access2 := e.sdkTokens(account("1002", "h@site.com", true), map[string]any{"sub": "1002"})
	r := e.do(http.MethodPost, prefix+"/google-auth-verify/?id_token="+id2+"&access_token="+access2, nil, api...)
	want303(t, r, s, 60)
	e.signedIn(s, "1002") // the second sign-in replaced the first on the same store

	// 3. Neither.
	s3 := e.newStore()
	r = e.do(http.MethodPost, prefix+"/google-auth-verify/", nil, "Content-Type", "application/vnd.api+json", "Authorization", "Bearer "+s3)
	if r.StatusCode != http.StatusBadRequest || string(r.body) != `{"errors":[{"status":400,"detail":"Missing id_token or access_token"}]}` {
		t.Errorf("verify without tokens: %s", r)
	}
	r = e.do(http.MethodPost, prefix+"/google-auth-verify/?id_token=x", nil, "Authorization", "Bearer "+s3)
	if r.StatusCode != http.StatusBadRequest {
		t.Errorf("verify with one token in the query: %s", r)
	}
}

// The verify route's other answers: 422 for a body missing a token or not
// JSON (malformed JSON before the store), 401 without a store, and the 303
// with Max-Age=CL and GOOGLE_AUTH_ERROR for a refused token.
func TestGoogle_VerifyAnswers(t *testing.T) {
	e := newEnv(t, envOptions{})
	s := e.newStore()
	jsonCT := []string{"Content-Type", "application/json", "Authorization", "Bearer " + s}

	r := e.do(http.MethodPost, prefix+"/google-auth-verify/", []byte(`{"id_token":"x"}`), jsonCT...)
	if r.StatusCode != 422 || string(r.body) != `{"errors":[{"status":422,"title":"missing","code":"ERR_VALIDATE","detail":"Field required","source":{"pointer":"/access_token"}}]}` {
		t.Errorf("body without access_token: %s", r)
	}
	r = e.do(http.MethodPost, prefix+"/google-auth-verify/", []byte(`{"id_token":1,"access_token":"a"}`), jsonCT...)
	if r.StatusCode != 422 || !strings.Contains(string(r.body), `"title":"string_type"`) {
		t.Errorf("non-string id_token: %s", r)
	}
	r = e.do(http.MethodPost, prefix+"/google-auth-verify/", []byte(`{bad`), "Content-Type", "application/json")
	if r.StatusCode != 422 || !strings.Contains(string(r.body), `"json_invalid"`) {
		t.Errorf("malformed JSON without a token: %s, want 422 before the 401", r)
	}
	r = e.do(http.MethodPost, prefix+"/google-auth-verify/", []byte(`{"id_token":"x","access_token":"y"}`), "Content-Type", "application/json")
	if r.StatusCode != 401 || string(r.body) != `{"errors":[{"status":401,"code":"ERR_UNAUTHORIZED","detail":"Token required"}]}` {
		t.Errorf("no store: %s", r)
	}

	// A garbage ID token: 303, the cookie for CL, GOOGLE_AUTH_ERROR.
	want303(t, e.verify(s, map[string]string{"id_token": "garbage", "access_token": "y"}), s, 600)
	// An ID token for another client.
	other := e.op.IDToken(e.op.Claims(account("1001", "g@site.com", true), map[string]any{"aud": "another-client"}))
	want303(t, e.verify(s, map[string]string{"id_token": other, "access_token": "y"}), s, 600)
	// An expired one.
	old := e.op.IDToken(e.op.Claims(account("1001", "g@site.com", true), map[string]any{"exp": e.clk.Now().Add(-time.Minute).Unix()}))
	want303(t, e.verify(s, map[string]string{"id_token": old, "access_token": "y"}), s, 600)
	// alg none, and a key the provider does not publish.
	none := oidctest.SignNone(e.op.Claims(account("1001", "g@site.com", true), nil))
	want303(t, e.verify(s, map[string]string{"id_token": none, "access_token": "y"}), s, 600)
	forged := oidctest.SignRS256(oidctest.NewKey(t), "kid-x", e.op.Claims(account("1001", "g@site.com", true), nil))
	want303(t, e.verify(s, map[string]string{"id_token": forged, "access_token": "y"}), s, 600)

	codes, details := e.storeErrors(s)
	wantCodes(t, codes, []string{"GOOGLE_AUTH_ERROR", "GOOGLE_AUTH_ERROR", "GOOGLE_AUTH_ERROR", "GOOGLE_AUTH_ERROR", "GOOGLE_AUTH_ERROR"})
	for _, d := range details {
		if d != "Google authentication failed" {
			t.Errorf("detail %q", d)
		}
	}
	if list, _ := e.users.ListUsers(t.Context()); len(list) != 0 {
		t.Errorf("refused tokens created users: %+v", list)
	}
}

// Tokens with unknown key ids make authing fetch the provider's keys again
// at most once per KeyRefreshInterval (default 1 min), however many arrive.
func TestGoogle_UnknownKeyIDsDoNotHammerTheProvider(t *testing.T) {
	e := newEnv(t, envOptions{})
	key := oidctest.NewKey(t)
	s := e.newStore()
	// A good token first: discovery and the first key fetch.
	id, access := e.sdkTokens(account("1001", "g@site.com", true), map[string]any{"sub": "1001"})
	want303(t, e.verify(s, map[string]string{"id_token": id, "access_token": access}), s, 60)
	before := e.op.Hits().JWKS
	forge := func(kid string) {
		forged := oidctest.SignRS256(key, kid, e.op.Claims(account("1001", "g@site.com", true), nil))
		e.verify(e.newStore(), map[string]string{"id_token": forged, "access_token": "y"})
	}
	for i := range 20 {
		forge("kid-" + itoa(i))
	}
	if got := e.op.Hits().JWKS - before; got != 0 {
		t.Errorf("20 tokens with unknown key ids right after a key fetch caused %d more, want 0", got)
	}
	e.clk.Advance(61 * time.Second)
	for i := range 20 {
		forge("kid-late-" + itoa(i))
	}
	if got := e.op.Hits().JWKS - before; got != 1 {
		t.Errorf("after the interval, 20 unknown key ids caused %d key fetches, want 1", got)
	}
	if h := e.op.Hits(); h.Discovery != 1 {
		t.Errorf("discovery requests = %d, want 1 (cached)", h.Discovery)
	}
}
