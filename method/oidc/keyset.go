package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// errUnknownKey is the refusal of an ID token signed with a key that the
// provider's JWKS does not list.
var errUnknownKey = errors.New("oidc: the ID token is signed with a key the provider does not list")

// keySet is an oidc.KeySet over a provider's JWKS URL. Unlike
// oidc.RemoteKeySet it bounds the refreshes that tokens with unknown key
// ids cause: at most one per minRefresh, so that forged tokens cannot make
// authing hammer the provider. Signatures are checked by go-oidc
// (oidc.StaticKeySet) with the key chosen by key id.
type keySet struct {
	url        string
	client     *http.Client
	now        func() time.Time
	minRefresh time.Duration // between fetches caused by unknown key ids
	retry      time.Duration // after a failed fetch

	mu      sync.Mutex
	keys    []jwk
	fetched time.Time // last fetch attempt
	flight  chan struct{}
	lastErr error
}

type jwk struct {
	kid string
	key crypto.PublicKey
}

func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	kid, err := headerKeyID(jwt)
	if err != nil {
		return nil, err
	}
	keys := k.match(kid)
	if len(keys) == 0 {
		if err := k.refresh(ctx); err != nil {
			return nil, err
		}
		if keys = k.match(kid); len(keys) == 0 {
			return nil, errUnknownKey
		}
	}
	return (&oidc.StaticKeySet{PublicKeys: keys}).VerifySignature(ctx, jwt)
}

// match returns the cached keys with this id (all keys for a token without
// a key id).
func (k *keySet) match(kid string) []crypto.PublicKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []crypto.PublicKey
	for _, j := range k.keys {
		if kid == "" || j.kid == kid {
			out = append(out, j.key)
		}
	}
	return out
}

// refresh fetches the JWKS unless another fetch is in flight (then it waits
// for that one) or the last attempt is more recent than minRefresh.
func (k *keySet) refresh(ctx context.Context) error {
	k.mu.Lock()
	if f := k.flight; f != nil {
		k.mu.Unlock()
		select {
		case <-f:
		case <-ctx.Done():
			return ctx.Err()
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		return k.lastErr
	}
	wait := k.minRefresh
	if k.lastErr != nil {
		wait = k.retry
	}
	if !k.fetched.IsZero() && k.now().Sub(k.fetched) < wait {
		err := k.lastErr
		k.mu.Unlock()
		return err // nil: the keys are fresh, the key id is unknown
	}
	f := make(chan struct{})
	k.flight = f
	k.fetched = k.now()
	k.mu.Unlock()

	keys, err := fetchJWKS(ctx, k.client, k.url)

	k.mu.Lock()
	defer k.mu.Unlock()
	if err == nil {
		k.keys = keys
	}
	k.lastErr = err
	k.flight = nil
	close(f)
	return err
}

// headerKeyID returns the kid of a compact JWS header ("" when absent).
func headerKeyID(jwt string) (string, error) {
	h, _, ok := strings.Cut(jwt, ".")
	if !ok {
		return "", errors.New("oidc: malformed jwt")
	}
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return "", errors.New("oidc: malformed jwt header")
	}
	var hdr struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &hdr); err != nil {
		return "", errors.New("oidc: malformed jwt header")
	}
	return hdr.Kid, nil
}

// maxDocument bounds discovery, JWKS and userinfo answers.
const maxDocument = 1 << 20

func fetchJWKS(ctx context.Context, client *http.Client, url string) ([]jwk, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oidc: fetching keys: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxDocument))
	if err != nil {
		return nil, fmt.Errorf("oidc: fetching keys: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("oidc: fetching keys: %s", res.Status)
	}
	return parseJWKS(body)
}

// parseJWKS reads the signature keys of a JWK set: RSA (at least 2048
// bits), EC on P-256/P-384/P-521 and Ed25519. Keys for encryption, of
// other types or malformed are skipped, as RFC 7517 §5 asks.
func parseJWKS(body []byte) ([]jwk, error) {
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Use string `json:"use"`
			Kid string `json:"kid"`
			N   string `json:"n"`
			E   string `json:"e"`
			Crv string `json:"crv"`
			X   string `json:"x"`
			Y   string `json:"y"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("oidc: JWKS is not a JSON key set: %w", err)
	}
	var out []jwk
	for _, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		var pub crypto.PublicKey
		switch k.Kty {
		case "RSA":
			n, err1 := base64.RawURLEncoding.DecodeString(k.N)
			e, err2 := base64.RawURLEncoding.DecodeString(k.E)
			if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
				continue
			}
			key := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
			if key.N.BitLen() < 2048 || key.E < 3 || key.E%2 == 0 {
				continue
			}
			pub = key
		case "EC":
			var curve elliptic.Curve
			switch k.Crv {
			case "P-256":
				curve = elliptic.P256()
			case "P-384":
				curve = elliptic.P384()
			case "P-521":
				curve = elliptic.P521()
			default:
				continue
			}
			x, err1 := base64.RawURLEncoding.DecodeString(k.X)
			y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
			size := (curve.Params().BitSize + 7) / 8
			if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
				continue
			}
			key, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
			if err != nil {
				continue
			}
			pub = key
		case "OKP":
			x, err := base64.RawURLEncoding.DecodeString(k.X)
			if k.Crv != "Ed25519" || err != nil || len(x) != ed25519.PublicKeySize {
				continue
			}
			pub = ed25519.PublicKey(x)
		default:
			continue
		}
		out = append(out, jwk{kid: k.Kid, key: pub})
	}
	return out, nil
}
