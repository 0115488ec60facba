package authing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"sync"
	"time"
)

// Revocations keeps the session tokens that were revoked before they
// expire: single sessions (a logout under Config.RevokeOnLogout) and every
// session of a user issued up to a moment ("sign out everywhere"). The
// Service consults it on every session verification: the refresh of GET
// /auth/ and Service.VerifySession.
//
// Bazis session tokens have no "jti" claim, so a single session is named by
// the hash of its token (SessionID), and kept until the token's own expiry;
// the sessions of a user are revoked by their "iat". Tokens of bazis-users
// before 2.3 have no "iat": they count as issued at the Unix epoch, so any
// "sign out everywhere" revokes them.
//
// NewMemoryRevocations keeps them in process (one instance);
// throttle/redisthrottle.Revocations keeps them in Redis for all instances.
type Revocations interface {
	// Check returns the time of the last RevokeUser of username (zero when
	// none) and whether the session sessionID of username was revoked.
	Check(ctx context.Context, username, sessionID string) (revokedAt time.Time, sessionRevoked bool, err error)
	// RevokeSession revokes one session until its expiry.
	RevokeSession(ctx context.Context, username, sessionID string, until time.Time) error
	// RevokeUser revokes every session of username issued at or before at
	// (compared in whole seconds, the precision of "iat"). A later call
	// with an earlier time changes nothing.
	RevokeUser(ctx context.Context, username string, at time.Time) error
}

// ErrSessionRevoked is returned by Service.VerifySession for a session token
// that was revoked.
var ErrSessionRevoked = errors.New("authing: session has been revoked")

// ErrNoRevocations is returned by Service.RevokeUser when the Service has no
// Revocations.
var ErrNoRevocations = errors.New("authing: no Revocations configured")

// SessionID names a session token for Revocations: the first 16 bytes of the
// SHA-256 of the token, in hex.
func SessionID(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:16])
}

// sessionRevoked reports whether the verified session token tok with claims
// c is revoked. Without Revocations nothing is (tokens as Bazis's).
func (s *Service) sessionRevoked(ctx context.Context, tok string, c SessionClaims) (bool, error) {
	if s.cfg.Revocations == nil {
		return false, nil
	}
	at, one, err := s.cfg.Revocations.Check(ctx, c.Subject, SessionID(tok))
	if err != nil {
		return false, err
	}
	return one || (!at.IsZero() && c.IssuedAt <= at.Unix()), nil
}

// VerifySession verifies a session token as GET /auth/ does: signature,
// algorithm and claims (Keys.ParseSessionToken), then, when the Service has
// Revocations, that it was not revoked (ErrSessionRevoked). It does not look
// the user up. Middleware of other services built on the Service uses it.
func (s *Service) VerifySession(ctx context.Context, token string) (SessionClaims, error) {
	c, err := s.keys.ParseSessionToken(token, s.cfg.Now())
	if err != nil {
		return SessionClaims{}, err
	}
	revoked, err := s.sessionRevoked(ctx, token, c)
	if err != nil {
		return SessionClaims{}, err
	}
	if revoked {
		return SessionClaims{}, ErrSessionRevoked
	}
	return c, nil
}

// RevokeUser signs username out everywhere: every session token of the user
// issued until now (in whole seconds, so also one issued in this second) is
// refused from now on. The user signs in again to get a new session.
func (s *Service) RevokeUser(ctx context.Context, username string) error {
	if s.cfg.Revocations == nil {
		return ErrNoRevocations
	}
	if err := s.cfg.Revocations.RevokeUser(ctx, username, s.cfg.Now()); err != nil {
		return err
	}
	if s.cfg.Events != nil {
		s.cfg.Events(ctx, Event{Kind: EventRevokeUser, Username: username})
	}
	return nil
}

// revokeOnLogout revokes every valid session token among the values of a
// logout request (Config.RevokeOnLogout).
func (s *Service) revokeOnLogout(r *http.Request, tokens ...string) error {
	ctx, now := r.Context(), s.cfg.Now()
	for _, tok := range tokens {
		if tok == "" {
			continue
		}
		c, err := s.keys.ParseSessionToken(tok, now)
		if err != nil {
			continue
		}
		if err := s.cfg.Revocations.RevokeSession(ctx, c.Subject, SessionID(tok), time.Unix(c.Expires, 0)); err != nil {
			return err
		}
		s.Emit(r, Event{Kind: EventRevokeSession, Method: c.AuthType, Username: c.Subject})
	}
	return nil
}

// DefaultRevocationRetention is how long MemoryRevocations keeps a "sign out
// everywhere" by default: longer than any session it can concern.
const DefaultRevocationRetention = 30 * 24 * time.Hour

// MemoryRevocations keeps revocations in process memory. It serves one
// instance: a revocation made on one process is unknown to the others (use
// throttle/redisthrottle.Revocations for many). Entries are dropped once
// they cannot matter: a session after its expiry, a user's revocation after
// the retention. It is safe for concurrent use.
type MemoryRevocations struct {
	now    func() time.Time
	retain time.Duration

	mu       sync.Mutex
	users    map[string]memRevokedUser
	sessions map[string]time.Time // username + "\x00" + id → expiry
	sweepAt  int
}

type memRevokedUser struct {
	at, drop time.Time
}

// NewMemoryRevocations returns an empty MemoryRevocations. now is the clock
// (nil: time.Now); retain is how long a user's revocation is kept (0:
// DefaultRevocationRetention), at least the session lifetime.
func NewMemoryRevocations(now func() time.Time, retain time.Duration) *MemoryRevocations {
	if now == nil {
		now = time.Now
	}
	if retain <= 0 {
		retain = DefaultRevocationRetention
	}
	return &MemoryRevocations{now: now, retain: retain, users: map[string]memRevokedUser{},
		sessions: map[string]time.Time{}, sweepAt: 1024}
}

var _ Revocations = (*MemoryRevocations)(nil)

// Check implements Revocations.
func (m *MemoryRevocations) Check(_ context.Context, username, sessionID string) (time.Time, bool, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	var at time.Time
	if u, ok := m.users[username]; ok && now.Before(u.drop) {
		at = u.at
	}
	exp, ok := m.sessions[username+"\x00"+sessionID]
	return at, ok && now.Before(exp), nil
}

// RevokeSession implements Revocations.
func (m *MemoryRevocations) RevokeSession(_ context.Context, username, sessionID string, until time.Time) error {
	now := m.now()
	if !now.Before(until) {
		return nil // expired anyway
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[username+"\x00"+sessionID] = until
	m.sweep(now)
	return nil
}

// RevokeUser implements Revocations.
func (m *MemoryRevocations) RevokeUser(_ context.Context, username string, at time.Time) error {
	now := m.now()
	at = time.Unix(at.Unix(), 0)
	m.mu.Lock()
	defer m.mu.Unlock()
	if u, ok := m.users[username]; ok && now.Before(u.drop) && !u.at.Before(at) {
		return nil
	}
	m.users[username] = memRevokedUser{at: at, drop: now.Add(m.retain)}
	m.sweep(now)
	return nil
}

// sweep drops the entries that no longer matter, when the maps have grown
// to twice their size after the previous sweep.
func (m *MemoryRevocations) sweep(now time.Time) {
	if len(m.users)+len(m.sessions) < m.sweepAt {
		return
	}
	for k, u := range m.users {
		if !now.Before(u.drop) {
			delete(m.users, k)
		}
	}
	for k, exp := range m.sessions {
		if !now.Before(exp) {
			delete(m.sessions, k)
		}
	}
	m.sweepAt = max(1024, 2*(len(m.users)+len(m.sessions)))
}
