package authing

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// AuthStore is one loaded store: its key and its data. Methods change Data
// and save it through the Service (SignIn, AddStoreError, SaveStore).
type AuthStore struct {
	Key  string
	Data StoreData
}

// StoreKeyPrefix is the prefix of store entries in the Store, as Bazis names
// them in its cache: auth_store_<key>.
const StoreKeyPrefix = "auth_store_"

func storeKey(key string) string { return StoreKeyPrefix + key }

// NewStore creates and saves a fresh empty store.
func (s *Service) NewStore(ctx context.Context) (*AuthStore, error) {
	st := &AuthStore{Key: NewStoreKey()}
	return st, s.SaveStore(ctx, st)
}

// RequireStore loads the store named by the request's token (query, Bearer
// header, cookie; first non-empty) with the 401 answers of Bazis: "Token
// required", "Token is invalid" (not a store token, also a session token) and
// "Token has been expired" (no such store).
func (s *Service) RequireStore(r *http.Request) (*AuthStore, error) {
	return s.StoreFromToken(r.Context(), s.RequestToken(r))
}

// StoreFromToken loads the store named by a store token, with the 401
// answers of RequireStore.
func (s *Service) StoreFromToken(ctx context.Context, token string) (*AuthStore, error) {
	if token == "" {
		return nil, Unauthorized(DetailTokenRequired)
	}
	key, err := s.keys.ParseStoreToken(token)
	if err != nil {
		return nil, Unauthorized(DetailTokenInvalid)
	}
	d, found, err := s.store.Get(ctx, storeKey(key))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, Unauthorized(DetailTokenExpired)
	}
	return &AuthStore{Key: key, Data: d}, nil
}

// StoreLifetime is the lifetime of the store in its current state: the claim
// lifetime once signed in, the cookie lifetime otherwise.
func (s *Service) StoreLifetime(st *AuthStore) time.Duration {
	if st.Data.SignedIn() {
		return s.cfg.ClaimLifetime
	}
	return s.cfg.CookieLifetime
}

// SaveStore writes the store with the lifetime of its state.
func (s *Service) SaveStore(ctx context.Context, st *AuthStore) error {
	return s.store.Put(ctx, storeKey(st.Key), st.Data, s.StoreLifetime(st))
}

// StoreToken returns the store token of st.
func (s *Service) StoreToken(st *AuthStore) string { return s.keys.StoreToken(st.Key) }

// SignIn records a successful sign-in of u with the given method code: the
// user's last_login (and first dt_first_login), then the store carries the
// user for ClaimLifetime. It refuses an inactive user.
func (s *Service) SignIn(r *http.Request, st *AuthStore, u User, authType string) error {
	if !u.IsActive {
		return errors.New("authing: SignIn of an inactive user")
	}
	if err := s.users.RecordLogin(r.Context(), u.ID, s.cfg.Now()); err != nil {
		return err
	}
	st.Data.UserID = u.ID
	st.Data.AuthType = authType
	if err := s.SaveStore(r.Context(), st); err != nil {
		return err
	}
	s.Emit(r, Event{Kind: EventLoginSuccess, Method: authType, UserID: u.ID, Username: u.Username})
	return nil
}

// LoggedIn records a sign-in that does not go through a store (the token
// endpoints): the user's last_login (and first dt_first_login) and the event.
func (s *Service) LoggedIn(r *http.Request, u User, authType string) error {
	if err := s.users.RecordLogin(r.Context(), u.ID, s.cfg.Now()); err != nil {
		return err
	}
	s.Emit(r, Event{Kind: EventLoginSuccess, Method: authType, UserID: u.ID, Username: u.Username})
	return nil
}

// AddStoreError appends a sign-in error to the store and saves it; GET
// /auth/ reports it until the store is reset or expires.
func (s *Service) AddStoreError(r *http.Request, st *AuthStore, method, code, detail string) error {
	st.Data.Errors = append(st.Data.Errors, StoreError{Code: code, Detail: detail})
	if err := s.SaveStore(r.Context(), st); err != nil {
		return err
	}
	s.Emit(r, Event{Kind: EventLoginFailure, Method: method, Reason: code})
	return nil
}

// SetStoreCookie adds the store cookie of st, with the lifetime of its state.
func (s *Service) SetStoreCookie(w http.ResponseWriter, st *AuthStore) {
	s.setStoreCookie(w, s.StoreToken(st), s.StoreLifetime(st))
}

// RedirectToAuth answers 303 See Other to the bare GET /auth/ path (never
// with a token in the URL), with the store cookie and an empty body.
func (s *Service) RedirectToAuth(w http.ResponseWriter, st *AuthStore) {
	s.SetStoreCookie(w, st)
	h := w.Header()
	h.Set("Location", s.Path("/auth/"))
	h.Set("Content-Length", strconv.Itoa(0))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}

// Complete ends a sign-in attempt of a method on st: with u non-nil the store
// is signed in, otherwise failure is recorded; then the 303 to GET /auth/.
func (s *Service) Complete(w http.ResponseWriter, r *http.Request, st *AuthStore, method string, u *User, failure StoreError) error {
	var err error
	if u != nil {
		err = s.SignIn(r, st, *u, method)
	} else {
		err = s.AddStoreError(r, st, method, failure.Code, failure.Detail)
	}
	if err != nil {
		return err
	}
	s.RedirectToAuth(w, st)
	return nil
}
