package authing_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
)

func mustKeys(t testing.TB, alg, secret string, fallbacks ...string) *authing.Keys {
	t.Helper()
	k, err := authing.NewKeys(alg, secret, fallbacks...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The example token of the JWT introduction (RFC 7519 style HS256, secret
// "your-256-bit-secret"): a known vector signed by an independent library.
const jwtIOExample = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"

func TestKeys_KnownVector(t *testing.T) {
	k := mustKeys(t, authing.HS256, "your-256-bit-secret")
	// no exp: a store token as far as the format goes
	key, err := k.ParseStoreToken(jwtIOExample)
	if err != nil || key != "1234567890" {
		t.Fatalf("ParseStoreToken = %q, %v", key, err)
	}
	if _, err := mustKeys(t, authing.HS256, "not-the-secret").ParseStoreToken(jwtIOExample); !errors.Is(err, authing.ErrTokenInvalid) {
		t.Fatalf("wrong secret: err = %v", err)
	}
}

func TestKeys_StoreTokenBytes(t *testing.T) {
	k := mustKeys(t, authing.HS256, testSecret)
	key := strings.Repeat("ab", 32)
	tok := k.StoreToken(key)
	h, p, _ := strings.Cut(tok, ".")
	if h != "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" {
		t.Fatalf("header = %s, want PyJWT's bytes", h)
	}
	p, _, _ = strings.Cut(p, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(p)
	if string(raw) != `{"sub":"`+key+`"}` {
		t.Fatalf("payload = %s", raw)
	}
	// the same token as an independent encoder gives
	if want := authingtest.SignHS256(testSecret, `{"sub":"`+key+`"}`); tok != want {
		t.Fatalf("token = %s, want %s", tok, want)
	}
	if got, err := k.ParseStoreToken(tok); err != nil || got != key {
		t.Fatalf("round trip = %q, %v", got, err)
	}
	if tok != k.StoreToken(key) {
		t.Fatal("store tokens must be deterministic")
	}
}

func TestKeys_SessionToken(t *testing.T) {
	k := mustKeys(t, authing.HS256, testSecret)
	iat := time.Unix(1767225600, 0)
	tok := k.SessionToken("user1", iat, 86400*time.Second, "password")
	want := authingtest.SignHS256(testSecret, `{"sub":"user1","iat":1767225600,"exp":1767312000,"auth_type":"password"}`)
	if tok != want {
		t.Fatalf("session token = %s, want the bazis-users layout %s", tok, want)
	}
	c, err := k.ParseSessionToken(tok, iat.Add(time.Hour))
	if err != nil || c.Subject != "user1" || c.AuthType != "password" || c.Expires != 1767312000 || c.IssuedAt != 1767225600 {
		t.Fatalf("parse = %+v, %v", c, err)
	}
	noType := k.SessionToken("user1", iat, time.Hour, "")
	if want := authingtest.SignHS256(testSecret, `{"sub":"user1","iat":1767225600,"exp":1767229200}`); noType != want {
		t.Fatalf("without auth_type: %s", noType)
	}
	if _, err := k.ParseSessionToken(tok, time.Unix(1767312000, 0)); !errors.Is(err, authing.ErrTokenExpired) {
		t.Fatalf("at exp: err = %v, want expired (no leeway)", err)
	}
	if _, err := k.ParseSessionToken(tok, time.Unix(1767311999, 0)); err != nil {
		t.Fatalf("one second before exp: %v", err)
	}
	// a session token is never a store token and vice versa
	if _, err := k.ParseStoreToken(tok); !errors.Is(err, authing.ErrTokenInvalid) {
		t.Fatalf("session as store: %v", err)
	}
	if _, err := k.ParseSessionToken(k.StoreToken("k"), iat); !errors.Is(err, authing.ErrNotSessionToken) {
		t.Fatalf("store as session: %v", err)
	}
}

func TestKeys_Rejections(t *testing.T) {
	k := mustKeys(t, authing.HS256, testSecret)
	now := time.Unix(1767225600, 0)
	sign := func(payload string) string { return authingtest.SignHS256(testSecret, payload) }
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	valid := sign(`{"sub":"u","exp":1767300000}`)
	hs512 := mustKeys(t, authing.HS512, testSecret).SessionToken("u", now, time.Hour, "")
	cases := []struct {
		name, token string
		want        error
	}{
		{"alg none", b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(`{"sub":"u","exp":1767300000}`) + ".", authing.ErrTokenInvalid},
		{"other HMAC size", hs512, authing.ErrTokenInvalid},
		{"foreign key", authingtest.SignHS256(strings.Repeat("x", 40), `{"sub":"u","exp":1767300000}`), authing.ErrTokenInvalid},
		{"no sub", sign(`{"exp":1767300000}`), authing.ErrTokenInvalid},
		{"sub not a string", sign(`{"sub":5,"exp":1767300000}`), authing.ErrTokenInvalid},
		{"exp not a number", sign(`{"sub":"u","exp":"soon"}`), authing.ErrTokenInvalid},
		{"nbf in the future", sign(`{"sub":"u","exp":1767300000,"nbf":1767290000}`), authing.ErrTokenInvalid},
		{"expired", sign(`{"sub":"u","exp":1767225600}`), authing.ErrTokenExpired},
		{"no exp", sign(`{"sub":"u"}`), authing.ErrNotSessionToken},
		{"payload not an object", sign(`["u"]`), authing.ErrTokenInvalid},
		{"four parts", valid + ".x", authing.ErrTokenInvalid},
		{"padded signature", valid + "=", authing.ErrTokenInvalid},
		{"tampered payload", strings.Replace(valid, ".", ".e", 1), authing.ErrTokenInvalid},
		{"truncated signature", valid[:len(valid)-2], authing.ErrTokenInvalid},
		{"oversized", valid + strings.Repeat("A", authing.MaxTokenLength), authing.ErrTokenInvalid},
		{"empty", "", authing.ErrTokenInvalid},
		{"garbage", "garbage", authing.ErrTokenInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := k.ParseSessionToken(c.token, now); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	if _, err := k.ParseSessionToken(valid, now); err != nil {
		t.Fatalf("the valid token of the table fails: %v", err)
	}
	// iat is not checked against the clock (bazis-users accepts a fast clock)
	if _, err := k.ParseSessionToken(sign(`{"sub":"u","iat":1867225600,"exp":1767300000}`), now); err != nil {
		t.Fatalf("future iat: %v", err)
	}
	// decimal NumericDates are accepted, as PyJWT does
	if _, err := k.ParseSessionToken(sign(`{"sub":"u","exp":1767300000.5}`), now); err != nil {
		t.Fatalf("decimal exp: %v", err)
	}
}

func TestKeys_Fallbacks(t *testing.T) {
	old := mustKeys(t, authing.HS256, "old-secret-old-secret-old-secret-1")
	rotated := mustKeys(t, authing.HS256, testSecret, "old-secret-old-secret-old-secret-1")
	now := time.Now()
	tok := old.SessionToken("u", now, time.Hour, "")
	if _, err := rotated.ParseSessionToken(tok, now); err != nil {
		t.Fatalf("a token of the previous key must verify: %v", err)
	}
	if _, err := mustKeys(t, authing.HS256, testSecret).ParseSessionToken(tok, now); err == nil {
		t.Fatal("without the fallback the old token must not verify")
	}
	if got := rotated.SessionToken("u", now, time.Hour, ""); got != mustKeys(t, authing.HS256, testSecret).SessionToken("u", now, time.Hour, "") {
		t.Fatal("signing must use the first key")
	}
}

func TestNewKeys_Algorithms(t *testing.T) {
	for _, alg := range []string{"none", "RS256", "hs256", ""} {
		if _, err := authing.NewKeys(alg, testSecret); err == nil {
			t.Errorf("NewKeys(%q) accepted", alg)
		}
	}
	for _, alg := range []string{authing.HS256, authing.HS384, authing.HS512} {
		k := mustKeys(t, alg, testSecret)
		if key, err := k.ParseStoreToken(k.StoreToken("abc")); err != nil || key != "abc" {
			t.Errorf("%s round trip: %q %v", alg, key, err)
		}
	}
}

func FuzzParseToken(f *testing.F) {
	k := mustKeys(f, authing.HS256, testSecret)
	now := time.Unix(1767225600, 0)
	f.Add(k.StoreToken(strings.Repeat("0", 64)))
	f.Add(k.SessionToken("user1", now, time.Hour, "password"))
	f.Add(jwtIOExample)
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Add("..")
	f.Fuzz(func(t *testing.T, tok string) {
		if key, err := k.ParseStoreToken(tok); err == nil {
			if _, err := k.ParseStoreToken(k.StoreToken(key)); err != nil {
				t.Fatalf("re-encoded store token of %q does not parse: %v", key, err)
			}
			if _, err := k.ParseSessionToken(tok, now); !errors.Is(err, authing.ErrNotSessionToken) {
				t.Fatalf("a store token parsed as a session: %v", err)
			}
		}
		if c, err := k.ParseSessionToken(tok, now); err == nil && c.Expires <= now.Unix() {
			t.Fatalf("accepted an expired session: %+v", c)
		}
	})
}
