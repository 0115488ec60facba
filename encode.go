package authing

import (
	"encoding/json"
	"unicode/utf8"
)

// Hand-written encoders and a decoder for the few JSON shapes of the hot
// paths (tokens, the session answer). Each handles the plain common case
// itself and hands anything else to encoding/json, so the bytes are always
// those encoding/json gives; fastpath_internal_test.go checks this.

// appendJSONString appends s as a JSON string exactly as json.Marshal
// writes it: strings of printable ASCII without ", \, <, > and & are copied
// between quotes; any other string is left to json.Marshal (escapes, HTML
// escaping, invalid UTF-8).
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// canonicalClaims reads a token payload in the exact layouts this service
// writes: {"sub":S} (a store token) or {"sub":S,"iat":N,"exp":N} with an
// optional ,"auth_type":S (a session token), where each S is a JSON string
// without escapes and each N a non-negative integer of at most 18 digits.
// ok is false for any other payload, which the callers then give to
// encoding/json; for the payloads it accepts, the claims are the ones
// encoding/json reads.
func canonicalClaims(p []byte) (c SessionClaims, hasExp, ok bool) {
	r := claimReader{p: p}
	if !r.lit(`{"sub":`) || !r.str(&c.Subject) {
		return SessionClaims{}, false, false
	}
	if r.lit(`}`) {
		return c, false, r.end()
	}
	if !r.lit(`,"iat":`) || !r.num(&c.IssuedAt) || !r.lit(`,"exp":`) || !r.num(&c.Expires) {
		return SessionClaims{}, false, false
	}
	if r.lit(`,"auth_type":`) && !r.str(&c.AuthType) {
		return SessionClaims{}, false, false
	}
	if !r.lit(`}`) || !r.end() {
		return SessionClaims{}, false, false
	}
	return c, true, true
}

type claimReader struct {
	p []byte
	i int
}

func (r *claimReader) end() bool { return r.i == len(r.p) }

// lit consumes s when the input continues with it.
func (r *claimReader) lit(s string) bool {
	if len(r.p)-r.i < len(s) || string(r.p[r.i:r.i+len(s)]) != s {
		return false
	}
	r.i += len(s)
	return true
}

// str reads a JSON string that needs no unescaping: valid UTF-8 without
// control characters, quotes or backslashes inside.
func (r *claimReader) str(out *string) bool {
	if r.i >= len(r.p) || r.p[r.i] != '"' {
		return false
	}
	start := r.i + 1
	for j := start; j < len(r.p); j++ {
		switch c := r.p[j]; {
		case c == '"':
			if !utf8.Valid(r.p[start:j]) {
				return false
			}
			*out = string(r.p[start:j])
			r.i = j + 1
			return true
		case c < 0x20 || c == '\\':
			return false
		}
	}
	return false
}

// num reads 0 or a positive integer without leading zeros, of at most 18
// digits (so that it cannot overflow).
func (r *claimReader) num(out *int64) bool {
	j := r.i
	for j < len(r.p) && j-r.i <= 18 && r.p[j] >= '0' && r.p[j] <= '9' {
		j++
	}
	n := j - r.i
	if n == 0 || n > 18 || (n > 1 && r.p[r.i] == '0') {
		return false
	}
	var v int64
	for _, d := range r.p[r.i:j] {
		v = v*10 + int64(d-'0')
	}
	*out, r.i = v, j
	return true
}

// appendSessionAnswer appends the 200 answer of GET /auth/ exactly as
// json.Marshal encodes sessionAnswer.
func appendSessionAnswer(dst []byte, a *sessionAnswer) []byte {
	dst = append(dst, `{"user_id":`...)
	dst = appendJSONString(dst, a.UserID)
	dst = append(dst, `,"username":`...)
	dst = appendJSONString(dst, a.Username)
	dst = append(dst, `,"first_name":`...)
	dst = appendJSONString(dst, a.FirstName)
	dst = append(dst, `,"last_name":`...)
	dst = appendJSONString(dst, a.LastName)
	dst = append(dst, `,"email":`...)
	dst = appendJSONString(dst, a.Email)
	dst = append(dst, `,"token":`...)
	dst = appendJSONString(dst, a.Token)
	dst = append(dst, `,"logout_actions":`...)
	if a.LogoutActions == nil {
		dst = append(dst, "null"...)
	} else {
		b, _ := json.Marshal(a.LogoutActions)
		dst = append(dst, b...)
	}
	return append(dst, '}')
}
