package oidc_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"authing.dev/authing"
	"authing.dev/authing/method/oidc"
	"authing.dev/authing/method/oidc/oidctest"
)

// signInSDK runs one verify sign-in of claims on a new store and returns the
// store and, when it failed, the error codes and details.
func (e *env) signInSDK(claims map[string]any) (store string, codes, details []string) {
	e.t.Helper()
	store = e.newStore()
	id, access := e.sdkTokens(claims, map[string]any{"sub": claims["sub"]})
	r := e.verify(store, map[string]string{"id_token": id, "access_token": access})
	if r.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("verify: %s", r)
	}
	if strings.Contains(r.Header.Get("Set-Cookie"), "Max-Age=60;") {
		return store, nil, nil
	}
	codes, details = e.storeErrors(store)
	return store, codes, details
}

// T4 through HTTP: a Google account whose email is victim's. The email must
// be verified (JSON true); then it selects victim (case-insensitively);
// an inactive victim is refused; an unknown verified email makes a new user.
func TestT4_GoogleUserRequiresVerifiedEmail(t *testing.T) {
	e := newEnv(t, envOptions{})
	victim := e.seed("victim", "victim@site.com")
	claims := func(verified any) map[string]any {
		return account("1234567890", "Victim@site.com", verified, "given_name", "Mallory")
	}
	// 1. email_verified null, false, "true", missing → rejected.
	for _, v := range []any{nil, false, "true", 1} {
		c := claims(v)
		if v == nil {
			c["email_verified"] = nil // JSON null
		}
		_, codes, details := e.signInSDK(c)
		wantCodes(t, codes, []string{"GOOGLE_AUTH_ERROR"})
		if details[0] != "The email of the Google account is not verified" {
			t.Errorf("email_verified %#v: detail %q", v, details[0])
		}
	}
	c := claims(nil)
	delete(c, "email_verified")
	if _, codes, _ := e.signInSDK(c); len(codes) != 1 {
		t.Errorf("missing email_verified: codes %q", codes)
	}
	// A verified claim without an email is refused the same way.
	if _, codes, details := e.signInSDK(account("1234567890", "", true)); len(codes) != 1 || details[0] != "The email of the Google account is not verified" {
		t.Errorf("no email: %q %q", codes, details)
	}

	// 2. true → victim, unchanged (names are not copied onto an existing user).
	s, codes, _ := e.signInSDK(claims(true))
	wantCodes(t, codes, nil)
	m := e.signedIn(s, "victim")
	if m["first_name"] != "" || m["user_id"] != victim.ID {
		t.Errorf("session %v", m)
	}
	if u, err := e.users.UserByLink(t.Context(), e.op.URL, "1234567890"); err != nil || u.ID != victim.ID {
		t.Errorf("the account was not linked to victim: %+v, %v", u, err)
	}

	// 3. victim inactive → rejected (by the link now, as by email before).
	e.users.SetActive(t.Context(), victim.ID, false)
	_, codes, details := e.signInSDK(claims(true))
	wantCodes(t, codes, []string{"GOOGLE_AUTH_ERROR"})
	if details[0] != "The user is inactive" {
		t.Errorf("detail %q", details[0])
	}

	// 4. A new verified account → a new user: username = sub, first name
	// from name, no usable password.
	s, codes, _ = e.signInSDK(account("42", "new@site.com", true, "name", "New"))
	wantCodes(t, codes, nil)
	m = e.signedIn(s, "42")
	if m["first_name"] != "New" || m["last_name"] != "" || m["email"] != "new@site.com" {
		t.Errorf("new user %v", m)
	}
	u, _ := e.users.UserByUsername(t.Context(), "42")
	if !strings.HasPrefix(u.PasswordHash, "!") || !u.IsActive {
		t.Errorf("new user %+v", u)
	}
}

// T4 on the matching function itself (the [HOOK] of the Python test), with
// a user database that keeps no links: exactly Bazis' rule.
func TestT4_SelectUserWithoutLinks(t *testing.T) {
	e := newEnv(t, envOptions{noLinks: true})
	victim := e.seed("victim", "victim@site.com")
	ctx := t.Context()
	base := oidc.Claims{Subject: "1234567890", Email: "Victim@site.com", GivenName: "Mallory"}
	if u, detail, _ := e.method.SelectUser(ctx, base); u != nil || detail != "The email of the Google account is not verified" {
		t.Errorf("unverified: %v %q", u, detail)
	}
	v := base
	v.EmailVerified = true
	if u, _, err := e.method.SelectUser(ctx, v); u == nil || u.ID != victim.ID {
		t.Errorf("verified: %v %v; want victim", u, err)
	}
	e.users.SetActive(ctx, victim.ID, false)
	if u, detail, _ := e.method.SelectUser(ctx, v); u != nil || detail != "The user is inactive" {
		t.Errorf("inactive: %v %q", u, detail)
	}
	u, _, err := e.method.SelectUser(ctx, oidc.Claims{Subject: "42", Email: "new@site.com", EmailVerified: true, Name: "New"})
	if err != nil || u.Username != "42" || u.FirstName != "New" || u.PasswordHash[0] != '!' {
		t.Errorf("new user: %+v %v", u, err)
	}
}

// An existing user's email, asserted by a Google account: with
// verification the existing user is signed in; without, nothing is.
func TestGoogle_ExistingEmail(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.seed("alice", "alice@site.com")
	_, codes, _ := e.signInSDK(account("777", "ALICE@site.com", false))
	wantCodes(t, codes, []string{"GOOGLE_AUTH_ERROR"})
	if _, err := e.users.UserByLink(t.Context(), e.op.URL, "777"); !errors.Is(err, authing.ErrUserNotFound) {
		t.Errorf("an unverified sign-in linked: %v", err)
	}
	if list, _ := e.users.ListUsers(t.Context()); len(list) != 1 {
		t.Errorf("users %+v", list)
	}
	s, codes, _ := e.signInSDK(account("777", "ALICE@site.com", true))
	wantCodes(t, codes, nil)
	if m := e.signedIn(s, "alice"); m["user_id"] != alice.ID {
		t.Errorf("session %v", m)
	}
}

// Once linked, the account signs in to its user even after its email
// changed at the provider, and another account claiming the user's email
// later cannot take the link.
func TestGoogle_LinkWinsOverEmail(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.seed("alice", "alice@site.com")
	s, _, _ := e.signInSDK(account("777", "alice@site.com", true))
	e.signedIn(s, "alice")

	s, codes, _ := e.signInSDK(account("777", "alice.new@site.com", true))
	wantCodes(t, codes, nil)
	e.signedIn(s, "alice")
	if list, _ := e.users.ListUsers(t.Context()); len(list) != 1 {
		t.Errorf("a changed email created a user: %+v", list)
	}

	// Another Google account with alice's verified email: Google is
	// trusted for emails (Bazis), so it selects alice too and gets its own
	// link; the first link is untouched.
	s, _, _ = e.signInSDK(account("888", "alice@site.com", true))
	e.signedIn(s, "alice")
	for _, sub := range []string{"777", "888"} {
		if u, err := e.users.UserByLink(t.Context(), e.op.URL, sub); err != nil || u.ID != alice.ID {
			t.Errorf("link %s: %+v %v", sub, u, err)
		}
	}
}

// corpOn is a generic provider on the in-process provider.
func corpOn(trust, create bool) func(op *oidctest.Provider, base string) oidc.Provider {
	return func(op *oidctest.Provider, base string) oidc.Provider {
		return oidc.Provider{Name: "corp", Label: "Corp SSO", Issuer: op.URL, ClientID: clientID,
			ClientSecret: clientSecret, BaseURL: base, TrustEmail: trust, CreateUsers: create}
	}
}

// A generic provider: its own code, routes, action and errors; the account
// rules with emails not trusted (the default).
func TestGeneric_Provider(t *testing.T) {
	e := newEnv(t, envOptions{provider: corpOn(false, true)})
	alice := e.seed("alice", "alice@corp.example")

	r := e.get(prefix + "/auth/")
	if !strings.Contains(string(r.body), `{"code":"oidc:corp","name":"Corp SSO","url":"/api/v1/authing/oidc/corp/init/","method":"GET"}`) {
		t.Errorf("actions: %s", r.body)
	}

	// Browser flow: alice's verified email does NOT select alice (emails of
	// this provider are not trusted); a new user without the email is made.
	e.op.SetAccount(account("u-1", "alice@corp.example", true, "given_name", "Alice", "family_name", "Corp"))
	s := e.newStore()
	f := e.start(s)
	if f.init.Header.Get("Location") == "" || !strings.HasPrefix(f.binding, "authing_oidc_") {
		t.Fatalf("init %s", f.init)
	}
	if got := f.authorize.Query().Get("redirect_uri"); got != e.srv.URL+prefix+"/oidc/corp/callback/" {
		t.Errorf("redirect_uri %q", got)
	}
	r = e.finish(f)
	wantPage(t, r, true, s)
	if !strings.Contains(string(r.body), "<title>Corp SSO</title>") {
		t.Errorf("page %s", r.body)
	}
	m := e.signedIn(s, "corp.u-1")
	if m["user_id"] == alice.ID || m["email"] != "" || m["first_name"] != "Alice" || m["last_name"] != "Corp" {
		t.Errorf("session %v", m)
	}
	if p := jwtPayload(t, m["token"].(string)); p["auth_type"] != "oidc:corp" {
		t.Errorf("auth_type %v", p["auth_type"])
	}
	// The same account again: the link.
	s = e.newStore()
	wantPage(t, e.finish(e.start(s)), true, s)
	if m2 := e.signedIn(s, "corp.u-1"); m2["user_id"] != m["user_id"] {
		t.Errorf("second sign-in %v", m2)
	}
	// Unverified emails are fine for a provider that does not require them.
	_, codes, _ := e.signInSDK(account("u-2", "bob@corp.example", false))
	wantCodes(t, codes, nil)
	// A refused token: the provider's error code and detail.
	s = e.newStore()
	e.verify(s, map[string]string{"id_token": "garbage", "access_token": "x"})
	codes, details := e.storeErrors(s)
	wantCodes(t, codes, []string{"OIDC_AUTH_ERROR"})
	if details[0] != "Authentication with Corp SSO failed" {
		t.Errorf("detail %q", details[0])
	}
	e.noTokensInURLs(s, m["token"].(string))
}

// A subject with characters outside Django's username set, or too long,
// gets a hashed username.
func TestGeneric_UsernameOfOddSubjects(t *testing.T) {
	e := newEnv(t, envOptions{provider: corpOn(false, true)})
	s, codes, _ := e.signInSDK(account("CN=Alice Smith,OU=People", "", nil))
	wantCodes(t, codes, nil)
	r := e.auth(s)
	if !strings.Contains(string(r.body), `"username":"corp.`) || strings.Contains(string(r.body), "CN=") {
		t.Errorf("session %s", r.body)
	}
}

// Trusted emails: a verified email selects the existing user; an unverified
// one does not. Creation off: no link and no trusted email → OIDC_NO_ACCOUNT.
func TestGeneric_TrustedEmailsWithoutCreation(t *testing.T) {
	e := newEnv(t, envOptions{provider: corpOn(true, false)})
	alice := e.seed("alice", "alice@corp.example")

	s, codes, _ := e.signInSDK(account("u-1", "Alice@Corp.example", true))
	wantCodes(t, codes, nil)
	if m := e.signedIn(s, "alice"); m["user_id"] != alice.ID {
		t.Errorf("session %v", m)
	}
	_, codes, details := e.signInSDK(account("u-2", "alice@corp.example", false))
	wantCodes(t, codes, []string{"OIDC_NO_ACCOUNT"})
	if details[0] != "No account is linked to this sign-in" {
		t.Errorf("detail %q", details[0])
	}
	_, codes, _ = e.signInSDK(account("u-3", "nobody@corp.example", true))
	wantCodes(t, codes, []string{"OIDC_NO_ACCOUNT"})
	if list, _ := e.users.ListUsers(t.Context()); len(list) != 1 {
		t.Errorf("users created: %+v", list)
	}
	// An inactive linked user is refused with the provider's code.
	e.users.SetActive(t.Context(), alice.ID, false)
	_, codes, details = e.signInSDK(account("u-1", "whatever@corp.example", false))
	wantCodes(t, codes, []string{"OIDC_AUTH_ERROR"})
	if details[0] != "The user is inactive" {
		t.Errorf("detail %q", details[0])
	}
}

// Configuration mistakes are found by New, before anything is served.
func TestNew_Refusals(t *testing.T) {
	ok := oidc.Provider{Name: "corp", Issuer: "https://id.example.com", ClientID: "c", BaseURL: "https://app.example.com"}
	users := &oidcUsersWithoutLinks{}
	for _, tc := range []struct {
		name   string
		change func(p *oidc.Provider)
		want   string
	}{
		{"BadName", func(p *oidc.Provider) { p.Name = "Corp SSO" }, "name"},
		{"NoIssuer", func(p *oidc.Provider) { p.Issuer = "" }, "issuer is empty"},
		{"PlainHTTPIssuer", func(p *oidc.Provider) { p.Issuer = "http://id.example.com" }, "must be https"},
		{"NoClient", func(p *oidc.Provider) { p.ClientID = "" }, "client id"},
		{"NoRedirect", func(p *oidc.Provider) { p.BaseURL = "" }, "redirect URL or the base URL"},
		{"NoOpenIDScope", func(p *oidc.Provider) { p.Scopes = []string{"email"} }, `"openid"`},
		{"NoLinks", func(p *oidc.Provider) {}, "keeps account links"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ok
			tc.change(&p)
			_, err := oidc.New(p, users, oidc.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
	// Google works without links (Bazis' email rule); loopback http is allowed.
	g := oidc.Google("c", "s", "http://127.0.0.1:8080/api/v1/authing/google-auth-callback/")
	if _, err := oidc.New(g, users, oidc.Options{}); err != nil {
		t.Errorf("Google without links: %v", err)
	}
}

type oidcUsersWithoutLinks struct{ oidc.Directory }
