package authing

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// setStoreCookie sets the store cookie exactly as Bazis writes it:
// "<name>=<token>; HttpOnly; Max-Age=<s>; Path=/; SameSite=lax[; Secure]".
func (s *Service) setStoreCookie(w http.ResponseWriter, token string, maxAge time.Duration) {
	var b strings.Builder
	b.Grow(len(s.cfg.CookieName) + len(token) + 64)
	b.WriteString(s.cfg.CookieName)
	b.WriteByte('=')
	b.WriteString(token)
	b.WriteString("; HttpOnly; Max-Age=")
	b.WriteString(strconv.FormatInt(int64(maxAge/time.Second), 10))
	b.WriteString("; Path=/; SameSite=lax")
	if !s.cfg.InsecureCookie {
		b.WriteString("; Secure")
	}
	w.Header().Add("Set-Cookie", b.String())
}

// deleteStoreCookie sets the Bazis deletion cookie: the value is the two
// characters "" and expires is the current time (a Python http.cookies quirk
// that clients may match on).
func (s *Service) deleteStoreCookie(w http.ResponseWriter) {
	v := s.cfg.CookieName + `=""; expires=` + s.cfg.Now().UTC().Format(http.TimeFormat) +
		"; HttpOnly; Max-Age=0; Path=/; SameSite=lax"
	if !s.cfg.InsecureCookie {
		v += "; Secure"
	}
	w.Header().Add("Set-Cookie", v)
}

// tokenSources are the three carriers of a token, each "" when absent.
type tokenSources struct {
	query, bearer, cookie string
}

// picked is the first non-empty value in the order query, header, cookie:
// there is no fallback to a later carrier when the first is invalid.
func (t tokenSources) picked() string {
	switch {
	case t.query != "":
		return t.query
	case t.bearer != "":
		return t.bearer
	default:
		return t.cookie
	}
}

// tokens reads the three carriers of the request.
func (s *Service) tokens(r *http.Request) tokenSources { return readTokens(r, s.cfg.CookieName) }

// readTokens reads the three carriers of a request, all named name.
func readTokens(r *http.Request, name string) tokenSources {
	var t tokenSources
	if r.URL.RawQuery != "" {
		if vs := r.URL.Query()[name]; len(vs) > 0 {
			t.query = vs[len(vs)-1] // the framework keeps the last occurrence
		}
	}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, param, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "bearer") {
			t.bearer = param
		}
	}
	if c, err := r.Cookie(name); err == nil {
		t.cookie = c.Value
	}
	return t
}

// RequestToken returns the token of the request by the Bazis rule: the first
// non-empty value of the query parameter, the Bearer header and the cookie.
func (s *Service) RequestToken(r *http.Request) string { return s.tokens(r).picked() }
