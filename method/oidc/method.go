package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"authing.dev/authing"
)

// Directory is what the method needs from the user database besides links:
// users by email and new users. authing.UserDirectory implements it. A
// Directory that also implements Links keeps account links (the SQLite and
// PostgreSQL user databases do); without links users are found by trusted
// email only, as Bazis does for Google.
type Directory interface {
	// UserByEmail returns the oldest user whose email equals email ignoring
	// case, or an error matching authing.ErrUserNotFound.
	UserByEmail(ctx context.Context, email string) (authing.User, error)
	// CreateUser creates a user; a taken username gives an error matching
	// authing.ErrUserExists.
	CreateUser(ctx context.Context, u authing.NewUser) (authing.User, error)
}

// Links keeps which user an account of a provider belongs to: (issuer,
// subject) → user id. Every implementation must pass authingtest.TestLinks.
type Links interface {
	// UserByLink returns the user linked to the subject of the issuer, or an
	// error matching authing.ErrUserNotFound when there is no link or the
	// linked user no longer exists.
	UserByLink(ctx context.Context, issuer, subject string) (authing.User, error)
	// Link links the subject of the issuer to the user with this id, unless
	// the pair is linked already, and returns the id the pair is linked to:
	// userID, or the user it was linked to before. A link to a user that no
	// longer exists is replaced. An unknown userID gives an error matching
	// authing.ErrUserNotFound.
	Link(ctx context.Context, issuer, subject, userID string) (linkedTo string, err error)
}

// Options configure a Method. The zero value works.
type Options struct {
	// Links keeps account links. Default: the Directory, when it implements
	// Links. A provider that is not trusted for emails needs links.
	Links Links
	// HTTPClient makes the requests to the provider; its Timeout bounds
	// each. Default: a client with a 10 s timeout.
	HTTPClient *http.Client
	// RetryInterval is the shortest time between two attempts to reach a
	// provider that failed (discovery, keys). Default 5 s.
	RetryInterval time.Duration
	// KeyRefreshInterval is the shortest time between two fetches of the
	// provider's keys caused by ID tokens with an unknown key id. Default 1 min.
	KeyRefreshInterval time.Duration
	// Now is the clock (ID token expiry, retries). Default time.Now.
	Now func() time.Time
	// Logger receives the cause of each refused sign-in (never a token).
	// Default: the service's logger.
	Logger *slog.Logger
}

// Method is the sign-in method of one OpenID Connect provider.
type Method struct {
	p     Provider
	users Directory
	links Links
	opts  Options

	svc         *authing.Service
	redirectURL string
	lazy        lazyEndpoints
}

var _ authing.Method = (*Method)(nil)

// New returns the method of provider p over a user database. It makes no
// request: the provider is reached on the first sign-in.
func New(p Provider, users Directory, opts Options) (*Method, error) {
	p, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	if users == nil {
		return nil, errors.New("oidc: New needs a user Directory")
	}
	if opts.Links == nil {
		opts.Links, _ = users.(Links)
	}
	if opts.Links == nil && !p.TrustEmail {
		return nil, errors.New("oidc: provider " + p.Name + ": a provider not trusted for emails needs a user database that keeps account links")
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.HTTPClient.Timeout <= 0 {
		c := *opts.HTTPClient
		c.Timeout = 10 * time.Second
		opts.HTTPClient = &c
	}
	if opts.RetryInterval <= 0 {
		opts.RetryInterval = 5 * time.Second
	}
	if opts.KeyRefreshInterval <= 0 {
		opts.KeyRefreshInterval = time.Minute
	}
	return &Method{p: p, users: users, links: opts.Links, opts: opts}, nil
}

// Provider returns the provider with its defaults filled in.
func (m *Method) Provider() Provider { return m.p }

// Code implements authing.Method.
func (m *Method) Code() string { return m.p.Code }

// LoginAction implements authing.Method: GET to the init route.
func (m *Method) LoginAction(lang string) authing.Action {
	return authing.Action{Code: m.p.Code, Name: authing.Translate(lang, m.p.Label),
		URL: m.svc.Path(m.p.InitPath), Method: http.MethodGet}
}

// Register implements authing.Method.
func (m *Method) Register(s *authing.Service) error {
	m.svc = s
	m.redirectURL = m.p.RedirectURL
	if m.redirectURL == "" {
		m.redirectURL = strings.TrimRight(m.p.BaseURL, "/") + s.Path(m.p.CallbackPath)
	}
	if m.opts.Logger == nil {
		m.opts.Logger = s.Logger()
	}
	s.Handle("GET "+m.p.InitPath, m.handleInit)
	s.Handle("GET "+m.p.CallbackPath, m.handleCallback)
	s.Handle("POST "+m.p.VerifyPath, m.handleVerify)
	return nil
}

// RedirectURL returns the callback URL sent to the provider (known once the
// method is registered).
func (m *Method) RedirectURL() string { return m.redirectURL }

func (m *Method) now() time.Time {
	if m.opts.Now != nil {
		return m.opts.Now()
	}
	return time.Now()
}

// providerContext carries the HTTP client to oauth2 and go-oidc.
func (m *Method) providerContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, m.opts.HTTPClient)
}

// Keys of the state entry's values.
const (
	valStore    = "store"
	valNonce    = "nonce"
	valVerifier = "verifier"
)

// handleInit is GET init: a one-time state for the request's store, the
// browser binding cookie, and a 302 to the provider.
func (m *Method) handleInit(w http.ResponseWriter, r *http.Request) error {
	st, err := m.svc.RequireStore(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	authURL := m.p.AuthURL
	if authURL == "" {
		ep, err := m.endpoints(ctx)
		if err != nil {
			return m.fail(w, r, st, m.p.DetailFailed, err)
		}
		authURL = ep.oauth2.Endpoint.AuthURL
	}
	state := hex.EncodeToString(random(32))
	nonce := base64.RawURLEncoding.EncodeToString(random(32))
	verifier := oauth2.GenerateVerifier()
	lifetime := m.svc.StoreLifetime(st)
	err = m.svc.Store().Put(ctx, m.p.StateKeyPrefix+state, authing.StoreData{Values: map[string]string{
		valStore: st.Key, valNonce: nonce, valVerifier: verifier,
	}}, lifetime)
	if err != nil {
		return err
	}
	cfg := oauth2.Config{ClientID: m.p.ClientID, Endpoint: oauth2.Endpoint{AuthURL: authURL},
		RedirectURL: m.redirectURL, Scopes: m.p.Scopes}
	loc := cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	m.setBinding(w, state, lifetime)
	h := w.Header()
	h.Set("Location", loc)
	h.Set("Content-Length", "0")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusFound)
	return nil
}

// Texts of the callback's 400 answers, as Bazis words them.
const (
	DetailMissingState = "Missing state parameter"
	DetailInvalidState = "Invalid or expired state"
	DetailMissingToken = "Missing id_token or access_token"
)

// handleCallback is GET callback: claim the state, load its store, check
// the browser binding, exchange the code (PKCE), verify the ID token and its
// nonce, sign in, and answer the closing page. The store cookie is set only
// when the store got signed in.
func (m *Method) handleCallback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		return authing.HTTPError(http.StatusBadRequest, "", DetailMissingState)
	}
	ctx := r.Context()
	d, won, err := m.svc.Store().Claim(ctx, m.p.StateKeyPrefix+state)
	if err != nil {
		return err
	}
	if !won || d.Values[valStore] == "" {
		return authing.HTTPError(http.StatusBadRequest, "", DetailInvalidState)
	}
	st, err := m.svc.StoreFromToken(ctx, m.svc.Keys().StoreToken(d.Values[valStore]))
	if err != nil {
		return err
	}
	switch {
	case !m.bound(r, state):
		return m.fail(w, r, st, m.p.DetailFailed, errors.New("oidc: the state is not bound to this browser (no binding cookie)"))
	case q.Get("error") != "":
		return m.fail(w, r, st, m.p.DetailFailed, errors.New("oidc: the provider answered error="+q.Get("error")))
	case q.Get("code") == "":
		return m.fail(w, r, st, m.p.DetailFailed, errors.New("oidc: the callback has no code"))
	case q.Has("iss") && !m.issuerMatches(q.Get("iss")):
		return m.fail(w, r, st, m.p.DetailFailed, errors.New("oidc: the authorization response names another issuer"))
	}
	ep, err := m.endpoints(ctx)
	if err != nil {
		return m.fail(w, r, st, m.p.DetailFailed, err)
	}
	pctx := m.providerContext(ctx)
	tok, err := ep.oauth2.Exchange(pctx, q.Get("code"), oauth2.VerifierOption(d.Values[valVerifier]))
	if err != nil {
		return m.fail(w, r, st, m.p.DetailFailed, err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return m.fail(w, r, st, m.p.DetailFailed, errors.New("oidc: the token answer has no id_token"))
	}
	idt, err := ep.verifier.Verify(pctx, rawID)
	if err != nil {
		return m.fail(w, r, st, m.p.DetailFailed, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(d.Values[valNonce])) != 1 {
		return m.fail(w, r, st, m.p.DetailFailed, errors.New("oidc: the ID token's nonce is not the one sent"))
	}
	u, detail, err := m.account(pctx, ep, idt, tok.AccessToken)
	if u == nil {
		return m.fail(w, r, st, detail, err)
	}
	if err := m.svc.SignIn(r, st, *u, m.p.Code); err != nil {
		return err
	}
	m.svc.SetStoreCookie(w, st)
	m.clearBinding(w, state)
	return m.writePage(w, r)
}

// fail records a sign-in error in the store and answers the closing page
// without a cookie.
func (m *Method) fail(w http.ResponseWriter, r *http.Request, st *authing.AuthStore, detail string, cause error) error {
	if err := m.record(r, st, detail, cause); err != nil {
		return err
	}
	return m.writePage(w, r)
}

// record adds the method's error to the store and logs its cause.
func (m *Method) record(r *http.Request, st *authing.AuthStore, detail string, cause error) error {
	code := m.p.ErrorCode
	if detail == DetailNoAccount {
		code = CodeNoAccount
	}
	lvl := slog.LevelInfo
	if errors.Is(cause, ErrProviderUnavailable) || errors.Is(cause, authing.ErrUnavailable) {
		lvl = slog.LevelWarn
	}
	m.opts.Logger.LogAttrs(r.Context(), lvl, "oidc: sign-in refused",
		slog.String("method", m.p.Code), slog.String("code", code), slog.String("detail", detail), slog.Any("cause", cause))
	return m.svc.AddStoreError(r, st, m.p.Code, code, detail)
}

func (m *Method) issuerMatches(iss string) bool {
	return iss == m.p.Issuer || (m.p.Issuer == GoogleIssuer && iss == "accounts.google.com")
}

// handleVerify is POST verify: the ID token and access token of a mobile
// SDK, in a JSON body or (deprecated) in the query; sign-in; 303 to /auth/.
func (m *Method) handleVerify(w http.ResponseWriter, r *http.Request) error {
	body, err := authing.ReadJSONBody(r) // malformed JSON: 422 before the token
	if err != nil {
		return err
	}
	st, err := m.svc.RequireStore(r)
	if err != nil {
		return err
	}
	var idToken, accessToken string
	if !body.Empty() {
		f, err := body.Strings("id_token", "access_token")
		if err != nil {
			return err
		}
		idToken, accessToken = f["id_token"], f["access_token"]
	} else {
		q := r.URL.Query()
		idToken, accessToken = q.Get("id_token"), q.Get("access_token")
		if idToken == "" || accessToken == "" {
			return authing.HTTPError(http.StatusBadRequest, "", DetailMissingToken)
		}
	}
	u, detail, cause := m.verifyTokens(r.Context(), idToken, accessToken)
	if u != nil {
		err = m.svc.SignIn(r, st, *u, m.p.Code)
	} else {
		err = m.record(r, st, detail, cause)
	}
	if err != nil {
		return err
	}
	m.svc.RedirectToAuth(w, st)
	return nil
}

// verifyTokens verifies an ID token (no nonce: the SDK chose it) and selects
// the user.
func (m *Method) verifyTokens(ctx context.Context, idToken, accessToken string) (*authing.User, string, error) {
	ep, err := m.endpoints(ctx)
	if err != nil {
		return nil, m.p.DetailFailed, err
	}
	pctx := m.providerContext(ctx)
	idt, err := ep.verifier.Verify(pctx, idToken)
	if err != nil {
		return nil, m.p.DetailFailed, err
	}
	return m.account(pctx, ep, idt, accessToken)
}

// The browser binding: init sets a cookie whose name and value derive from
// a hash of the state, limited to the callback path; the callback requires
// it. A forged callback (a state started in another browser) therefore signs
// nothing in.
func bindingHash(state string) string {
	h := sha256.Sum256([]byte("authing-oidc-state-binding\x00" + state))
	return hex.EncodeToString(h[:])
}

func bindingName(hash string) string { return "authing_oidc_" + hash[:16] }

func (m *Method) setBinding(w http.ResponseWriter, state string, lifetime time.Duration) {
	h := bindingHash(state)
	m.bindingCookie(w, bindingName(h), h, int64(lifetime/time.Second))
}

func (m *Method) clearBinding(w http.ResponseWriter, state string) {
	m.bindingCookie(w, bindingName(bindingHash(state)), "", 0)
}

func (m *Method) bindingCookie(w http.ResponseWriter, name, value string, maxAge int64) {
	v := name + "=" + value + "; HttpOnly; Max-Age=" + strconv.FormatInt(maxAge, 10) +
		"; Path=" + m.svc.Path(m.p.CallbackPath) + "; SameSite=lax"
	if !m.svc.Config().InsecureCookie {
		v += "; Secure"
	}
	w.Header().Add("Set-Cookie", v)
}

func (m *Method) bound(r *http.Request, state string) bool {
	h := bindingHash(state)
	c, err := r.Cookie(bindingName(h))
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(h)) == 1
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
