package authing_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"authing.dev/authing"
	"authing.dev/authing/method/password"
	"authing.dev/authing/throttle"
)

// FuzzTokenCarriers sends arbitrary query strings, Authorization headers and
// Cookie headers (the three token carriers) to every endpoint that reads
// tokens: the answers are always documented ones, never a 5xx.
func FuzzTokenCarriers(f *testing.F) {
	s := newSecServer(f, authing.Config{RevokeOnLogout: true}, password.Options{})
	st := s.newStore(f)
	ses := s.session(f)
	f.Add("bazis_auth="+st, "", "")
	f.Add("", "Bearer "+ses, "")
	f.Add("", "", "bazis_auth="+st)
	f.Add("bazis_auth=", "Bearer", `bazis_auth=""`)
	f.Add("bazis_auth=%zz&bazis_auth="+ses, "bearer  "+st, "bazis_auth="+ses+"; bazis_auth=x")
	f.Add("lang=ru", "Basic x", "a=b; bazis_auth")
	f.Add("", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.", "")
	f.Fuzz(func(t *testing.T, query, authorization, cookie string) {
		for _, c := range []struct {
			method, path string
			ok           []int
		}{
			{"GET", "/api/v1/authing/auth/", []int{200, 400}},
			{"POST", "/api/v1/authing/logout/", []int{204}},
			{"POST", "/api/v1/authing/password/", []int{303, 401}},
		} {
			req := httptest.NewRequest(c.method, "/", strings.NewReader(`{"username":"alice","password":"x"}`))
			req.URL.Path = c.path
			req.URL.RawQuery = query
			req.Header.Set("Content-Type", "application/json")
			if authorization != "" {
				req.Header.Set("Authorization", authorization)
			}
			if cookie != "" {
				req.Header.Set("Cookie", cookie)
			}
			rec := httptest.NewRecorder()
			s.svc.ServeHTTP(rec, req)
			if !slices.Contains(c.ok, rec.Code) {
				t.Fatalf("%s %s ?%q Authorization %q Cookie %q: status %d %s", c.method, c.path, query, authorization, cookie, rec.Code, rec.Body)
			}
			if rec.Code >= 400 && !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("not JSON: %q", rec.Body)
			}
		}
	})
}

// FuzzTokenForm sends arbitrary bodies and content types to the OAuth2
// password form: never a 5xx.
func FuzzTokenForm(f *testing.F) {
	s := newSecServer(f, authing.Config{}, password.Options{Limiter: throttle.New(throttle.Options{})})
	for _, seed := range []struct{ body, ct string }{
		{"username=alice&password=" + alicePassword, "application/x-www-form-urlencoded"},
		{"username=alice&password=x&grant_type=password", "application/x-www-form-urlencoded"},
		{"username=%zz&password=%", "application/x-www-form-urlencoded"},
		{"--b\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n--b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b"},
		{"--b\r\nContent-Disposition: form-data; name=\"username\"; filename=\"a\"\r\n\r\nalice\r\n--b--", "multipart/form-data; boundary=b"},
		{"garbage", "multipart/form-data"},
		{`{"username":"alice"}`, "application/json"},
		{"", ""},
	} {
		f.Add([]byte(seed.body), seed.ct)
	}
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		req := httptest.NewRequest("POST", "/api/v1/authing/password/token/", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		s.svc.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 401, 413, 422, 429:
		default:
			t.Fatalf("status %d for %q (%q): %s", rec.Code, body, ct, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("not JSON: %q", rec.Body)
		}
	})
}

// FuzzTrustedProxies: whatever X-Forwarded-For says, the client address is
// the connection's or one written in the header, and a connection from an
// untrusted address is never affected.
func FuzzTrustedProxies(f *testing.F) {
	trusted, _ := authing.ParsePrefixes([]string{"10.0.0.0/8", "2001:db8::/32"})
	mw := authing.TrustedProxies(trusted)
	f.Add("10.0.0.1:1", "203.0.113.9, 10.0.0.2")
	f.Add("198.51.100.1:1", "10.0.0.2")
	f.Add("[2001:db8::1]:1", "[::1]:80, garbage,,")
	f.Add("10.0.0.1:1", "::ffff:10.1.1.1%eth0")
	f.Fuzz(func(t *testing.T, remote, xff string) {
		var got string
		h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = authing.ClientIP(r) }))
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = remote
		req.Header.Set("X-Forwarded-For", xff)
		h.ServeHTTP(httptest.NewRecorder(), req)
		plain := httptest.NewRequest("GET", "/", nil)
		plain.RemoteAddr = remote
		if direct := authing.ClientIP(plain); got == direct {
			return
		}
		// Another address than the connection's: the connection must be a
		// trusted proxy, and the address one of the header's entries.
		parse := func(s string) (netip.Addr, bool) {
			s = strings.TrimSpace(s)
			if a, err := netip.ParseAddr(s); err == nil {
				return a.Unmap().WithZone(""), true
			}
			if host, _, err := net.SplitHostPort(s); err == nil {
				if a, err := netip.ParseAddr(host); err == nil {
					return a.Unmap().WithZone(""), true
				}
			}
			return netip.Addr{}, false
		}
		ra, ok := parse(remote)
		if !ok || !slices.ContainsFunc(trusted, func(p netip.Prefix) bool { return p.Contains(ra) }) {
			t.Fatalf("an untrusted connection %q got client %q from X-Forwarded-For %q", remote, got, xff)
		}
		for _, hop := range strings.Split(xff, ",") {
			if a, ok := parse(hop); ok && a.String() == got {
				return
			}
		}
		if ra.String() != got {
			t.Fatalf("client %q is not in X-Forwarded-For %q", got, xff)
		}
	})
}
