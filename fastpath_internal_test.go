package authing

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// The hand-written encoders and the canonical-claims reader must give
// exactly what encoding/json gives. These tests compare them with
// encoding/json (and with the general decoding of claims that the token
// parsers fall back to) on the common and the awkward inputs.

var fastpathStrings = []string{
	"", "user1", "5b0c3c2e-7c1e-4f5e-9a51-2f0b8d7e6c11", "a b", "Ann-Marie_O.K.",
	`quo"te`, `back\slash`, "<script>", "a&b", "tab\there", "nl\n", "\x00", "\x7f",
	"юзер", "ü", "\u2028", "\xff\xfe", "e\u0301", "😀", "~!@#$%^*()_+=-`{}[]|:;',./?",
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range fastpathStrings {
		want, _ := json.Marshal(s)
		if got := appendJSONString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got[1:], want)
		}
	}
}

func TestAppendSessionAnswer(t *testing.T) {
	for _, a := range []sessionAnswer{
		{UserID: "5b0c3c2e-7c1e-4f5e-9a51-2f0b8d7e6c11", Username: "user1", Email: "user1@site.com", Token: "eyJ.eyJ.sig"},
		{UserID: "1", Username: "<юзер>", FirstName: `"Q"`, LastName: "\u2028", Email: "a&b@x", Token: "t",
			LogoutActions: []Action{{URL: "/api/v1/authing/logout/", Method: "POST"}}},
		{LogoutActions: []Action{}},
	} {
		want, _ := json.Marshal(a)
		if got := appendSessionAnswer(nil, &a); !bytes.Equal(got, want) {
			t.Errorf("appendSessionAnswer(%+v) =\n%s\nwant\n%s", a, got, want)
		}
	}
}

// generalClaims is how the parsers read payloads that canonicalClaims
// refuses: for a session token, the claims (or the error); for a store
// token, the key (or the error).
func generalClaims(payload []byte, now time.Time) (SessionClaims, error, string, error) {
	var c struct {
		Sub      *string          `json:"sub"`
		Iat      *json.Number     `json:"iat"`
		Exp      *json.Number     `json:"exp"`
		Nbf      *json.Number     `json:"nbf"`
		AuthType *json.RawMessage `json:"auth_type"`
	}
	var sc SessionClaims
	var serr error
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil {
		serr = ErrTokenInvalid
	} else if c.Exp == nil {
		serr = ErrNotSessionToken
	} else if exp, ok := numericDate(*c.Exp); !ok || c.Sub == nil {
		serr = ErrTokenInvalid
	} else {
		var iat int64
		if c.Iat != nil {
			if iat, ok = numericDate(*c.Iat); !ok {
				serr = ErrTokenInvalid
			}
		}
		if serr == nil && c.Nbf != nil {
			if nbf, ok := numericDate(*c.Nbf); !ok || nbf > now.Unix() {
				serr = ErrTokenInvalid
			}
		}
		if serr == nil && exp <= now.Unix() {
			serr = ErrTokenExpired
		}
		if serr == nil {
			sc = SessionClaims{Subject: *c.Sub, IssuedAt: iat, Expires: exp}
			if c.AuthType != nil {
				var at string
				if json.Unmarshal(*c.AuthType, &at) == nil {
					sc.AuthType = at
				}
			}
		}
	}
	var key string
	var kerr error
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil || m == nil {
		kerr = ErrTokenInvalid
	} else if _, has := m["exp"]; has {
		kerr = ErrTokenInvalid
	} else if err := json.Unmarshal(m["sub"], &key); err != nil {
		kerr = ErrTokenInvalid
	}
	return sc, serr, key, kerr
}

var fastpathPayloads = []string{
	`{"sub":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}`,
	`{"sub":"user1","iat":1767225600,"exp":4102444800}`,
	`{"sub":"user1","iat":1767225600,"exp":4102444800,"auth_type":"password"}`,
	`{"sub":"user1","iat":1767225600,"exp":1767225601,"auth_type":"password"}`,
	`{"sub":"юзер","iat":0,"exp":4102444800,"auth_type":""}`,
	`{"sub":"user1","iat":01767225600,"exp":4102444800}`,
	`{"sub":"user1","iat":1767225600,"exp":4102444800.5}`,
	`{"sub":"user1","iat":1767225600,"exp":"4102444800"}`,
	`{"sub":"user1","iat":1767225600,"exp":4102444800}x`,
	`{"sub":"user1","iat":1767225600,"exp":4102444800} `,
	`{"sub":"user1","iat":1767225600,"exp":99999999999999999999}`,
	`{"sub":"user1","iat":1767225600,"exp":999999999999999999}`,
	`{"sub":"us\u0065r1","iat":1767225600,"exp":4102444800}`,
	`{"sub":"a\"b"}`, `{"sub":"\xff"}`, `{"sub":"x","sub":"y"}`, `{"sub":1}`, `{"sub":"x","exp":null}`,
	`{"sub":"x"}}`, `{"sub":"x"`, `{"SUB":"x"}`, `{}`, `null`, `[]`, ``,
	`{"sub":"user1","iat":1767225600,"exp":4102444800,"auth_type":5}`,
	`{"sub":"user1","iat":1767225600,"exp":4102444800,"nbf":4102444800}`,
	`{"sub":"user1","iat":-5,"exp":4102444800}`,
}

func checkCanonical(t *testing.T, payload []byte) {
	now := time.Unix(1767225600, 0)
	sc, serr, key, kerr := generalClaims(payload, now)
	c, hasExp, ok := canonicalClaims(payload)
	if !ok {
		return
	}
	if hasExp {
		got := c
		var gerr error
		if c.Expires <= now.Unix() {
			got, gerr = SessionClaims{}, ErrTokenExpired
		}
		if got != sc || gerr != serr {
			t.Errorf("%s: canonical session claims %+v, %v; general %+v, %v", payload, got, gerr, sc, serr)
		}
		if kerr != ErrTokenInvalid {
			t.Errorf("%s: canonical: not a store token; general: key %q, %v", payload, key, kerr)
		}
		return
	}
	if serr != ErrNotSessionToken {
		t.Errorf("%s: canonical: not a session token; general: %+v, %v", payload, sc, serr)
	}
	if kerr != nil || key != c.Subject {
		t.Errorf("%s: canonical store key %q; general %q, %v", payload, c.Subject, key, kerr)
	}
}

func TestCanonicalClaims(t *testing.T) {
	accepted := 0
	for _, p := range fastpathPayloads {
		checkCanonical(t, []byte(p))
		if _, _, ok := canonicalClaims([]byte(p)); ok {
			accepted++
		}
	}
	if accepted < 5 {
		t.Errorf("canonicalClaims accepted %d of the sample payloads; want the 5 canonical ones at least", accepted)
	}
	// What this service writes is always canonical.
	k, _ := NewKeys(HS256, "a-secret-key-of-at-least-32-characters")
	for _, tok := range []string{
		k.StoreToken(NewStoreKey()),
		k.SessionToken("user1", time.Now(), time.Hour, "password"),
		k.SessionToken("user1", time.Now(), time.Hour, ""),
	} {
		payload, err := k.verify(tok, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, ok := canonicalClaims(payload); !ok {
			t.Errorf("the payload %s that this service writes is not canonical", payload)
		}
	}
}

func FuzzCanonicalClaims(f *testing.F) {
	for _, p := range fastpathPayloads {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		checkCanonical(t, payload)
		s := string(payload)
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}
