package authing

import (
	"context"
	"errors"
	"net/http"
)

type sessionAnswer struct {
	UserID        string   `json:"user_id"`
	Username      string   `json:"username"`
	FirstName     string   `json:"first_name"`
	LastName      string   `json:"last_name"`
	Email         string   `json:"email"`
	Token         string   `json:"token"`
	LogoutActions []Action `json:"logout_actions"`
}

type unauthorizedMeta struct {
	Actions []Action `json:"actions"`
	Token   string   `json:"token"`
}

type nextActionMeta struct {
	Actions []any `json:"actions"`
}

// handleAuth is GET /auth/: the session of a valid session token (a refresh),
// the session of a signed-in store (once: the store is claimed), or the
// anonymous 400 answer with the login actions and a store token.
func (s *Service) handleAuth(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t := s.tokens(r)
	tok := t.picked()

	// 1. A valid session token: a refresh. Any failure means anonymous, a
	// revoked session too.
	if tok != "" {
		if c, err := s.keys.ParseSessionToken(tok, s.cfg.Now()); err == nil {
			revoked, err := s.sessionRevoked(ctx, tok, c)
			if err != nil {
				return err
			}
			var u *User
			if !revoked {
				u, err = s.sessionUser(ctx, c.Subject)
			}
			if err != nil {
				return err
			}
			if u != nil {
				s.Emit(r, Event{Kind: EventSession, Method: c.AuthType, UserID: u.ID, Username: u.Username})
				return s.writeSession(w, r, *u, c.AuthType)
			}
		}
	}

	// 2. The store named by the picked token, if it exists.
	var st *AuthStore
	if key, err := s.keys.ParseStoreToken(tok); tok != "" && err == nil {
		d, found, err := s.store.Get(ctx, storeKey(key))
		if err != nil {
			return err
		}
		if found {
			st = &AuthStore{Key: key, Data: d}
		}
	}

	// 3. A signed-in store is claimed: exactly one request gets the user.
	if st != nil && st.Data.SignedIn() {
		d, won, err := s.store.Claim(ctx, storeKey(st.Key))
		if err != nil {
			return err
		}
		if won && d.SignedIn() {
			u, err := s.activeUser(ctx, s.users.UserByID, d.UserID)
			if err != nil {
				// The database failed after the claim: put the store back so
				// that the client's retry after the 503 still finds it.
				if perr := s.store.Put(ctx, storeKey(st.Key), d, s.cfg.ClaimLifetime); perr != nil {
					err = errors.Join(err, perr)
				}
				return err
			}
			if u != nil {
				if _, err := s.keys.ParseStoreToken(t.cookie); t.cookie != "" && err == nil {
					s.deleteStoreCookie(w)
				}
				s.Emit(r, Event{Kind: EventClaim, Method: d.AuthType, UserID: u.ID, Username: u.Username})
				return s.writeSession(w, r, *u, d.AuthType)
			}
		}
		st = nil // lost the race, or the user is gone or inactive
	}

	// 4. Anonymous: a fresh store unless the picked token named one.
	if st == nil {
		var err error
		if st, err = s.NewStore(ctx); err != nil {
			return err
		}
	}
	token := s.StoreToken(st)
	lang := s.Language(r)
	actions := make([]Action, 0, len(s.methods))
	for _, m := range s.methods {
		actions = append(actions, m.LoginAction(lang))
	}
	title := Translate(lang, TextUnauthorized)
	e := &Error{HTTPStatus: http.StatusBadRequest, Objects: make([]ErrorObject, 1, 2+len(st.Data.Errors))}
	e.Objects[0] = ErrorObject{Status: http.StatusUnauthorized, Title: title, Code: "UNAUTHORIZED", Detail: title,
		Meta: unauthorizedMeta{actions, token}}
	if a := st.Data.Actions; a != nil {
		values := a.Values
		if values == nil {
			values = []any{}
		}
		e.Objects = append(e.Objects, ErrorObject{Status: 100, Title: Translate(lang, TextNextAction),
			Code: a.Code, Detail: a.Name, Meta: nextActionMeta{values}})
	}
	for _, se := range st.Data.Errors {
		e.Objects = append(e.Objects, ErrorObject{Status: http.StatusUnprocessableEntity,
			Title: Translate(lang, TextAuthError), Code: se.Code, Detail: se.Detail})
	}
	s.setStoreCookie(w, token, s.cfg.CookieLifetime)
	return e
}

// activeUser looks a user up and returns nil when it is missing or inactive;
// only a failure of the database is an error.
func (s *Service) activeUser(ctx context.Context, lookup func(context.Context, string) (User, error), arg string) (*User, error) {
	u, err := lookup(ctx, arg)
	if errors.Is(err, ErrUserNotFound) || (err == nil && !u.IsActive) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &u, nil
}

func (s *Service) writeSession(w http.ResponseWriter, r *http.Request, u User, authType string) error {
	var logout []Action
	for _, m := range s.methods {
		if m.Code() == authType {
			if la, ok := m.(LogoutActioner); ok {
				logout = la.LogoutActions(s.Language(r))
				break
			}
		}
	}
	a := sessionAnswer{
		UserID: u.ID, Username: u.Username, FirstName: u.FirstName, LastName: u.LastName,
		Email: u.Email, Token: s.IssueSession(u, authType), LogoutActions: logout,
	}
	return writeJSONBody(w, http.StatusOK, appendSessionAnswer(make([]byte, 0, 512), &a))
}

// handleLogout is POST /logout/: every store named by the query, the Bearer
// header or the cookie is deleted (a signed-in store too, without being
// claimed); session tokens are stateless and ignored, unless
// Config.RevokeOnLogout revokes them. Always 204 with the deletion cookie.
func (s *Service) handleLogout(w http.ResponseWriter, r *http.Request) error {
	t := s.tokens(r)
	for _, tok := range []string{t.query, t.bearer, t.cookie} {
		if tok == "" {
			continue
		}
		if key, err := s.keys.ParseStoreToken(tok); err == nil {
			if err := s.store.Delete(r.Context(), storeKey(key)); err != nil {
				return err
			}
		}
	}
	if s.cfg.RevokeOnLogout {
		if err := s.revokeOnLogout(r, t.query, t.bearer, t.cookie); err != nil {
			return err
		}
	}
	s.Emit(r, Event{Kind: EventLogout})
	s.deleteStoreCookie(w)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
