package oidc_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A provider that is down when authing starts: authing starts (New and
// authing.New make no request), GET /auth/ still offers every method, the
// password method works, the provider's own sign-ins record the method's
// error; once the provider answers (and RetryInterval has passed) they work.
func TestOutage_ProviderDownAtStartThenRecovers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		env   envOptions
		code  string
		label string
	}{
		{"Google", envOptions{down: true}, "GOOGLE_AUTH_ERROR", "Google Authentication"},
		{"Generic", envOptions{down: true, provider: corpOn(false, true)}, "OIDC_AUTH_ERROR", "Corp SSO"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.env)
			e.seed("user1", "user1@site.com")

			r := e.get(prefix + "/auth/")
			if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.body), `"name":"`+tc.label+`"`) ||
				!strings.Contains(string(r.body), `"code":"password"`) {
				t.Fatalf("GET /auth/ with the provider down: %s", r)
			}

			// Password sign-in is unaffected.
			s := e.newStore()
			b, _ := json.Marshal(map[string]string{"username": "user1", "password": userPassword})
			r = e.do(http.MethodPost, prefix+"/password/", b, "Content-Type", "application/json", "Authorization", "Bearer "+s)
			if r.StatusCode != http.StatusSeeOther {
				t.Fatalf("password login: %s", r)
			}
			e.signedIn(s, "user1")

			// The provider's sign-ins: an error in the store, quickly.
			s = e.newStore()
			start := time.Now()
			r = e.verify(s, map[string]string{"id_token": "x", "access_token": "y"})
			want303(t, r, s, 600)
			codes, details := e.storeErrors(s)
			wantCodes(t, codes, []string{tc.code})
			if tc.code == "GOOGLE_AUTH_ERROR" && details[0] != "Google authentication failed" {
				t.Errorf("detail %q", details[0])
			}
			// The init of a provider whose authorization endpoint must be
			// discovered answers the closing page with the error.
			s2 := e.newStore()
			r = e.get(prefix + e.method.Provider().InitPath + "?bazis_auth=" + s2)
			wantPage(t, r, false, s2)
			codes, _ = e.storeErrors(s2)
			wantCodes(t, codes, []string{tc.code})
			// Within RetryInterval the provider is not asked again.
			for range 5 {
				e.verify(e.newStore(), map[string]string{"id_token": "x", "access_token": "y"})
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("failing sign-ins took %v: a down provider must answer fast", d)
			}

			// The provider comes up; after RetryInterval sign-ins work.
			e.op.Start(t)
			e.clk.Advance(6 * time.Second)
			e.op.SetAccount(account("1001", "g@site.com", true))
			s3 := e.newStore()
			wantPage(t, e.finish(e.start(s3)), true, s3)
			e.signedIn(s3, e.expectedUsername("1001"))

			s4 := e.newStore()
			id, access := e.sdkTokens(account("1001", "g@site.com", true), map[string]any{"sub": "1001"})
			want303(t, e.verify(s4, map[string]string{"id_token": id, "access_token": access}), s4, 60)
			e.signedIn(s4, e.expectedUsername("1001"))
			if h := e.op.Hits(); h.Discovery != 1 {
				t.Errorf("discovery requests after recovery = %d, want 1", h.Discovery)
			}

			// The provider goes down again: discovery and keys are cached,
			// so verification of new ID tokens goes on (userinfo fails: the
			// sign-in is refused, as Bazis refuses it).
			e.op.Stop()
			s5 := e.newStore()
			want303(t, e.verify(s5, map[string]string{"id_token": id, "access_token": access}), s5, 600)
			codes, _ = e.storeErrors(s5)
			wantCodes(t, codes, []string{tc.code})
		})
	}
}

// expectedUsername is the username a new account gets for sub.
func (e *env) expectedUsername(sub string) string {
	if e.method.Code() == "google" {
		return sub
	}
	return e.method.Provider().Name + "." + sub
}
