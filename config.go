package authing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Config holds the Bazis settings that the sign-in API uses. The zero value
// of every field but SecretKey means the Bazis default, written next to it.
type Config struct {
	// SecretKey (SECRET_KEY) signs store and session tokens. Required; at
	// least 32 characters.
	SecretKey string
	// SecretKeyFallbacks (SECRET_KEY_FALLBACKS) still verify tokens, so that
	// the key can be rotated without signing everyone out.
	SecretKeyFallbacks []string

	// Prefix is the path under which the API is mounted. Default
	// "/api/v1/authing". URLs that the service emits include it.
	Prefix string
	// OpenAPITokenURL (BAZIS_OPENAPI_TOKEN_URL) is the absolute path of the
	// bazis-users token endpoint, served by the password method. Default
	// "/api/openapi-token/"; "-" turns it off.
	OpenAPITokenURL string

	// CookieName (BAZIS_AUTH_COOKIE_NAME) names the cookie and the query
	// parameter that carry tokens. Default "bazis_auth".
	CookieName string
	// CookieLifetime (BAZIS_AUTH_COOKIE_LIFETIME) is the lifetime of an
	// anonymous store and of its cookie. Default 600 s.
	CookieLifetime time.Duration
	// ClaimLifetime (BAZIS_AUTH_CLAIM_LIFETIME) is how long a signed-in
	// store waits to be claimed by GET /auth/. Default 60 s.
	ClaimLifetime time.Duration
	// InsecureCookie drops the Secure attribute of the store cookie
	// (BAZIS_AUTH_COOKIE_SECURE=false), for plain-HTTP development only.
	InsecureCookie bool

	// SessionAlgorithm (BAZIS_JWT_SESSION_ALG): HS256 (default), HS384 or HS512.
	SessionAlgorithm string
	// SessionLifetime (BAZIS_JWT_SESSION_LIFETIME). Default 86400 s.
	SessionLifetime time.Duration

	// LanguageCode (LANGUAGE_CODE) is the language when the request names
	// none. Default "en".
	LanguageCode string
	// Languages (LANGUAGES) are the languages a request may choose. Default
	// ["en", "ru"] (the catalogs authing ships).
	Languages []string

	// TrustedOrigins (CSRF_TRUSTED_ORIGINS, plus HOST_URL) are the origins
	// allowed by CORS, with credentials. Default none.
	TrustedOrigins []string

	// MaxBodyBytes bounds request bodies. Default 64 KiB.
	MaxBodyBytes int64

	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger receives one line per failed request. Default slog.Default().
	Logger *slog.Logger
	// Events, when set, receives one Event per sign-in success or failure,
	// claim and logout (audit logs, metrics). It must not block.
	Events func(context.Context, Event)

	// UserCacheTTL is how long a session refresh (GET /auth/ with a session
	// token) may use an active user read earlier instead of reading the
	// database. Default 10 s, as bazis-users caches the same look-up; a
	// negative value turns the cache off. Service.ForgetUser drops a user at
	// once; a deactivation by another process is seen within UserCacheTTL.
	UserCacheTTL time.Duration
	// UserCacheSize bounds the number of users cached. Default 10,000.
	UserCacheSize int

	// Revocations, when set, is consulted on every session verification:
	// revoked sessions are refused like invalid ones. Default none: session
	// tokens are stateless, as in Bazis.
	Revocations Revocations
	// RevokeOnLogout (AUTHING_REVOKE_ON_LOGOUT) makes POST /logout/ also
	// revoke the session tokens it is given, until their expiry. Without
	// Revocations it uses a MemoryRevocations (one instance only). Default
	// false: the logout ignores session tokens, as Bazis does.
	RevokeOnLogout bool
}

// Default values of the settings.
const (
	DefaultPrefix          = "/api/v1/authing"
	DefaultOpenAPITokenURL = "/api/openapi-token/"
	DefaultCookieName      = "bazis_auth"
	DefaultCookieLifetime  = 600 * time.Second
	DefaultClaimLifetime   = 60 * time.Second
	DefaultSessionLifetime = 86400 * time.Second
	DefaultMaxBodyBytes    = 64 << 10
	MinSecretKeyLength     = 32
)

func (c Config) withDefaults() Config {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	c.Prefix = "/" + strings.Trim(c.Prefix, "/")
	if c.Prefix == "/" {
		c.Prefix = ""
	}
	if c.OpenAPITokenURL == "" {
		c.OpenAPITokenURL = DefaultOpenAPITokenURL
	}
	if c.CookieName == "" {
		c.CookieName = DefaultCookieName
	}
	if c.CookieLifetime == 0 {
		c.CookieLifetime = DefaultCookieLifetime
	}
	if c.ClaimLifetime == 0 {
		c.ClaimLifetime = DefaultClaimLifetime
	}
	if c.SessionAlgorithm == "" {
		c.SessionAlgorithm = HS256
	}
	if c.SessionLifetime == 0 {
		c.SessionLifetime = DefaultSessionLifetime
	}
	if c.LanguageCode == "" {
		c.LanguageCode = "en"
	}
	if len(c.Languages) == 0 {
		c.Languages = []string{"en", "ru"}
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.UserCacheTTL == 0 {
		c.UserCacheTTL = DefaultUserCacheTTL
	}
	if c.UserCacheSize <= 0 {
		c.UserCacheSize = DefaultUserCacheSize
	}
	if c.RevokeOnLogout && c.Revocations == nil {
		c.Revocations = NewMemoryRevocations(c.Now, max(c.SessionLifetime, DefaultRevocationRetention))
	}
	return c
}

// Validate reports every problem of the configuration (after defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if len(c.SecretKey) < MinSecretKeyLength {
		errs = append(errs, fmt.Errorf("SECRET_KEY must be at least %d characters (got %d)", MinSecretKeyLength, len(c.SecretKey)))
	}
	switch c.SessionAlgorithm {
	case HS256, HS384, HS512:
	default:
		errs = append(errs, fmt.Errorf("BAZIS_JWT_SESSION_ALG must be HS256, HS384 or HS512 (got %q)", c.SessionAlgorithm))
	}
	if c.CookieLifetime < time.Second || c.ClaimLifetime < time.Second || c.SessionLifetime < time.Second {
		errs = append(errs, errors.New("BAZIS_AUTH_COOKIE_LIFETIME, BAZIS_AUTH_CLAIM_LIFETIME and BAZIS_JWT_SESSION_LIFETIME must be at least 1 second"))
	}
	if !validCookieName(c.CookieName) {
		errs = append(errs, fmt.Errorf("BAZIS_AUTH_COOKIE_NAME %q is not a valid cookie name", c.CookieName))
	}
	if c.OpenAPITokenURL != "-" && !strings.HasPrefix(c.OpenAPITokenURL, "/") {
		errs = append(errs, fmt.Errorf("BAZIS_OPENAPI_TOKEN_URL must be an absolute path (got %q)", c.OpenAPITokenURL))
	}
	if strings.ContainsAny(c.Prefix, "{}?#") {
		errs = append(errs, fmt.Errorf("prefix %q must be a plain path", c.Prefix))
	}
	found := false
	for _, l := range c.Languages {
		found = found || l == c.LanguageCode
	}
	if !found {
		errs = append(errs, fmt.Errorf("LANGUAGE_CODE %q is not in LANGUAGES %v", c.LanguageCode, c.Languages))
	}
	return errors.Join(errs...)
}

func validCookieName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}
