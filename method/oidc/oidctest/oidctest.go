// Package oidctest is a small OpenID Connect provider for tests, served
// over real HTTP on a loopback port: discovery, JWKS (RSA keys generated at
// start), an authorization endpoint that signs in a configured account at
// once (no login page), a token endpoint (authorization code with PKCE S256,
// client secret by HTTP Basic or form, single-use codes, RS256 ID tokens
// with iss, sub, aud, iat, exp and the nonce) and a userinfo endpoint.
//
// It is not a certified implementation: it implements what authing's
// OpenID Connect method uses, strictly enough to refuse a client that omits
// PKCE or sends a wrong verifier, secret or redirect URI, and it has knobs to
// misbehave (tampered claims, other keys, "alg": "none") so that tests can
// check that the client refuses what it must refuse.
package oidctest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Options configure a Provider. ClientID and ClientSecret are required.
type Options struct {
	ClientID     string
	ClientSecret string
	// RedirectURIs the authorization endpoint accepts; empty means any.
	RedirectURIs []string
	// Now is the provider's clock (iat, exp). Default time.Now.
	Now func() time.Time
	// IDTokenLifetime. Default 5 min.
	IDTokenLifetime time.Duration
}

// Provider is a running (or reserved) test provider.
type Provider struct {
	// URL is the issuer: http://127.0.0.1:<port>.
	URL  string
	opts Options
	addr string
	key  *rsa.PrivateKey
	kid  string

	mu        sync.Mutex
	ln        net.Listener
	srv       *http.Server
	account   map[string]any
	userinfo  map[string]any
	tamper    func(claims map[string]any)
	sign      func(claims map[string]any) string
	deny      string
	codes     map[string]*grant
	access    map[string]map[string]any
	authorize []url.Values

	discoveryHits, jwksHits, tokenHits, userinfoHits atomic.Int64
}

type grant struct {
	clientID, redirectURI, nonce, challenge string
	claims                                  map[string]any
	expires                                 time.Time
}

// New starts a provider on a loopback port; it stops with the test.
func New(t testing.TB, opts Options) *Provider {
	t.Helper()
	p := Reserve(t, opts)
	p.Start(t)
	return p
}

// Reserve picks a loopback address for a provider without serving on it:
// requests to it are refused until Start. It stands for a provider that is
// down when the client starts.
func Reserve(t testing.TB, opts Options) *Provider {
	t.Helper()
	if opts.ClientID == "" || opts.ClientSecret == "" {
		t.Fatal("oidctest: ClientID and ClientSecret are required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.IDTokenLifetime == 0 {
		opts.IDTokenLifetime = 5 * time.Minute
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{URL: "http://" + addr, opts: opts, addr: addr, key: key, kid: "test-key-1",
		codes: map[string]*grant{}, access: map[string]map[string]any{}}
	t.Cleanup(p.Stop)
	return p
}

// Start serves on the reserved address (again, after Stop).
func (p *Provider) Start(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv != nil {
		return
	}
	var ln net.Listener
	var err error
	for range 50 { // the port was free a moment ago; wait for a closing socket
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("oidctest: listen on %s: %v", p.addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorizeHandler)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /userinfo", p.userinfoHandler)
	p.ln = ln
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go p.srv.Serve(ln)
}

// Stop closes the server: the provider is down until Start.
func (p *Provider) Stop() {
	p.mu.Lock()
	srv := p.srv
	p.srv, p.ln = nil, nil
	p.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// SetAccount sets the claims of the account that the authorization
// endpoint signs in (sub, email, email_verified, name, given_name, …). They
// go into the ID token and, unless SetUserinfo overrides them, userinfo.
func (p *Provider) SetAccount(claims map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.account = claims
}

// SetUserinfo makes userinfo answer these claims whatever the account (nil:
// the account's claims).
func (p *Provider) SetUserinfo(claims map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.userinfo = claims
}

// Tamper changes the claims of the ID tokens that the token endpoint issues
// from now on (nil: none), e.g. another audience, a past expiry, a nonce.
func (p *Provider) Tamper(f func(claims map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper = f
}

// SignWith makes the token endpoint encode ID tokens with f instead of the
// provider's key (nil: the provider's key), e.g. SignNone or a foreign key.
func (p *Provider) SignWith(f func(claims map[string]any) string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sign = f
}

// Deny makes the authorization endpoint answer error=<code> (e.g.
// "access_denied"); "" restores sign-ins.
func (p *Provider) Deny(code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deny = code
}

// AuthorizeRequests returns the query of every authorization request so far.
func (p *Provider) AuthorizeRequests() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]url.Values(nil), p.authorize...)
}

// Hits counts the requests to each endpoint.
type Hits struct{ Discovery, JWKS, Token, Userinfo int64 }

// Hits returns the request counts so far.
func (p *Provider) Hits() Hits {
	return Hits{p.discoveryHits.Load(), p.jwksHits.Load(), p.tokenHits.Load(), p.userinfoHits.Load()}
}

// IDToken signs claims with the provider's key (RS256, its key id), as the
// token endpoint does: for the verify route of mobile SDKs.
func (p *Provider) IDToken(claims map[string]any) string {
	return SignRS256(p.key, p.kid, claims)
}

// Claims returns the standard claims of an ID token for the account: iss,
// aud, iat, exp, then the account's claims, then extra.
func (p *Provider) Claims(account map[string]any, extra map[string]any) map[string]any {
	now := p.opts.Now()
	c := map[string]any{"iss": p.URL, "aud": p.opts.ClientID, "iat": now.Unix(),
		"exp": now.Add(p.opts.IDTokenLifetime).Unix()}
	for k, v := range account {
		c[k] = v
	}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

// NewAccessToken registers an access token whose userinfo is claims, as if
// the provider had issued it to an SDK.
func (p *Provider) NewAccessToken(claims map[string]any) string {
	tok := randomString()
	p.mu.Lock()
	p.access[tok] = claims
	p.mu.Unlock()
	return tok
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	p.discoveryHits.Add(1)
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                         p.URL,
		"authorization_endpoint":                         p.URL + "/authorize",
		"token_endpoint":                                 p.URL + "/token",
		"userinfo_endpoint":                              p.URL + "/userinfo",
		"jwks_uri":                                       p.URL + "/jwks",
		"response_types_supported":                       []string{"code"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{"RS256"},
		"scopes_supported":                               []string{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":               []string{"S256"},
		"grant_types_supported":                          []string{"authorization_code"},
		"claims_supported":                               []string{"sub", "email", "email_verified", "name", "given_name", "family_name"},
		"authorization_response_iss_parameter_supported": true,
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	p.jwksHits.Add(1)
	pub := p.key.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": p.kid,
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// authorizeHandler signs the configured account in at once and redirects
// back with a code, or with an error.
func (p *Provider) authorizeHandler(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	p.authorize = append(p.authorize, q)
	account, deny := p.account, p.deny
	p.mu.Unlock()
	if q.Get("client_id") != p.opts.ClientID {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	redirect := q.Get("redirect_uri")
	ru, err := url.Parse(redirect)
	if err != nil || ru.Scheme == "" || (len(p.opts.RedirectURIs) > 0 && !contains(p.opts.RedirectURIs, redirect)) {
		http.Error(w, "redirect_uri not registered", http.StatusBadRequest)
		return
	}
	back := func(v url.Values) {
		v.Set("state", q.Get("state"))
		v.Set("iss", p.URL)
		ru.RawQuery = v.Encode()
		http.Redirect(w, r, ru.String(), http.StatusFound)
	}
	switch {
	case deny != "":
		back(url.Values{"error": {deny}})
		return
	case q.Get("response_type") != "code", !strings.Contains(" "+q.Get("scope")+" ", " openid "):
		back(url.Values{"error": {"invalid_request"}})
		return
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		back(url.Values{"error": {"invalid_request"}, "error_description": {"PKCE S256 is required"}})
		return
	case account == nil:
		back(url.Values{"error": {"login_required"}})
		return
	}
	code := randomString()
	p.mu.Lock()
	p.codes[code] = &grant{clientID: p.opts.ClientID, redirectURI: redirect, nonce: q.Get("nonce"),
		challenge: q.Get("code_challenge"), claims: account, expires: p.opts.Now().Add(time.Minute)}
	p.mu.Unlock()
	back(url.Values{"code": {code}})
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	p.tokenHits.Add(1)
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.opts.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.opts.ClientSecret)) != 1 {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	code := r.PostForm.Get("code")
	p.mu.Lock()
	g := p.codes[code]
	delete(p.codes, code) // single use
	tamper, sign, userinfo := p.tamper, p.sign, p.userinfo
	p.mu.Unlock()
	switch {
	case g == nil, g.expires.Before(p.opts.Now()), g.redirectURI != r.PostForm.Get("redirect_uri"):
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	case g.challenge != s256(r.PostForm.Get("code_verifier")):
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	extra := map[string]any{}
	if g.nonce != "" {
		extra["nonce"] = g.nonce
	}
	claims := p.Claims(g.claims, extra)
	if tamper != nil {
		tamper(claims)
	}
	var idToken string
	if sign != nil {
		idToken = sign(claims)
	} else {
		idToken = p.IDToken(claims)
	}
	if userinfo == nil {
		userinfo = g.claims
	}
	access := p.NewAccessToken(userinfo)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "Bearer",
		"expires_in": 3600, "id_token": idToken, "scope": "openid email profile"})
}

func (p *Provider) userinfoHandler(w http.ResponseWriter, r *http.Request) {
	p.userinfoHits.Add(1)
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	claims, known := p.access[tok]
	p.mu.Unlock()
	if !ok || !known {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	writeJSON(w, http.StatusOK, claims)
}

// SignRS256 encodes claims as a compact JWS signed with key (RS256, header
// kid when non-empty).
func SignRS256(key *rsa.PrivateKey, kid string, claims map[string]any) string {
	hdr := map[string]any{"alg": "RS256", "typ": "JWT"}
	if kid != "" {
		hdr["kid"] = kid
	}
	in := encodePart(hdr) + "." + encodePart(claims)
	h := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	if err != nil {
		panic(err)
	}
	return in + "." + b64(sig)
}

// SignNone encodes claims as an unsigned JWT ("alg": "none").
func SignNone(claims map[string]any) string {
	return encodePart(map[string]any{"alg": "none", "typ": "JWT"}) + "." + encodePart(claims) + "."
}

// SignHS256 encodes claims as a JWT signed with an HMAC key (for example
// the client secret, the classic algorithm confusion).
func SignHS256(key []byte, claims map[string]any) string {
	in := encodePart(map[string]any{"alg": "HS256", "typ": "JWT"}) + "." + encodePart(claims)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return in + "." + b64(m.Sum(nil))
}

// NewKey returns a fresh RSA key (for tokens signed by a key the provider
// does not publish).
func NewKey(t testing.TB) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// KeyID is the id of the provider's published key.
func (p *Provider) KeyID() string { return p.kid }

func encodePart(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b64(b)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func s256(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return b64(h[:])
}

func randomString() string {
	b := make([]byte, 24)
	rand.Read(b)
	return b64(b)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func tokenError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}
