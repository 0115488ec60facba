package oidc

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"
)

// parseJWKS keeps the signature keys it can use and skips the others
// (RFC 7517 §5): encryption keys, short RSA keys, unknown types and curves.
func TestParseJWKS(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	short, _ := rsa.GenerateKey(rand.Reader, 1024)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ed, _, _ := ed25519.GenerateKey(rand.Reader)
	ecBytes, _ := ec.PublicKey.Bytes() // 0x04 || x || y
	rsaJWK := func(kid, use string, k *rsa.PublicKey) map[string]any {
		return map[string]any{"kty": "RSA", "kid": kid, "use": use, "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	}
	set := map[string]any{"keys": []any{
		rsaJWK("rsa", "sig", &rsaKey.PublicKey),
		rsaJWK("enc", "enc", &rsaKey.PublicKey),
		rsaJWK("short", "", &short.PublicKey),
		map[string]any{"kty": "EC", "kid": "ec", "crv": "P-256", "x": b64(ecBytes[1:33]), "y": b64(ecBytes[33:])},
		map[string]any{"kty": "EC", "kid": "k1", "crv": "secp256k1", "x": b64(ecBytes[1:33]), "y": b64(ecBytes[33:])},
		map[string]any{"kty": "EC", "kid": "off-curve", "crv": "P-256", "x": b64(ecBytes[1:33]), "y": b64(ecBytes[1:33])},
		map[string]any{"kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": b64(ed)},
		map[string]any{"kty": "oct", "kid": "hmac", "k": b64([]byte("secret"))},
	}}
	raw, _ := json.Marshal(set)
	keys, err := parseJWKS(raw)
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range keys {
		kids = append(kids, k.kid)
	}
	if len(kids) != 3 || kids[0] != "rsa" || kids[1] != "ec" || kids[2] != "ed" {
		t.Fatalf("kept keys %q, want rsa, ec, ed", kids)
	}
	if !keys[0].key.(*rsa.PublicKey).Equal(&rsaKey.PublicKey) || !keys[1].key.(*ecdsa.PublicKey).Equal(&ec.PublicKey) ||
		!keys[2].key.(ed25519.PublicKey).Equal(ed) {
		t.Errorf("parsed keys differ from the originals")
	}
	if _, err := parseJWKS([]byte(`{"keys":`)); err == nil {
		t.Errorf("malformed JWKS accepted")
	}
}

func TestHeaderKeyID(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for tok, want := range map[string]string{
		enc(`{"alg":"RS256","kid":"k1"}`) + ".e30.sig": "k1",
		enc(`{"alg":"RS256"}`) + ".e30.sig":            "",
	} {
		if got, err := headerKeyID(tok); err != nil || got != want {
			t.Errorf("headerKeyID = %q, %v; want %q", got, err, want)
		}
	}
	for _, bad := range []string{"", "nodot", "!!!.e30.sig", enc("[]") + ".e30.sig"} {
		if _, err := headerKeyID(bad); err == nil {
			t.Errorf("headerKeyID(%q) accepted", bad)
		}
	}
}
