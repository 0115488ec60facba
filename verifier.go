package authing

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Verifier checks the session tokens of requests to a downstream service
// that holds the secret key but not the user database: it gives the
// handler the token's SessionClaims (SessionFromContext), never a User. The
// zero value is not usable; NewVerifier returns one with the Bazis
// defaults.
//
// Tokens are read as bazis-users reads them: the first non-empty value of
// the query parameter, the Authorization: Bearer header and the cookie
// (all named CookieName), with no fallback to a later carrier.
type Verifier struct {
	// Keys verify the tokens (SECRET_KEY and its fallbacks, the algorithm).
	Keys *Keys
	// CookieName names the cookie and the query parameter. Default
	// "bazis_auth".
	CookieName string
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Revocations, when set, refuses revoked session tokens (a logout under
	// AUTHING_REVOKE_ON_LOGOUT, "sign out everywhere") as invalid tokens.
	// Share the sign-in service's (e.g. Redis) to see its revocations.
	Revocations Revocations
}

// NewVerifier returns a Verifier of session tokens signed with keys.
//
//	keys, _ := authing.NewKeys(authing.HS256, os.Getenv("SECRET_KEY"))
//	mux.Handle("/api/v1/orders/", authing.NewVerifier(keys).RequireSession(orders))
func NewVerifier(keys *Keys) *Verifier {
	return &Verifier{Keys: keys, CookieName: DefaultCookieName, Now: time.Now}
}

// Texts of the downstream 401 and 403 answers, as bazis-users and Bazis word
// them. Note "Token has expired" (a session token) against "Token has been
// expired" (a store token, DetailTokenExpired).
const (
	DetailSessionExpired   = "Token has expired"
	DetailPermissionDenied = "Permission denied: check access"
	CodeForbidden          = "ERR_FORBIDDEN"
)

// ErrNoSession is returned by Verifier.Verify when the request carries no
// session: no token at all, or a token without "exp" (a store token), which
// bazis-users treats as no token.
var ErrNoSession = errors.New("authing: no session token")

// Verify returns the claims of the request's session token. Errors:
// ErrNoSession (anonymous), ErrTokenExpired, ErrTokenInvalid,
// ErrSessionRevoked, or a failure of the Revocations.
func (v *Verifier) Verify(r *http.Request) (SessionClaims, error) {
	tok := requestToken(r, v.cookieName())
	if tok == "" {
		return SessionClaims{}, ErrNoSession
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	c, err := v.Keys.ParseSessionToken(tok, now())
	if errors.Is(err, ErrNotSessionToken) {
		return SessionClaims{}, ErrNoSession
	}
	if err != nil || v.Revocations == nil {
		return c, err
	}
	at, one, err := v.Revocations.Check(r.Context(), c.Subject, SessionID(tok))
	switch {
	case err != nil:
		return SessionClaims{}, err
	case one || (!at.IsZero() && c.IssuedAt <= at.Unix()): // as Service.VerifySession
		return SessionClaims{}, ErrSessionRevoked
	}
	return c, nil
}

func (v *Verifier) cookieName() string {
	if v.CookieName == "" {
		return DefaultCookieName
	}
	return v.CookieName
}

// tokenError is the coded 401 of bazis-users' get_token_data for an
// expired or invalid token (no WWW-Authenticate header; a revoked token is
// invalid), nil for no token, or err itself for a failure of the
// Revocations.
func tokenError(err error) error {
	switch {
	case err == nil, errors.Is(err, ErrNoSession):
		return nil
	case errors.Is(err, ErrTokenExpired):
		return Unauthorized(DetailSessionExpired)
	case errors.Is(err, ErrTokenInvalid), errors.Is(err, ErrSessionRevoked):
		return Unauthorized(DetailTokenInvalid)
	default:
		return err
	}
}

// ErrorUserRequired is the 401 of bazis-users' get_user_required when a
// route needs a user and there is none (no token, a store token, an unknown
// or inactive user): an HTTP exception with WWW-Authenticate: Bearer, no
// code.
func ErrorUserRequired() *Error {
	return HTTPError(http.StatusUnauthorized, "", DetailTokenInvalid, "WWW-Authenticate", "Bearer")
}

// ErrorForbidden is the 403 ERR_FORBIDDEN answer of a signed-in user who
// lacks a permission.
func ErrorForbidden() *Error {
	return HTTPError(http.StatusForbidden, CodeForbidden, DetailPermissionDenied)
}

// OptionalSession passes every request on; a valid session token's claims
// are in the context (SessionFromContext). An expired or invalid token is
// answered 401 ERR_UNAUTHORIZED ("Token has expired", "Token is invalid"),
// as bazis-users does on its optional routes too.
func (v *Verifier) OptionalSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := v.Verify(r)
		if e := tokenError(err); e != nil {
			WriteError(w, r, e)
			return
		}
		if err == nil {
			r = r.WithContext(withSession(r.Context(), c))
		}
		next.ServeHTTP(w, r)
	})
}

// RequireSession is OptionalSession that also answers a request without a
// session with the 401 of ErrorUserRequired.
func (v *Verifier) RequireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := v.Verify(r)
		if e := tokenError(err); e != nil {
			WriteError(w, r, e)
			return
		}
		if err != nil {
			WriteError(w, r, ErrorUserRequired())
			return
		}
		next.ServeHTTP(w, r.WithContext(withSession(r.Context(), c)))
	})
}

// WriteError renders err as the Bazis JSON:API error envelope: an *Error as
// it is, a failure of a backing service (ErrUnavailable, a cancelled
// context) as 503, anything else as a bare 500. Failures (5xx, or an *Error
// with a Cause) are logged with slog.Default. It is what downstream handlers
// use to answer in the same shape as authing.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	renderError(slog.Default(), w, r, err)
}

type sessionKey struct{}

func withSession(ctx context.Context, c SessionClaims) context.Context {
	return context.WithValue(ctx, sessionKey{}, c)
}

// SessionFromContext returns the claims of the request's session token, put
// in the context by a Verifier or a Guard.
func SessionFromContext(ctx context.Context) (SessionClaims, bool) {
	c, ok := ctx.Value(sessionKey{}).(SessionClaims)
	return c, ok
}

// requestToken reads the token of a request by the Bazis rule (§2): the
// first non-empty value of the query parameter, the Bearer header and the
// cookie, all named name.
func requestToken(r *http.Request, name string) string { return readTokens(r, name).picked() }
