package oidc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// endpoints are the provider's endpoints and ID token verifier, resolved
// from discovery and the Provider's overrides.
type endpoints struct {
	oauth2   oauth2.Config
	userinfo string
	verifier *oidc.IDTokenVerifier
}

// lazyEndpoints resolves the endpoints on first use and keeps them. A failed
// discovery is not retried before RetryInterval; callers meanwhile get the
// last error at once.
type lazyEndpoints struct {
	mu      sync.Mutex
	ep      *endpoints
	lastErr error
	tried   time.Time
}

// ErrProviderUnavailable marks a failure to reach the provider (discovery,
// keys, token exchange or userinfo).
var ErrProviderUnavailable = errors.New("oidc: identity provider unavailable")

// endpoints returns the resolved endpoints, discovering them when needed.
// Only one discovery runs at a time; it is bounded by the HTTP client's
// timeout.
func (m *Method) endpoints(ctx context.Context) (*endpoints, error) {
	l := &m.lazy
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ep != nil {
		return l.ep, nil
	}
	if l.lastErr != nil && m.now().Sub(l.tried) < m.opts.RetryInterval {
		return nil, l.lastErr
	}
	l.tried = m.now()
	ep, err := m.discover(ctx)
	if err != nil {
		l.lastErr = fmt.Errorf("%w: %s: %w", ErrProviderUnavailable, m.p.Issuer, err)
		return nil, l.lastErr
	}
	l.ep, l.lastErr = ep, nil
	return ep, nil
}

func (m *Method) discover(ctx context.Context) (*endpoints, error) {
	p := m.p
	cfg := oidc.ProviderConfig{IssuerURL: p.Issuer, AuthURL: p.AuthURL, TokenURL: p.TokenURL,
		UserInfoURL: p.UserinfoURL, JWKSURL: p.JWKSURL}
	if p.AuthURL == "" || p.TokenURL == "" || p.JWKSURL == "" {
		dctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, m.opts.HTTPClient), m.opts.HTTPClient.Timeout)
		defer cancel()
		d, err := oidc.NewProvider(dctx, p.Issuer)
		if err != nil {
			return nil, err
		}
		var meta struct {
			JWKSURL    string   `json:"jwks_uri"`
			Algorithms []string `json:"id_token_signing_alg_values_supported"`
		}
		if err := d.Claims(&meta); err != nil {
			return nil, err
		}
		e := d.Endpoint()
		cfg.AuthURL = orElse(p.AuthURL, e.AuthURL)
		cfg.TokenURL = orElse(p.TokenURL, e.TokenURL)
		cfg.UserInfoURL = orElse(p.UserinfoURL, d.UserInfoEndpoint())
		cfg.JWKSURL = orElse(p.JWKSURL, meta.JWKSURL)
		cfg.Algorithms = meta.Algorithms
		for _, u := range []string{cfg.AuthURL, cfg.TokenURL, cfg.JWKSURL} {
			if u == "" {
				return nil, errors.New("the discovery document lacks an endpoint")
			}
		}
		for _, u := range []struct{ what, v string }{
			{"authorization endpoint", cfg.AuthURL}, {"token endpoint", cfg.TokenURL},
			{"userinfo endpoint", cfg.UserInfoURL}, {"JWKS URL", cfg.JWKSURL},
		} {
			if err := checkURL(u.what, u.v, false); err != nil {
				return nil, fmt.Errorf("discovery: %w", err)
			}
		}
	}
	// Only the asymmetric algorithms that go-oidc knows; never "none" or
	// HMAC (a client secret is not a signing key here).
	var algs []string
	for _, a := range cfg.Algorithms {
		if slices.Contains(signingAlgs, a) {
			algs = append(algs, a)
		}
	}
	if len(algs) == 0 {
		algs = []string{oidc.RS256}
	}
	keys := &keySet{url: cfg.JWKSURL, client: m.opts.HTTPClient, now: m.now,
		minRefresh: m.opts.KeyRefreshInterval, retry: m.opts.RetryInterval}
	return &endpoints{
		oauth2: oauth2.Config{
			ClientID:     p.ClientID,
			ClientSecret: p.ClientSecret,
			Endpoint:     oauth2.Endpoint{AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL},
			RedirectURL:  m.redirectURL,
			Scopes:       p.Scopes,
		},
		userinfo: cfg.UserInfoURL,
		verifier: oidc.NewVerifier(p.Issuer, keys, &oidc.Config{
			ClientID:             p.ClientID,
			SupportedSigningAlgs: algs,
			Now:                  m.now,
		}),
	}, nil
}

var signingAlgs = []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA}

func orElse(override, discovered string) string {
	if override != "" {
		return override
	}
	return discovered
}
