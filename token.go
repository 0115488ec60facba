package authing

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"strconv"
	"time"
)

// Token errors. They are deliberately vague: a caller learns only which of
// the Bazis answers applies, never which check failed.
var (
	ErrTokenInvalid = errors.New("authing: token is invalid")
	ErrTokenExpired = errors.New("authing: token has expired")
	// ErrNotSessionToken reports a correctly signed token without "exp": a
	// store token, which bazis-users treats as no session at all.
	ErrNotSessionToken = errors.New("authing: token has no exp claim")
)

// MaxTokenLength bounds the tokens that are parsed at all; longer ones are
// invalid without further work.
const MaxTokenLength = 4096

// Algorithms accepted for BAZIS_JWT_SESSION_ALG.
const (
	HS256 = "HS256"
	HS384 = "HS384"
	HS512 = "HS512"
)

// Keys signs and verifies both token kinds. It signs with the first secret
// and verifies with any of them (SECRET_KEY followed by SECRET_KEY_FALLBACKS),
// so that a secret can be rotated without signing everyone out. Only the one
// configured algorithm is accepted.
type Keys struct {
	alg     string
	header  string // base64url of the fixed header, with the trailing dot
	secrets [][]byte
	newHash func() hash.Hash
}

// NewKeys returns Keys for alg (HS256, HS384 or HS512) and the secrets, the
// first of which signs.
func NewKeys(alg string, secret string, fallbacks ...string) (*Keys, error) {
	k := &Keys{alg: alg}
	switch alg {
	case HS256:
		k.newHash = sha256.New
	case HS384:
		k.newHash = sha512.New384
	case HS512:
		k.newHash = sha512.New
	default:
		return nil, fmt.Errorf("authing: unsupported JWT algorithm %q (use HS256, HS384 or HS512)", alg)
	}
	if secret == "" {
		return nil, errors.New("authing: empty secret key")
	}
	k.secrets = append(k.secrets, []byte(secret))
	for _, f := range fallbacks {
		if f != "" {
			k.secrets = append(k.secrets, []byte(f))
		}
	}
	// PyJWT writes the header with sorted keys and no spaces.
	k.header = b64(`{"alg":"`+alg+`","typ":"JWT"}`) + "."
	return k, nil
}

// Algorithm returns the configured algorithm.
func (k *Keys) Algorithm() string { return k.alg }

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func (k *Keys) sign(payload []byte) string {
	n := len(k.header) + base64.RawURLEncoding.EncodedLen(len(payload))
	buf := make([]byte, 0, n+1+base64.RawURLEncoding.EncodedLen(k.newHash().Size()))
	buf = append(buf, k.header...)
	buf = base64.RawURLEncoding.AppendEncode(buf, payload)
	m := hmac.New(k.newHash, k.secrets[0])
	m.Write(buf)
	buf = append(buf, '.')
	buf = base64.RawURLEncoding.AppendEncode(buf, m.Sum(nil))
	return string(buf)
}

// verify checks the structure, header and signature of a compact JWS and
// returns its decoded payload.
func (k *Keys) verify(token string) ([]byte, error) {
	if len(token) == 0 || len(token) > MaxTokenLength {
		return nil, ErrTokenInvalid
	}
	d1 := bytes.IndexByte([]byte(token), '.')
	if d1 < 0 {
		return nil, ErrTokenInvalid
	}
	d2 := d1 + 1 + bytes.IndexByte([]byte(token[d1+1:]), '.')
	if d2 <= d1 || bytes.IndexByte([]byte(token[d2+1:]), '.') >= 0 {
		return nil, ErrTokenInvalid
	}
	hdrRaw, err := base64.RawURLEncoding.DecodeString(token[:d1])
	if err != nil {
		return nil, ErrTokenInvalid
	}
	var hdr struct {
		Alg *string `json:"alg"`
	}
	if err := json.Unmarshal(hdrRaw, &hdr); err != nil || hdr.Alg == nil || *hdr.Alg != k.alg {
		return nil, ErrTokenInvalid
	}
	sig, err := base64.RawURLEncoding.DecodeString(token[d2+1:])
	if err != nil || len(sig) != k.newHash().Size() {
		return nil, ErrTokenInvalid
	}
	signed := []byte(token[:d2])
	ok := false
	for _, s := range k.secrets {
		m := hmac.New(k.newHash, s)
		m.Write(signed)
		if hmac.Equal(m.Sum(nil), sig) {
			ok = true
			break
		}
	}
	if !ok {
		return nil, ErrTokenInvalid
	}
	payload, err := base64.RawURLEncoding.DecodeString(token[d1+1 : d2])
	if err != nil {
		return nil, ErrTokenInvalid
	}
	return payload, nil
}

// StoreToken returns the store token of key. Encoding is deterministic, byte
// for byte what bazis-authing (PyJWT) produces for the same key and secret.
func (k *Keys) StoreToken(key string) string {
	p, _ := json.Marshal(struct {
		Sub string `json:"sub"`
	}{key})
	return k.sign(p)
}

// ParseStoreToken returns the key named by a store token: the signature must
// verify, "sub" must be a string and there must be no "exp" claim.
func (k *Keys) ParseStoreToken(token string) (string, error) {
	payload, err := k.verify(token)
	if err != nil {
		return "", err
	}
	var c map[string]json.RawMessage
	if err := json.Unmarshal(payload, &c); err != nil || c == nil {
		return "", ErrTokenInvalid
	}
	if _, has := c["exp"]; has {
		return "", ErrTokenInvalid
	}
	var sub string
	if err := json.Unmarshal(c["sub"], &sub); err != nil {
		return "", ErrTokenInvalid
	}
	return sub, nil
}

// SessionClaims are the claims of a session token.
type SessionClaims struct {
	Subject  string // username
	IssuedAt int64  // Unix seconds; 0 when absent (tokens of bazis-users < 2.3)
	Expires  int64  // Unix seconds
	AuthType string // code of the sign-in method; may be empty
}

// SessionToken issues a session token in the bazis-users layout:
// {"sub","iat","exp","auth_type"?} in this order.
func (k *Keys) SessionToken(username string, iat time.Time, lifetime time.Duration, authType string) string {
	sub, _ := json.Marshal(username)
	t := iat.Unix()
	p := make([]byte, 0, 64+len(sub)+len(authType))
	p = append(p, `{"sub":`...)
	p = append(p, sub...)
	p = append(p, `,"iat":`...)
	p = strconv.AppendInt(p, t, 10)
	p = append(p, `,"exp":`...)
	p = strconv.AppendInt(p, t+int64(lifetime/time.Second), 10)
	if authType != "" {
		at, _ := json.Marshal(authType)
		p = append(p, `,"auth_type":`...)
		p = append(p, at...)
	}
	p = append(p, '}')
	return k.sign(p)
}

// ParseSessionToken verifies a session token as bazis-users does: signature
// and algorithm, "exp" and "sub" required, "exp" checked without leeway,
// "nbf" checked when present, "iat" not checked against the clock. A correctly
// signed token without "exp" gives ErrNotSessionToken; an expired one
// ErrTokenExpired; anything else wrong ErrTokenInvalid.
func (k *Keys) ParseSessionToken(token string, now time.Time) (SessionClaims, error) {
	payload, err := k.verify(token)
	if err != nil {
		return SessionClaims{}, err
	}
	var c struct {
		Sub      *string          `json:"sub"`
		Iat      *json.Number     `json:"iat"`
		Exp      *json.Number     `json:"exp"`
		Nbf      *json.Number     `json:"nbf"`
		AuthType *json.RawMessage `json:"auth_type"`
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil {
		return SessionClaims{}, ErrTokenInvalid
	}
	if c.Exp == nil {
		return SessionClaims{}, ErrNotSessionToken
	}
	exp, ok := numericDate(*c.Exp)
	if !ok || c.Sub == nil {
		return SessionClaims{}, ErrTokenInvalid
	}
	var iat int64
	if c.Iat != nil {
		if iat, ok = numericDate(*c.Iat); !ok {
			return SessionClaims{}, ErrTokenInvalid
		}
	}
	n := now.Unix()
	if c.Nbf != nil {
		nbf, ok := numericDate(*c.Nbf)
		if !ok || nbf > n {
			return SessionClaims{}, ErrTokenInvalid
		}
	}
	if exp <= n {
		return SessionClaims{}, ErrTokenExpired
	}
	sc := SessionClaims{Subject: *c.Sub, IssuedAt: iat, Expires: exp}
	if c.AuthType != nil {
		var at string
		if json.Unmarshal(*c.AuthType, &at) == nil {
			sc.AuthType = at
		}
	}
	return sc, nil
}

// numericDate reads a JWT NumericDate (integer or decimal seconds), as PyJWT
// accepts it, truncated to whole seconds.
func numericDate(n json.Number) (int64, bool) {
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f > math.MaxInt64 || f < math.MinInt64 {
		return 0, false
	}
	return int64(f), true
}

// NewStoreKey returns a fresh random store key: 32 bytes as 64 lowercase hex.
func NewStoreKey() string {
	return hex.EncodeToString(randomBytes(32))
}
