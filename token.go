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
	"strings"
	"sync"
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
	macs    []*sync.Pool // per secret: *macState, keyed once and reset per use
}

// macState is a keyed HMAC with scratch space, reused through Keys.macs so
// that no token costs a key schedule or an allocation beyond its result.
type macState struct {
	h   hash.Hash
	sum [sha512.Size]byte
	buf []byte
}

var b64e = base64.RawURLEncoding

func (k *Keys) mac(i int) *macState {
	if m, ok := k.macs[i].Get().(*macState); ok {
		m.h.Reset()
		return m
	}
	return &macState{h: hmac.New(k.newHash, k.secrets[i])}
}

func (k *Keys) release(i int, m *macState) {
	if cap(m.buf) > MaxTokenLength {
		m.buf = nil
	}
	k.macs[i].Put(m)
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
	for range k.secrets {
		k.macs = append(k.macs, new(sync.Pool))
	}
	return k, nil
}

// Algorithm returns the configured algorithm.
func (k *Keys) Algorithm() string { return k.alg }

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func (k *Keys) sign(payload []byte) string {
	m := k.mac(0)
	buf := append(m.buf[:0], k.header...)
	buf = b64e.AppendEncode(buf, payload)
	m.h.Write(buf)
	buf = append(buf, '.')
	buf = b64e.AppendEncode(buf, m.h.Sum(m.sum[:0]))
	tok := string(buf)
	m.buf = buf
	k.release(0, m)
	return tok
}

// verify checks the structure, header and signature of a compact JWS and
// returns its decoded payload, appended to dst.
func (k *Keys) verify(token string, dst []byte) ([]byte, error) {
	if len(token) == 0 || len(token) > MaxTokenLength {
		return nil, ErrTokenInvalid
	}
	d1 := strings.IndexByte(token, '.')
	if d1 < 0 {
		return nil, ErrTokenInvalid
	}
	d2 := d1 + 1 + strings.IndexByte(token[d1+1:], '.')
	if d2 <= d1 || strings.IndexByte(token[d2+1:], '.') >= 0 {
		return nil, ErrTokenInvalid
	}
	// The header this service writes is accepted as is; any other is
	// decoded and must name the configured algorithm.
	if token[:d1+1] != k.header {
		hdrRaw, err := b64e.DecodeString(token[:d1])
		if err != nil {
			return nil, ErrTokenInvalid
		}
		var hdr struct {
			Alg *string `json:"alg"`
		}
		if err := json.Unmarshal(hdrRaw, &hdr); err != nil || hdr.Alg == nil || *hdr.Alg != k.alg {
			return nil, ErrTokenInvalid
		}
	}
	m0 := k.mac(0)
	defer k.release(0, m0)
	m0.buf = append(m0.buf[:0], token...)
	var sigBuf [sha512.Size]byte
	sig, err := b64e.AppendDecode(sigBuf[:0], m0.buf[d2+1:])
	if err != nil || len(sig) != k.size() {
		return nil, ErrTokenInvalid
	}
	ok := false
	for i := range k.secrets {
		m := m0
		if i > 0 {
			m = k.mac(i)
		}
		m.h.Write(m0.buf[:d2])
		ok = hmac.Equal(m.h.Sum(m.sum[:0]), sig)
		if i > 0 {
			k.release(i, m)
		}
		if ok {
			break
		}
	}
	if !ok {
		return nil, ErrTokenInvalid
	}
	payload, err := b64e.AppendDecode(dst, m0.buf[d1+1:d2])
	if err != nil {
		return nil, ErrTokenInvalid
	}
	return payload, nil
}

// size is the length of a signature.
func (k *Keys) size() int {
	switch k.alg {
	case HS384:
		return sha512.Size384
	case HS512:
		return sha512.Size
	}
	return sha256.Size
}

// StoreToken returns the store token of key. Encoding is deterministic, byte
// for byte what bazis-authing (PyJWT) produces for the same key and secret.
func (k *Keys) StoreToken(key string) string {
	var pb [128]byte
	p := append(pb[:0], `{"sub":`...)
	p = appendJSONString(p, key)
	p = append(p, '}')
	return k.sign(p)
}

// ParseStoreToken returns the key named by a store token: the signature must
// verify, "sub" must be a string and there must be no "exp" claim.
func (k *Keys) ParseStoreToken(token string) (string, error) {
	var pb [256]byte
	payload, err := k.verify(token, pb[:0])
	if err != nil {
		return "", err
	}
	if c, hasExp, ok := canonicalClaims(payload); ok {
		if hasExp {
			return "", ErrTokenInvalid
		}
		return c.Subject, nil
	}
	var c map[string]json.RawMessage
	if err := json.Unmarshal(bytes.Clone(payload), &c); err != nil || c == nil {
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
	t := iat.Unix()
	var pb [256]byte
	p := append(pb[:0], `{"sub":`...)
	p = appendJSONString(p, username)
	p = append(p, `,"iat":`...)
	p = strconv.AppendInt(p, t, 10)
	p = append(p, `,"exp":`...)
	p = strconv.AppendInt(p, t+int64(lifetime/time.Second), 10)
	if authType != "" {
		p = append(p, `,"auth_type":`...)
		p = appendJSONString(p, authType)
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
	var pb [256]byte
	payload, err := k.verify(token, pb[:0])
	if err != nil {
		return SessionClaims{}, err
	}
	if sc, hasExp, ok := canonicalClaims(payload); ok {
		switch {
		case !hasExp:
			return SessionClaims{}, ErrNotSessionToken
		case sc.Expires <= now.Unix():
			return SessionClaims{}, ErrTokenExpired
		}
		return sc, nil
	}
	var c struct {
		Sub      *string          `json:"sub"`
		Iat      *json.Number     `json:"iat"`
		Exp      *json.Number     `json:"exp"`
		Nbf      *json.Number     `json:"nbf"`
		AuthType *json.RawMessage `json:"auth_type"`
	}
	dec := json.NewDecoder(bytes.NewReader(bytes.Clone(payload)))
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
