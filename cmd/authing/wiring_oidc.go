package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"authing.dev/authing"
	"authing.dev/authing/method/oidc"
)

// The OpenID Connect kinds: "google" (Bazis' Google service, settings
// BAZIS_G_AUTH_*) and "oidc:<name>", one per entry of
// AUTHING_OIDC_PROVIDERS.

// oidcKindPrefix starts the BAZIS_AUTH_KINDS names of generic providers.
const oidcKindPrefix = "oidc:"

// oidcProviderSetting is one entry of AUTHING_OIDC_PROVIDERS.
type oidcProviderSetting struct {
	Name         string   `json:"name"`
	Issuer       string   `json:"issuer"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	Scopes       []string `json:"scopes"`
	Label        string   `json:"label"`
	TrustEmail   bool     `json:"trust_email"`
	CreateUsers  *bool    `json:"create_users"` // default true
	RedirectURI  string   `json:"redirect_uri"`
}

// oidcKind returns the canonical kind of a BAZIS_AUTH_KINDS entry
// "oidc:<name>" (the entry itself).
func oidcKind(k string) (string, bool) {
	name, ok := strings.CutPrefix(k, oidcKindPrefix)
	return k, ok && name != ""
}

// oidcProviders parses AUTHING_OIDC_PROVIDERS. Its value is never quoted in
// errors: it holds client secrets.
func oidcProviders(st *settings) ([]oidcProviderSetting, error) {
	raw := strings.TrimSpace(st.str("AUTHING_OIDC_PROVIDERS"))
	if raw == "" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	var ps []oidcProviderSetting
	if err := dec.Decode(&ps); err != nil {
		var ute *json.UnmarshalTypeError
		msg := "not a JSON list of provider objects"
		if errors.As(err, &ute) && ute.Field != "" {
			msg = fmt.Sprintf("field %q has the wrong type", ute.Field)
		} else if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			msg = "unknown field " + f + " (known: name, issuer, client_id, client_secret, scopes, label, trust_email, create_users, redirect_uri)"
		}
		return nil, fmt.Errorf("AUTHING_OIDC_PROVIDERS: %s", msg)
	}
	seen := map[string]bool{}
	for _, p := range ps {
		if seen[p.Name] {
			return nil, fmt.Errorf("AUTHING_OIDC_PROVIDERS: two providers are named %q", p.Name)
		}
		seen[p.Name] = true
	}
	return ps, nil
}

// googleProvider is the Google preset with the Bazis settings.
func googleProvider(st *settings) oidc.Provider {
	p := oidc.Google(st.str("BAZIS_G_AUTH_CLIENT_ID"), st.str("BAZIS_G_AUTH_CLIENT_SECRET"), st.str("BAZIS_G_AUTH_REDIRECT_URI"))
	p.BaseURL = st.str("HOST_URL")
	return p
}

// genericProvider is the provider of AUTHING_OIDC_PROVIDERS named name.
func genericProvider(st *settings, name string) (oidc.Provider, error) {
	ps, err := oidcProviders(st)
	if err != nil {
		return oidc.Provider{}, err
	}
	for _, s := range ps {
		if s.Name != name {
			continue
		}
		create := s.CreateUsers == nil || *s.CreateUsers
		return oidc.Provider{Name: s.Name, Label: s.Label, Issuer: strings.TrimRight(s.Issuer, "/"),
			ClientID: s.ClientID, ClientSecret: s.ClientSecret, Scopes: s.Scopes, RedirectURL: s.RedirectURI,
			BaseURL: st.str("HOST_URL"), TrustEmail: s.TrustEmail, CreateUsers: create}, nil
	}
	return oidc.Provider{}, fmt.Errorf("BAZIS_AUTH_KINDS lists %s%s, but AUTHING_OIDC_PROVIDERS has no provider named %q", oidcKindPrefix, name, name)
}

// checkOIDCSettings reports the problems of the OpenID Connect settings of
// the kinds listed (authing check, and serve before it starts).
func checkOIDCSettings(st *settings, kinds []string) error {
	var errs []error
	if _, err := oidcProviders(st); err != nil {
		errs = append(errs, err)
	}
	for _, k := range kinds {
		switch {
		case k == oidc.GoogleCode:
			p := googleProvider(st)
			switch {
			case p.ClientID == "":
				errs = append(errs, errors.New("BAZIS_AUTH_KINDS lists google: set BAZIS_G_AUTH_CLIENT_ID (the Google OAuth client id)"))
			case p.RedirectURL == "" && p.BaseURL == "":
				errs = append(errs, errors.New("BAZIS_AUTH_KINDS lists google: set HOST_URL (the callback is HOST_URL + {prefix}/google-auth-callback/) or BAZIS_G_AUTH_REDIRECT_URI"))
			default:
				if err := p.Validate(); err != nil {
					errs = append(errs, fmt.Errorf("BAZIS_AUTH_KINDS lists google: %w", err))
				}
			}
		case strings.HasPrefix(k, oidcKindPrefix):
			p, err := genericProvider(st, strings.TrimPrefix(k, oidcKindPrefix))
			if err == nil {
				err = p.Validate()
			}
			if err != nil && !strings.HasPrefix(err.Error(), "AUTHING_OIDC_PROVIDERS:") {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func newGoogleMethod(d methodDeps) (authing.Method, error) {
	return newOIDC(googleProvider(d.settings), d)
}

func newOIDCMethod(name string, d methodDeps) (authing.Method, error) {
	p, err := genericProvider(d.settings, name)
	if err != nil {
		return nil, err
	}
	return newOIDC(p, d)
}

// newOIDC builds the method; the user database keeps the account links
// (both of authing's do).
func newOIDC(p oidc.Provider, d methodDeps) (authing.Method, error) {
	var opts oidc.Options
	if l, ok := d.users.(oidc.Links); ok {
		opts.Links = l
	}
	return oidc.New(p, d.users, opts)
}
