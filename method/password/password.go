package password

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"authing.dev/authing"
)

// Code is the AUTH_CODE of the method.
const Code = "password"

// Hasher checks and encodes Django password hashes; hashers.Set implements it.
type Hasher interface {
	// Verify reports whether password matches encoded, and whether encoded
	// should be replaced by a hash of the preferred algorithm/parameters. It
	// does the work of one verification even when encoded is malformed.
	Verify(password, encoded string) (ok, upgrade bool, err error)
	// Encode hashes password with the preferred algorithm.
	Encode(password string) (string, error)
	// VerifyDummy does the work of verifying a wrong password against a hash
	// of the preferred algorithm.
	VerifyDummy(password string)
}

// HashReplacer is implemented by user databases that can upgrade a hash
// (authing.UserDirectory does). Without it hashes are never rewritten.
type HashReplacer interface {
	ReplacePasswordHash(ctx context.Context, id, oldHash, newHash string) (bool, error)
}

// Limiter throttles credential attempts. Allow is called before any password
// work; a refusal (retryAfter > 0, in seconds) means no work at all: the
// store flow records TOO_MANY_ATTEMPTS and the token endpoints answer 429
// with Retry-After. Done reports the outcome of an allowed attempt so that
// the limiter can reset or grow its counters; it is not called when the user
// database failed (see Canceler). Allow does not learn whether the username exists,
// so throttling answers the same for every username. An error of Allow
// (its backend is down) fails the attempt (503).
//
// A Limiter that counts an attempt when it allows it may also implement
// Canceler, to be told of an allowed attempt that had no outcome.
//
// throttle.Limiter (in memory) and throttle/redisthrottle.Limiter (shared
// by all instances) implement both.
type Limiter interface {
	Allow(ctx context.Context, username, clientIP string) (retryAfter int, err error)
	Done(ctx context.Context, username, clientIP string, success bool)
}

// Canceler is implemented by Limiters that count an attempt when they allow
// it. Cancel gives the count back for an allowed attempt that had no
// outcome because the user database failed: an outage does not throttle
// the users who tried to sign in during it.
type Canceler interface {
	Cancel(ctx context.Context, username, clientIP string)
}

// Options configure the method. The zero value works with a Hasher.
type Options struct {
	// Hasher verifies and encodes passwords. Required.
	Hasher Hasher
	// KeepHashes turns off the upgrade of outdated hashes after a
	// successful sign-in (on by default, as in Django).
	KeepHashes bool
	// Limiter, when set, throttles attempts.
	Limiter Limiter
	// Logger receives hash-upgrade failures. Default slog.Default().
	Logger *slog.Logger
}

// Method is the password method.
type Method struct {
	users authing.Users
	opts  Options
	svc   *authing.Service
}

var _ authing.Method = (*Method)(nil)

// New returns the password method over a user database.
func New(users authing.Users, opts Options) *Method {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Method{users: users, opts: opts}
}

// Code implements authing.Method.
func (m *Method) Code() string { return Code }

// LoginAction implements authing.Method.
func (m *Method) LoginAction(lang string) authing.Action {
	return authing.Action{Code: Code, Name: authing.Translate(lang, authing.TextLoginPassword),
		URL: m.svc.Path("/password/"), Method: http.MethodPost}
}

// Register implements authing.Method.
func (m *Method) Register(s *authing.Service) error {
	if m.opts.Hasher == nil {
		return errors.New("password: Options.Hasher is required")
	}
	m.svc = s
	s.Handle("POST /password/", m.handleLogin)
	s.Handle("POST /password/token/", m.handleToken)
	if u := s.Config().OpenAPITokenURL; u != "-" {
		s.HandleAbsolute(http.MethodPost, u, m.handleToken)
	}
	return nil
}

// ErrThrottled is returned by Authenticate when the Limiter refused the
// attempt; errors.As to *ThrottledError gives the wait.
var ErrThrottled = errors.New("password: too many attempts")

// ThrottledError is a refused attempt with the seconds to wait.
type ThrottledError struct{ RetryAfter int }

func (e *ThrottledError) Error() string { return ErrThrottled.Error() }
func (e *ThrottledError) Unwrap() error { return ErrThrottled }

// Authenticate checks a username and password as Django's ModelBackend: the
// username exactly, the password hash, then is_active. An unknown user, an
// unusable password, an inactive user and a wrong password all do the same
// password work and give ok == false. After a successful check an outdated
// hash is upgraded (unless KeepHashes).
func (m *Method) Authenticate(ctx context.Context, clientIP, username, password string) (u authing.User, ok bool, err error) {
	if l := m.opts.Limiter; l != nil {
		wait, lerr := l.Allow(ctx, username, clientIP)
		if lerr != nil {
			return authing.User{}, false, lerr
		}
		if wait > 0 {
			return authing.User{}, false, &ThrottledError{RetryAfter: wait}
		}
		defer func() {
			if err == nil { // the named result
				l.Done(ctx, username, clientIP, ok)
			} else if c, can := l.(Canceler); can { // the database failed: no outcome
				c.Cancel(ctx, username, clientIP)
			}
		}()
	}
	u, err = m.users.UserByUsername(ctx, username)
	if errors.Is(err, authing.ErrUserNotFound) {
		m.opts.Hasher.VerifyDummy(password)
		return authing.User{}, false, nil
	}
	if err != nil {
		return authing.User{}, false, err
	}
	if u.PasswordHash == "" || u.PasswordHash[0] == '!' {
		m.opts.Hasher.VerifyDummy(password)
		return authing.User{}, false, nil
	}
	match, upgrade, herr := m.opts.Hasher.Verify(password, u.PasswordHash)
	if herr != nil {
		// A malformed or unknown hash in the database: refuse like a wrong
		// password (Verify did the work of one verification) and tell the
		// operator.
		m.opts.Logger.WarnContext(ctx, "password: unusable stored hash", slog.String("user_id", u.ID), slog.Any("error", herr))
		return authing.User{}, false, nil
	}
	if !match || !u.IsActive {
		return authing.User{}, false, nil
	}
	if upgrade && !m.opts.KeepHashes {
		m.upgrade(ctx, u, password)
	}
	return u, true, nil
}

func (m *Method) upgrade(ctx context.Context, u authing.User, password string) {
	rep, ok := m.users.(HashReplacer)
	if !ok {
		return
	}
	h, err := m.opts.Hasher.Encode(password)
	if err == nil {
		_, err = rep.ReplacePasswordHash(ctx, u.ID, u.PasswordHash, h)
	}
	if err != nil {
		m.opts.Logger.WarnContext(ctx, "password: hash upgrade failed", slog.String("user_id", u.ID), slog.Any("error", err))
	}
}

// handleLogin is POST /password/: reset the store, check the credentials,
// sign the store in or record USERNAME_PASSWORD_ERROR, 303 to /auth/.
func (m *Method) handleLogin(w http.ResponseWriter, r *http.Request) error {
	body, err := authing.ReadJSONBody(r) // malformed JSON is refused before the token
	if err != nil {
		return err
	}
	st, err := m.svc.RequireStore(r)
	if err != nil {
		return err
	}
	f, err := body.Strings("username", "password")
	if err != nil {
		return err
	}
	st.Data = authing.StoreData{} // every attempt starts from an empty store
	u, ok, err := m.Authenticate(r.Context(), authing.ClientIP(r), f["username"], f["password"])
	var te *ThrottledError
	switch {
	case errors.As(err, &te):
		err = m.storeError(r, st, authing.EventThrottled, f["username"], CodeTooManyAttempts, DetailTooManyAttempts)
	case err != nil:
		return err
	case ok:
		err = m.svc.SignIn(r, st, u, Code)
	default:
		err = m.storeError(r, st, authing.EventLoginFailure, f["username"], authing.CodeUsernamePasswordError, authing.DetailCredentialsInvalid)
	}
	if err != nil {
		return err
	}
	m.svc.RedirectToAuth(w, st)
	return nil
}

// storeError records a failed attempt in the store and emits its event,
// with the username tried (never the password).
func (m *Method) storeError(r *http.Request, st *authing.AuthStore, kind, username, code, detail string) error {
	st.Data.Errors = append(st.Data.Errors, authing.StoreError{Code: code, Detail: detail})
	if err := m.svc.SaveStore(r.Context(), st); err != nil {
		return err
	}
	m.svc.Emit(r, authing.Event{Kind: kind, Method: Code, Username: username, Reason: code})
	return nil
}

// Throttling texts.
const (
	CodeTooManyAttempts   = "TOO_MANY_ATTEMPTS"
	DetailTooManyAttempts = "Too many attempts, try again later"
)

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
}

// handleToken is POST /password/token/ and the bazis-users token URL: the
// OAuth2 password form, answered with a session token.
func (m *Method) handleToken(w http.ResponseWriter, r *http.Request) error {
	f, err := authing.ReadForm(r,
		authing.FormField{Name: "grant_type", Exactly: "password"},
		authing.FormField{Name: "username", Required: true},
		authing.FormField{Name: "password", Required: true},
		authing.FormField{Name: "scope"},
		authing.FormField{Name: "client_id"},
		authing.FormField{Name: "client_secret"},
	)
	if err != nil {
		return err
	}
	u, ok, err := m.Authenticate(r.Context(), authing.ClientIP(r), f["username"], f["password"])
	var te *ThrottledError
	switch {
	case errors.As(err, &te):
		m.svc.Emit(r, authing.Event{Kind: authing.EventThrottled, Method: Code, Username: f["username"],
			Reason: CodeTooManyAttempts})
		return authing.HTTPError(http.StatusTooManyRequests, CodeTooManyAttempts, DetailTooManyAttempts,
			"Retry-After", strconv.Itoa(max(te.RetryAfter, 1)))
	case err != nil:
		return err
	case !ok:
		m.svc.Emit(r, authing.Event{Kind: authing.EventLoginFailure, Method: Code, Username: f["username"],
			Reason: authing.CodeUsernamePasswordError})
		return authing.HTTPError(http.StatusUnauthorized, "", authing.DetailCredentialsInvalid, "WWW-Authenticate", "Bearer")
	}
	if err := m.svc.LoggedIn(r, u, Code); err != nil {
		return err
	}
	return authing.WriteJSON(w, http.StatusOK, tokenAnswer{m.svc.IssueSession(u, Code), "bearer"})
}
