package oidc

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// Provider describes an OpenID Connect provider and how the method offers
// it. It is plain data: Google returns the Bazis-compatible preset, and a
// generic provider needs only Name, Issuer, ClientID, ClientSecret and a
// redirect (RedirectURL or BaseURL); every other field has a default.
type Provider struct {
	// Name identifies the provider in the configuration: lowercase letters,
	// digits, '-' and '_', at most 32 characters. It gives the defaults of
	// Code ("oidc:<name>"), the routes (/oidc/<name>/…) and the state keys.
	Name string
	// Code is the AUTH_CODE: the store's auth type, the session token's
	// auth_type and the code of the login action. Default "oidc:" + Name.
	Code string
	// Label is the name of the login action and the title of the callback
	// page. Default Name.
	Label string

	// Issuer is the issuer URL: discovery reads
	// Issuer + "/.well-known/openid-configuration" and ID tokens must carry
	// it as iss. It must be https, except on a loopback host.
	Issuer string
	// AuthURL, TokenURL, UserinfoURL and JWKSURL replace the discovered
	// endpoints when set. With AuthURL, TokenURL and JWKSURL all set no
	// discovery is made.
	AuthURL, TokenURL, UserinfoURL, JWKSURL string

	// ClientID and ClientSecret are the OAuth client registered with the
	// provider; ClientID is also the audience ID tokens must have.
	ClientID     string
	ClientSecret string
	// RedirectURL is the absolute callback URL registered with the provider.
	// Default: BaseURL + the service prefix + the callback path.
	RedirectURL string
	// BaseURL is the public URL of the service (HOST_URL), used for the
	// default RedirectURL.
	BaseURL string
	// Scopes requested. Default ["openid", "email", "profile"].
	Scopes []string

	// TrustEmail lets a verified email (email_verified is JSON true) select
	// an existing user with that email. Trust only a provider that verifies
	// the email addresses it asserts and that no one else can make assert
	// yours: whoever controls its accounts can sign in as any user whose
	// email it claims.
	TrustEmail bool
	// CreateUsers creates a user when no link or trusted email selects one;
	// without it such a sign-in is refused with CodeNoAccount.
	CreateUsers bool
	// RequireVerifiedEmail refuses every sign-in whose ID token has no email
	// or whose email_verified is not JSON true (Bazis' Google rule).
	RequireVerifiedEmail bool
	// UsernamePrefix is put before the subject to make the username of a
	// created user. Default Name + "."; Google's preset uses the bare
	// subject, as Bazis does. A subject with characters outside Django's
	// username set (letters, digits, @ . + - _) or too long is replaced by a
	// hash of it.
	UsernamePrefix string

	// InitPath, CallbackPath and VerifyPath are the routes, relative to the
	// service prefix. Default /oidc/<name>/init/, …/callback/, …/verify/.
	InitPath, CallbackPath, VerifyPath string
	// StateKeyPrefix is the Store key prefix of one-time states. Default
	// "auth_oidc_<name>_state_"; Google's is Bazis' "auth_google_state_".
	StateKeyPrefix string

	// ErrorCode is the code of sign-in errors recorded in the store.
	// Default CodeAuthError ("OIDC_AUTH_ERROR"); Google's is
	// "GOOGLE_AUTH_ERROR".
	ErrorCode string
	// DetailFailed is the detail of a failed sign-in (provider unreachable,
	// a refused token, a database failure, …). Default "Authentication with
	// <Label> failed".
	DetailFailed string
	// DetailNotVerified is the detail when RequireVerifiedEmail refuses a
	// sign-in. Default "The email of the account is not verified".
	DetailNotVerified string
	// DetailInactive is the detail when the selected user is inactive.
	// Default "The user is inactive".
	DetailInactive string
}

// Error codes and details.
const (
	// CodeAuthError is the default ErrorCode of a provider.
	CodeAuthError = "OIDC_AUTH_ERROR"
	// CodeNoAccount is recorded when no user is linked to the sign-in, no
	// trusted email selects one and CreateUsers is off.
	CodeNoAccount = "OIDC_NO_ACCOUNT"
	// DetailNoAccount is the detail of CodeNoAccount.
	DetailNoAccount = "No account is linked to this sign-in"

	// GoogleCode is the AUTH_CODE of the Google method.
	GoogleCode = "google"
	// GoogleErrorCode is the code of Google sign-in errors.
	GoogleErrorCode = "GOOGLE_AUTH_ERROR"
	// GoogleIssuer is the issuer of Google ID tokens (accounts.google.com
	// without the scheme is accepted too).
	GoogleIssuer = "https://accounts.google.com"

	detailInactive    = "The user is inactive"
	detailNotVerified = "The email of the account is not verified"
)

// Google returns the Bazis-compatible Google provider (spec §8): the routes
// google-auth-init/, google-auth-callback/ and google-auth-verify/, the
// login action "Google Authentication", Bazis' endpoints and scope, errors
// GOOGLE_AUTH_ERROR, emails trusted and users created. redirectURL may be
// empty when BaseURL is set.
func Google(clientID, clientSecret, redirectURL string) Provider {
	return Provider{
		Name:                 "google",
		Code:                 GoogleCode,
		Label:                "Google Authentication",
		Issuer:               GoogleIssuer,
		AuthURL:              "https://accounts.google.com/o/oauth2/auth",
		TokenURL:             "https://oauth2.googleapis.com/token", // Google's current token endpoint (Bazis names the older accounts.google.com/o/oauth2/token); not visible to clients
		UserinfoURL:          "https://www.googleapis.com/oauth2/v3/userinfo",
		ClientID:             clientID,
		ClientSecret:         clientSecret,
		RedirectURL:          redirectURL,
		Scopes:               []string{"openid", "email", "profile"},
		TrustEmail:           true,
		CreateUsers:          true,
		RequireVerifiedEmail: true,
		UsernamePrefix:       "",
		InitPath:             "/google-auth-init/",
		CallbackPath:         "/google-auth-callback/",
		VerifyPath:           "/google-auth-verify/",
		StateKeyPrefix:       "auth_google_state_",
		ErrorCode:            GoogleErrorCode,
		DetailFailed:         "Google authentication failed",
		DetailNotVerified:    "The email of the Google account is not verified",
		DetailInactive:       detailInactive,
	}
}

// Validate reports every problem of the provider's configuration, as New
// does, without building a method.
func (p Provider) Validate() error {
	_, err := p.withDefaults()
	return err
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// withDefaults fills the empty fields and checks the result.
func (p Provider) withDefaults() (Provider, error) {
	var errs []error
	if !nameRE.MatchString(p.Name) {
		errs = append(errs, fmt.Errorf("name %q: use 1 to 32 lowercase letters, digits, '-' or '_'", p.Name))
	}
	if p.Code == "" {
		p.Code = "oidc:" + p.Name
	}
	if p.Label == "" {
		p.Label = p.Name
	}
	if p.Scopes == nil {
		p.Scopes = []string{"openid", "email", "profile"}
	}
	hasOpenID := false
	for _, s := range p.Scopes {
		hasOpenID = hasOpenID || s == "openid"
	}
	if !hasOpenID {
		errs = append(errs, errors.New(`scopes must include "openid"`))
	}
	if p.UsernamePrefix == "" && p.Code != GoogleCode {
		p.UsernamePrefix = p.Name + "."
	}
	base := "/oidc/" + p.Name
	if p.InitPath == "" {
		p.InitPath = base + "/init/"
	}
	if p.CallbackPath == "" {
		p.CallbackPath = base + "/callback/"
	}
	if p.VerifyPath == "" {
		p.VerifyPath = base + "/verify/"
	}
	for _, path := range []string{p.InitPath, p.CallbackPath, p.VerifyPath} {
		if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") {
			errs = append(errs, fmt.Errorf("route %q must start and end with '/'", path))
		}
	}
	if p.StateKeyPrefix == "" {
		p.StateKeyPrefix = "auth_oidc_" + p.Name + "_state_"
	}
	if p.ErrorCode == "" {
		p.ErrorCode = CodeAuthError
	}
	if p.DetailFailed == "" {
		p.DetailFailed = "Authentication with " + p.Label + " failed"
	}
	if p.DetailNotVerified == "" {
		p.DetailNotVerified = detailNotVerified
	}
	if p.DetailInactive == "" {
		p.DetailInactive = detailInactive
	}
	if p.ClientID == "" {
		errs = append(errs, errors.New("the client id is empty"))
	}
	if err := checkURL("issuer", p.Issuer, true); err != nil {
		errs = append(errs, err)
	}
	for _, e := range []struct{ name, v string }{
		{"authorization endpoint", p.AuthURL}, {"token endpoint", p.TokenURL},
		{"userinfo endpoint", p.UserinfoURL}, {"JWKS URL", p.JWKSURL},
	} {
		if err := checkURL(e.name, e.v, false); err != nil {
			errs = append(errs, err)
		}
	}
	if p.RedirectURL != "" {
		if u, err := url.Parse(p.RedirectURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("redirect URL %q must be an absolute http(s) URL without query", p.RedirectURL))
		}
	} else if p.BaseURL == "" {
		errs = append(errs, errors.New("set the redirect URL or the base URL (HOST_URL) of the service"))
	} else if u, err := url.Parse(p.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("base URL %q must be an absolute http(s) URL", p.BaseURL))
	}
	if len(errs) > 0 {
		name := p.Name
		if name == "" {
			name = "(unnamed)"
		}
		return p, fmt.Errorf("oidc: provider %s: %w", name, errors.Join(errs...))
	}
	return p, nil
}

// checkURL accepts an https URL, or an http URL on a loopback host (a
// provider run beside authing for development and tests).
func checkURL(what, raw string, required bool) error {
	if raw == "" {
		if required {
			return fmt.Errorf("the %s is empty", what)
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("the %s %q is not an absolute URL", what, raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("the %s %q must be https (http only on a loopback host)", what, raw)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
