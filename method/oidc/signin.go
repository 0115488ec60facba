package oidc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"

	"authing.dev/authing"
)

// Claims are the claims of a verified ID token that select and describe
// the user.
type Claims struct {
	Subject string
	Email   string
	// EmailVerified is true only when email_verified is the JSON value true
	// ("true" as a string, false and a missing claim are not).
	EmailVerified bool
	Name          string
	GivenName     string
	FamilyName    string
}

// parseClaims reads the claims of an ID token or userinfo payload. String
// claims of another JSON type are ignored.
func parseClaims(payload []byte) (Claims, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(payload, &raw); err != nil {
		return Claims{}, err
	}
	str := func(k string) string {
		var s string
		if v, ok := raw[k]; ok && len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) == nil {
			return s
		}
		return ""
	}
	return Claims{
		Subject:       str("sub"),
		Email:         str("email"),
		EmailVerified: bytes.Equal(bytes.TrimSpace(raw["email_verified"]), []byte("true")),
		Name:          str("name"),
		GivenName:     str("given_name"),
		FamilyName:    str("family_name"),
	}, nil
}

// account completes the claims of a verified ID token with userinfo and
// selects the user. It returns the user, or nil with the detail to record
// and the cause.
func (m *Method) account(ctx context.Context, ep *endpoints, idt *oidc.IDToken, accessToken string) (*authing.User, string, error) {
	var payload json.RawMessage
	if err := idt.Claims(&payload); err != nil {
		return nil, m.p.DetailFailed, err
	}
	c, err := parseClaims(payload)
	if err != nil {
		return nil, m.p.DetailFailed, err
	}
	if c.Subject == "" {
		return nil, m.p.DetailFailed, errors.New("oidc: the ID token has no subject")
	}
	// An ID token for several audiences must have been issued to us.
	if len(idt.Audience) > 1 {
		var azp struct {
			AZP string `json:"azp"`
		}
		_ = json.Unmarshal(payload, &azp)
		if azp.AZP != m.p.ClientID {
			return nil, m.p.DetailFailed, errors.New("oidc: the ID token has several audiences and was not issued to this client (azp)")
		}
	}
	if accessToken != "" && ep.userinfo != "" {
		if err := m.userinfo(ctx, ep.userinfo, accessToken, &c); err != nil {
			return nil, m.p.DetailFailed, err
		}
	}
	return m.SelectUser(ctx, c)
}

// userinfo copies name, given_name and family_name from the userinfo
// endpoint into c where c lacks them, only when userinfo describes the same
// subject (Bazis' rule; it never changes the email or the subject). A
// userinfo answer that is not JSON (a signed JWT) is ignored.
func (m *Method) userinfo(ctx context.Context, url, accessToken string, c *Claims) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	res, err := m.opts.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("%w: userinfo: %w", ErrProviderUnavailable, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxDocument))
	if err != nil {
		return fmt.Errorf("%w: userinfo: %w", ErrProviderUnavailable, err)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("oidc: userinfo: %s", res.Status)
	}
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt == "application/jwt" {
		return nil
	}
	info, err := parseClaims(body)
	if err != nil || info.Subject != c.Subject {
		return nil
	}
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&c.Name, info.Name}, {&c.GivenName, info.GivenName}, {&c.FamilyName, info.FamilyName},
	} {
		if *f.dst == "" {
			*f.dst = f.src
		}
	}
	return nil
}

// SelectUser applies the account rules to verified claims: the email
// requirement, the account link, the trusted verified email, then a new user
// (see the package documentation). It returns the active user to sign in, or
// nil with the detail to record and the cause. Found and created users are
// linked when the user database keeps links.
func (m *Method) SelectUser(ctx context.Context, c Claims) (*authing.User, string, error) {
	verified := c.Email != "" && c.EmailVerified
	if m.p.RequireVerifiedEmail && !verified {
		return nil, m.p.DetailNotVerified, errors.New("oidc: email missing or email_verified is not JSON true")
	}
	active := func(u authing.User) (*authing.User, string, error) {
		if !u.IsActive {
			return nil, m.p.DetailInactive, fmt.Errorf("oidc: user %s is inactive", u.ID)
		}
		return &u, "", nil
	}
	// 1. The account link.
	if m.links != nil {
		u, err := m.links.UserByLink(ctx, m.p.Issuer, c.Subject)
		switch {
		case err == nil:
			return active(u)
		case !errors.Is(err, authing.ErrUserNotFound):
			return nil, m.p.DetailFailed, err
		}
	}
	// 2. A verified email, from a provider trusted for emails.
	if m.p.TrustEmail && verified {
		u, err := m.users.UserByEmail(ctx, c.Email)
		switch {
		case err == nil:
			if !u.IsActive {
				return active(u)
			}
			return m.link(ctx, c, u)
		case !errors.Is(err, authing.ErrUserNotFound):
			return nil, m.p.DetailFailed, err
		}
	}
	// 3. A new user.
	if !m.p.CreateUsers {
		return nil, DetailNoAccount, fmt.Errorf("oidc: no user for subject %q and creation is off", c.Subject)
	}
	nu := authing.NewUser{
		Username:     m.username(c.Subject),
		FirstName:    clip(firstNonEmpty(c.GivenName, c.Name), 150),
		LastName:     clip(c.FamilyName, 150),
		PasswordHash: unusablePassword(),
		IsActive:     true,
	}
	if verified && m.p.TrustEmail {
		// Only an email the provider is trusted for is stored: any other
		// could make this user the one that a trusted sign-in with that
		// email selects later (an account pre-hijack).
		nu.Email = c.Email
	}
	u, err := m.users.CreateUser(ctx, nu)
	if errors.Is(err, authing.ErrUserExists) && m.links != nil {
		// Two first sign-ins of one account at once: the other one created
		// and linked the user.
		if lu, lerr := m.links.UserByLink(ctx, m.p.Issuer, c.Subject); lerr == nil {
			return active(lu)
		}
	}
	if err != nil {
		return nil, m.p.DetailFailed, err
	}
	return m.link(ctx, c, u)
}

// link records the link of c's subject to u (when links are kept) and
// returns u, or refuses when the subject got linked to another user
// meanwhile.
func (m *Method) link(ctx context.Context, c Claims, u authing.User) (*authing.User, string, error) {
	if m.links == nil {
		return &u, "", nil
	}
	to, err := m.links.Link(ctx, m.p.Issuer, c.Subject, u.ID)
	if err != nil {
		return nil, m.p.DetailFailed, err
	}
	if to != u.ID {
		return nil, m.p.DetailFailed, fmt.Errorf("oidc: subject %q got linked to another user meanwhile", c.Subject)
	}
	return &u, "", nil
}

// username of a created user: UsernamePrefix + subject, or the prefix and
// a hash of the subject when the subject has characters outside Django's
// username set or the result would exceed 150 characters.
func (m *Method) username(sub string) string {
	u := m.p.UsernamePrefix + sub
	if len(u) <= 150 && djangoUsername(u) {
		return u
	}
	h := sha256.Sum256([]byte(sub))
	return m.p.UsernamePrefix + hex.EncodeToString(h[:16])
}

func djangoUsername(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '@' || c == '.' || c == '+' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

// unusablePassword is Django's make_password(None): "!" and 40 random
// letters and digits.
func unusablePassword() string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := random(40)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return "!" + string(b)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// clip cuts s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
