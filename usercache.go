package authing

import (
	"context"
	"sync"
	"time"
)

// Defaults of the user cache.
const (
	// DefaultUserCacheTTL is how long a session refresh may use an active
	// user read earlier, as bazis-users caches the same look-up.
	DefaultUserCacheTTL = 10 * time.Second
	// DefaultUserCacheSize bounds the number of cached users.
	DefaultUserCacheSize = 10_000
)

// userCache keeps the active users read by session refreshes, by username,
// for a short time: a refresh then reads no database. Only active users are
// kept; a missing or inactive user is read again every time. Entries expire
// after the TTL, by the service clock; ForgetUser drops one at once.
type userCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu     sync.RWMutex
	byName map[string]cachedUser
	byID   map[string]string // id → username, for ForgetUser
}

type cachedUser struct {
	u       User
	expires time.Time
}

// newUserCache returns nil (no cache) when ttl is negative.
func newUserCache(ttl time.Duration, size int, now func() time.Time) *userCache {
	if ttl < 0 {
		return nil
	}
	if ttl == 0 {
		ttl = DefaultUserCacheTTL
	}
	if size <= 0 {
		size = DefaultUserCacheSize
	}
	return &userCache{ttl: ttl, max: size, now: now,
		byName: make(map[string]cachedUser), byID: make(map[string]string)}
}

// get returns the cached active user of username, if fresh.
func (c *userCache) get(username string) (User, bool) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.byName[username]
	c.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return User{}, false
	}
	return e.u, true
}

// put keeps an active user.
func (c *userCache) put(u User) {
	expires := c.now().Add(c.ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.byName[u.Username]; ok && old.u.ID != u.ID && c.byID[old.u.ID] == u.Username {
		delete(c.byID, old.u.ID)
	}
	if prev, ok := c.byID[u.ID]; ok && prev != u.Username && c.byName[prev].u.ID == u.ID { // renamed
		delete(c.byName, prev)
	}
	if _, ok := c.byName[u.Username]; !ok && len(c.byName) >= c.max {
		c.evictLocked()
	}
	c.byName[u.Username] = cachedUser{u, expires}
	c.byID[u.ID] = u.Username
}

// evictLocked makes room: expired entries first, then arbitrary ones (map
// order), a sixteenth of the cache at a time so that a full cache does not
// scan on every put.
func (c *userCache) evictLocked() {
	now := c.now()
	for name, e := range c.byName {
		if !now.Before(e.expires) {
			c.deleteLocked(name, e.u.ID)
		}
	}
	for name, e := range c.byName {
		if len(c.byName) < c.max-c.max/16 {
			break
		}
		c.deleteLocked(name, e.u.ID)
	}
}

func (c *userCache) deleteLocked(username, id string) {
	delete(c.byName, username)
	if c.byID[id] == username {
		delete(c.byID, id)
	}
}

// forget drops the user with this id.
func (c *userCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if name, ok := c.byID[id]; ok {
		c.deleteLocked(name, id)
	}
}

// len returns the number of entries, expired ones included.
func (c *userCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.byName)
}

// sessionUser returns the active user of a session token's subject, or nil
// when it is missing or inactive; only a failure of the database is an
// error. An active user is cached for Config.UserCacheTTL.
func (s *Service) sessionUser(ctx context.Context, username string) (*User, error) {
	if s.userCache != nil {
		if u, ok := s.userCache.get(username); ok {
			return &u, nil
		}
	}
	u, err := s.activeUser(ctx, s.users.UserByUsername, username)
	if u != nil && s.userCache != nil {
		s.userCache.put(*u)
	}
	return u, err
}

// ForgetUser drops the user with this primary key from the cache of session
// refreshes, so that the next refresh reads the database again. Call it
// after changing a user through this process — deactivating, renaming or
// deleting it — for the change to apply to sessions at once. A change made
// by another process (another instance, `authing users deactivate`) is seen
// by this one within Config.UserCacheTTL (10 s by default, as in
// bazis-users); sign-in and claims always read the database.
func (s *Service) ForgetUser(id string) {
	if s.userCache != nil {
		s.userCache.forget(id)
	}
}
