package authing

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
)

// Guard authorizes the requests of a downstream service with the
// semantics of the bazis-users dependencies (get_token_data,
// get_user_optional, get_user_required):
//
//   - the session token is read per the Bazis carrier rule (query, bearer,
//     cookie; the first non-empty one);
//   - an expired token is answered 401 ERR_UNAUTHORIZED "Token has expired"
//     and any other invalid token 401 ERR_UNAUTHORIZED "Token is invalid",
//     without WWW-Authenticate, on optional and required routes alike;
//   - no token, or a token without "exp" (a store token in the shared
//     cookie), is anonymous;
//   - the user is looked up by username = sub and must be active, else the
//     request is anonymous;
//   - a required route without a user answers 401 with WWW-Authenticate:
//     Bearer and {"errors":[{"status":401,"detail":"Token is invalid",
//     "meta":{"headers":{"WWW-Authenticate":"Bearer"}}}]}.
//
// Handlers find the user with UserFromContext and the token's claims with
// SessionFromContext. A Service gives a Guard over its own keys and users
// (Service.Guard, Service.RequireUser, ...); NewGuard builds one for a
// service that shares the secret key and the user database but does not
// serve the sign-in API.
type Guard struct {
	// Verifier reads and verifies the session token.
	Verifier *Verifier
	// Users finds the user by username. Wrap it in a cache to spare the
	// database (bazis-users caches look-ups for about 10 s); the Guard of a
	// Service uses the Service's user cache (Config.UserCacheTTL).
	Users UserLookup
	// Logger receives failures of the user database. Default slog.Default().
	Logger *slog.Logger
}

// UserLookup finds a user by username (exactly), active or not, or fails
// with ErrUserNotFound. Every Users implements it.
type UserLookup interface {
	UserByUsername(ctx context.Context, username string) (User, error)
}

// NewGuard returns a Guard over session tokens signed with keys and the
// users of users, with the Bazis default cookie name.
func NewGuard(keys *Keys, users UserLookup) *Guard {
	return &Guard{Verifier: NewVerifier(keys), Users: users}
}

// Guard returns a Guard over the service's keys, cookie name, clock,
// revocations, user database (through its user cache) and logger.
func (s *Service) Guard() *Guard {
	return &Guard{
		Verifier: &Verifier{Keys: s.keys, CookieName: s.cfg.CookieName, Now: s.cfg.Now, Revocations: s.cfg.Revocations},
		Users:    serviceUsers{s}, Logger: s.log,
	}
}

// serviceUsers looks users up as session refreshes do: through the user
// cache, active users only.
type serviceUsers struct{ s *Service }

func (u serviceUsers) UserByUsername(ctx context.Context, username string) (User, error) {
	found, err := u.s.sessionUser(ctx, username)
	switch {
	case err != nil:
		return User{}, err
	case found == nil:
		return User{}, ErrUserNotFound
	}
	return *found, nil
}

// RequireUser serves next only for a signed-in active user (see Guard).
func (s *Service) RequireUser(next http.Handler) http.Handler { return s.Guard().RequireUser(next) }

// OptionalUser serves next for everyone, with the user in the context when
// there is one (see Guard).
func (s *Service) OptionalUser(next http.Handler) http.Handler { return s.Guard().OptionalUser(next) }

// RequireStaff serves next only for a signed-in active staff user.
func (s *Service) RequireStaff(next http.Handler) http.Handler { return s.Guard().RequireStaff(next) }

// RequireSuperuser serves next only for a signed-in active superuser.
func (s *Service) RequireSuperuser(next http.Handler) http.Handler {
	return s.Guard().RequireSuperuser(next)
}

type userKey struct{}

// UserFromContext returns the signed-in user put in the context by a Guard
// (RequireUser, OptionalUser, ...); ok is false for an anonymous request.
func UserFromContext(ctx context.Context) (u User, ok bool) {
	u, ok = ctx.Value(userKey{}).(User)
	return u, ok
}

// ContextWithUser returns ctx carrying u and its claims, as a Guard puts
// them; tests of protected handlers use it.
func ContextWithUser(ctx context.Context, u User, c SessionClaims) context.Context {
	return context.WithValue(withSession(ctx, c), userKey{}, u)
}

// Authenticate returns the user of the request: nil for an anonymous
// request (no token, a store token, an unknown or inactive user); an
// *Error for an expired or invalid token (the coded 401s); another error
// when the user database fails.
func (g *Guard) Authenticate(r *http.Request) (*User, SessionClaims, error) {
	c, err := g.Verifier.Verify(r)
	if e := tokenError(err); e != nil {
		return nil, SessionClaims{}, e
	}
	if err != nil {
		return nil, SessionClaims{}, nil
	}
	u, err := g.Users.UserByUsername(r.Context(), c.Subject)
	switch {
	case errors.Is(err, ErrUserNotFound), err == nil && !u.IsActive:
		return nil, c, nil
	case err != nil:
		return nil, c, err
	}
	return &u, c, nil
}

func (g *Guard) fail(w http.ResponseWriter, r *http.Request, err error) {
	log := g.Logger
	if log == nil {
		log = slog.Default()
	}
	renderError(log, w, r, err)
}

// guard runs the checks and calls next with the user in the context; allow
// decides about a signed-in user (nil: everyone); required refuses
// anonymous requests.
func (g *Guard) guard(next http.Handler, required bool, allow func(User) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, c, err := g.Authenticate(r)
		if err != nil {
			g.fail(w, r, err)
			return
		}
		if u == nil {
			if required {
				g.fail(w, r, ErrorUserRequired())
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if allow != nil && !allow(*u) {
			g.fail(w, r, ErrorForbidden())
			return
		}
		next.ServeHTTP(w, r.WithContext(ContextWithUser(r.Context(), *u, c)))
	})
}

// OptionalUser serves next for everyone; a signed-in active user is in the
// context. Expired and invalid tokens are still answered 401.
func (g *Guard) OptionalUser(next http.Handler) http.Handler { return g.guard(next, false, nil) }

// RequireUser serves next only for a signed-in active user; otherwise the
// 401 answers described on Guard.
func (g *Guard) RequireUser(next http.Handler) http.Handler { return g.guard(next, true, nil) }

// RequireStaff is RequireUser that also answers a user whose is_staff is
// false (a superuser included, as Bazis checks is_staff alone) with 403
// ERR_FORBIDDEN "Permission denied: check access".
func (g *Guard) RequireStaff(next http.Handler) http.Handler {
	return g.guard(next, true, func(u User) bool { return u.IsStaff })
}

// RequireSuperuser is RequireUser that also answers a user who is not a
// superuser with 403 ERR_FORBIDDEN.
func (g *Guard) RequireSuperuser(next http.Handler) http.Handler {
	return g.guard(next, true, func(u User) bool { return u.IsSuperuser })
}
