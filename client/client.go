// Package client is a Go client of the Bazis sign-in API as authing (or
// Bazis) serves it: the status of a token, the password sign-in through a
// store (the browser flow, with the store token as a bearer token), the
// token endpoint, refresh and logout. Errors decode the Bazis JSON:API
// envelope into typed values:
//
//	c := &client.Client{BaseURL: "http://127.0.0.1:8080"}
//	s, err := c.SignIn(ctx, "user1", "weak_password_1")
//	if errors.Is(err, client.ErrInvalidCredentials) { … }
//	s, err = c.Refresh(ctx, s.Token) // a new session token
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DefaultPrefix is the path prefix of the API when Client.Prefix is empty.
const DefaultPrefix = "/api/v1/authing"

// Client calls one authing server. The zero value needs BaseURL; a Client
// is safe for concurrent use.
type Client struct {
	// BaseURL is the scheme and host, e.g. "https://auth.example.com".
	BaseURL string
	// Prefix of the API. Default "/api/v1/authing".
	Prefix string
	// HTTPClient sends the requests. Default http.DefaultClient. Redirects
	// are never followed by it: the client follows the sign-in redirect
	// itself, with the store token.
	HTTPClient *http.Client
	// Language, when set, is sent as Accept-Language (texts of the answers).
	Language string
}

// Action is a login or logout action.
type Action struct {
	Code   string `json:"code,omitempty"`
	Name   string `json:"name,omitempty"`
	URL    string `json:"url"`
	Method string `json:"method"`
}

// Session is a signed-in user with a new session token.
type Session struct {
	UserID        string   `json:"user_id"`
	Username      string   `json:"username"`
	FirstName     string   `json:"first_name"`
	LastName      string   `json:"last_name"`
	Email         string   `json:"email"`
	Token         string   `json:"token"`
	LogoutActions []Action `json:"logout_actions"`
}

// ErrorObject is one error of the envelope.
type ErrorObject struct {
	Status int             `json:"status"`
	Title  string          `json:"title,omitempty"`
	Code   string          `json:"code,omitempty"`
	Detail string          `json:"detail,omitempty"`
	Source *Source         `json:"source,omitempty"`
	Meta   json.RawMessage `json:"meta,omitempty"`
}

// Source locates a validation error.
type Source struct {
	Pointer   *string `json:"pointer,omitempty"`
	Parameter string  `json:"parameter,omitempty"`
}

// Sentinel errors, matched with errors.Is against *Error and *NotSignedIn.
var (
	// ErrInvalidCredentials: a wrong username or password (the token
	// endpoint's 401, or USERNAME_PASSWORD_ERROR on the store).
	ErrInvalidCredentials = errors.New("client: credentials are invalid")
	// ErrThrottled: too many attempts (429, or TOO_MANY_ATTEMPTS on the
	// store).
	ErrThrottled = errors.New("client: too many attempts")
	// ErrUnauthorized: a 401 (a missing, invalid or expired token).
	ErrUnauthorized = errors.New("client: unauthorized")
	// ErrNotSignedIn: GET /auth/ gave no session.
	ErrNotSignedIn = errors.New("client: not signed in")
	// ErrUnavailable: the server or one of its backing services failed (5xx).
	ErrUnavailable = errors.New("client: service unavailable")
)

// Error is an answer that is not a success: the HTTP status and the
// decoded envelope (empty when the body was not one).
type Error struct {
	StatusCode int
	Errors     []ErrorObject
	Header     http.Header
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("authing: HTTP %d", e.StatusCode)
	if len(e.Errors) > 0 {
		o := e.Errors[0]
		if o.Code != "" {
			msg += " " + o.Code
		}
		if o.Detail != "" {
			msg += ": " + o.Detail
		}
	}
	return msg
}

// Has reports whether an error object has this code.
func (e *Error) Has(code string) bool {
	for _, o := range e.Errors {
		if o.Code == code {
			return true
		}
	}
	return false
}

// Is matches the sentinel errors.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrInvalidCredentials:
		return e.Has("USERNAME_PASSWORD_ERROR") ||
			(e.StatusCode == http.StatusUnauthorized && len(e.Errors) > 0 && e.Errors[0].Detail == "Credentials are invalid")
	case ErrThrottled:
		return e.StatusCode == http.StatusTooManyRequests || e.Has("TOO_MANY_ATTEMPTS")
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrUnavailable:
		return e.StatusCode >= 500
	}
	return false
}

// NotSignedIn is the anonymous answer of GET /auth/ (HTTP 400): the login
// actions, the store token to sign in with, the store's next step (a
// status-100 error) and its sign-in errors (status 422), e.g.
// USERNAME_PASSWORD_ERROR after a failed attempt. As an error it matches
// ErrNotSignedIn, and ErrInvalidCredentials or ErrThrottled by its errors.
type NotSignedIn struct {
	StoreToken   string
	Actions      []Action
	Next         *ErrorObject
	SignInErrors []ErrorObject
	Err          *Error // the whole answer
}

func (n *NotSignedIn) Error() string {
	if len(n.SignInErrors) > 0 {
		o := n.SignInErrors[0]
		return "authing: not signed in: " + o.Code + ": " + o.Detail
	}
	return "authing: not signed in"
}

// Is matches ErrNotSignedIn and the sentinels of its sign-in errors.
func (n *NotSignedIn) Is(target error) bool {
	if target == ErrNotSignedIn {
		return true
	}
	e := &Error{StatusCode: http.StatusBadRequest, Errors: n.SignInErrors}
	return (target == ErrInvalidCredentials || target == ErrThrottled) && e.Is(target)
}

// Unwrap gives the answer as an *Error.
func (n *NotSignedIn) Unwrap() error { return n.Err }

func (c *Client) prefix() string {
	if c.Prefix == "" {
		return DefaultPrefix
	}
	return "/" + strings.Trim(c.Prefix, "/")
}

func (c *Client) url(path string) string { return strings.TrimRight(c.BaseURL, "/") + path }

// do sends one request, never following redirects, and reads the body.
func (c *Client) do(ctx context.Context, method, path, token, contentType string, body []byte) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path), rd)
	if err != nil {
		return nil, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.Language != "" {
		req.Header.Set("Accept-Language", c.Language)
	}
	hc := http.DefaultClient
	if c.HTTPClient != nil {
		hc = c.HTTPClient
	}
	noFollow := *hc
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := noFollow.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, nil, err
	}
	return res, b, nil
}

func decodeError(res *http.Response, body []byte) *Error {
	e := &Error{StatusCode: res.StatusCode, Header: res.Header}
	var env struct {
		Errors []ErrorObject `json:"errors"`
	}
	if json.Unmarshal(body, &env) == nil {
		e.Errors = env.Errors
	}
	return e
}

// authAnswer decodes an answer of GET /auth/.
func authAnswer(res *http.Response, body []byte) (*Session, error) {
	switch res.StatusCode {
	case http.StatusOK:
		var s Session
		if err := json.Unmarshal(body, &s); err != nil {
			return nil, fmt.Errorf("authing: decoding the session: %w", err)
		}
		return &s, nil
	case http.StatusBadRequest:
		e := decodeError(res, body)
		if len(e.Errors) == 0 || e.Errors[0].Code != "UNAUTHORIZED" {
			return nil, e
		}
		n := &NotSignedIn{Err: e}
		var meta struct {
			Actions []Action `json:"actions"`
			Token   string   `json:"token"`
		}
		json.Unmarshal(e.Errors[0].Meta, &meta)
		n.StoreToken, n.Actions = meta.Token, meta.Actions
		for i := range e.Errors[1:] {
			o := e.Errors[1+i]
			if o.Status == 100 && n.Next == nil {
				n.Next = &o
			} else {
				n.SignInErrors = append(n.SignInErrors, o)
			}
		}
		return nil, n
	}
	return nil, decodeError(res, body)
}

// Status is GET /auth/ with token (a session token, a store token, or ""):
// the Session of a valid session token (with a new token) or of a
// signed-in store (once), else a *NotSignedIn error.
func (c *Client) Status(ctx context.Context, token string) (*Session, error) {
	res, body, err := c.do(ctx, http.MethodGet, c.prefix()+"/auth/", token, "", nil)
	if err != nil {
		return nil, err
	}
	return authAnswer(res, body)
}

// Begin starts a sign-in: GET /auth/ without a token gives a new store
// token and the login actions.
func (c *Client) Begin(ctx context.Context) (*NotSignedIn, error) {
	_, err := c.Status(ctx, "")
	var n *NotSignedIn
	if errors.As(err, &n) {
		return n, nil
	}
	if err == nil {
		return nil, errors.New("authing: GET /auth/ without a token gave a session")
	}
	return nil, err
}

// SignIn signs in with a username and password as a browser does, with the
// store token as a bearer token: a new store (Begin), POST /password/, and
// the redirect to GET /auth/ that claims the store. A wrong password gives
// a *NotSignedIn that matches ErrInvalidCredentials.
func (c *Client) SignIn(ctx context.Context, username, password string) (*Session, error) {
	n, err := c.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return c.SignInStore(ctx, n.StoreToken, username, password)
}

// SignInStore is the password step of SignIn on a store the caller holds.
func (c *Client) SignInStore(ctx context.Context, store, username, password string) (*Session, error) {
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	res, rb, err := c.do(ctx, http.MethodPost, c.prefix()+"/password/", store, "application/json", body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusSeeOther {
		return nil, decodeError(res, rb)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || loc.Path == "" {
		return nil, fmt.Errorf("authing: bad Location %q", res.Header.Get("Location"))
	}
	res, rb, err = c.do(ctx, http.MethodGet, loc.RequestURI(), store, "", nil)
	if err != nil {
		return nil, err
	}
	return authAnswer(res, rb)
}

// Token is the OAuth2 password form of POST {prefix}/password/token/: a
// session token. A wrong password gives an *Error matching
// ErrInvalidCredentials.
func (c *Client) Token(ctx context.Context, username, password string) (string, error) {
	form := url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}}
	res, body, err := c.do(ctx, http.MethodPost, c.prefix()+"/password/token/", "", "application/x-www-form-urlencoded", []byte(form.Encode()))
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", decodeError(res, body)
	}
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &t); err != nil || t.AccessToken == "" {
		return "", fmt.Errorf("authing: decoding the token answer: %s", body)
	}
	return t.AccessToken, nil
}

// Refresh exchanges a valid session token for a new one (GET /auth/). An
// expired or invalid token gives a *NotSignedIn.
func (c *Client) Refresh(ctx context.Context, session string) (*Session, error) {
	if session == "" {
		return nil, errors.New("authing: Refresh needs a session token")
	}
	return c.Status(ctx, session)
}

// Logout is POST /logout/ with token: the store it names (if any) is
// deleted. Session tokens are stateless: drop them.
func (c *Client) Logout(ctx context.Context, token string) error {
	res, body, err := c.do(ctx, http.MethodPost, c.prefix()+"/logout/", token, "", nil)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusNoContent {
		return decodeError(res, body)
	}
	return nil
}
