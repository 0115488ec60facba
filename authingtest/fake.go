package authingtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"authing.dev/authing"
)

// Users is an in-memory authing.UserDirectory for tests and examples. The zero
// value is ready to use; it is safe for concurrent use.
type Users struct {
	mu    sync.Mutex
	byID  map[string]*authing.User
	Clock func() time.Time // default time.Now
}

var _ authing.UserDirectory = (*Users)(nil)

func (f *Users) now() time.Time {
	if f.Clock != nil {
		return f.Clock()
	}
	return time.Now()
}

func (f *Users) find(match func(*authing.User) bool) (authing.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var found *authing.User
	for _, u := range f.byID {
		if match(u) && (found == nil || u.DateJoined.Before(found.DateJoined)) {
			found = u
		}
	}
	if found == nil {
		return authing.User{}, authing.ErrUserNotFound
	}
	return *found, nil
}

// UserByID implements authing.Users.
func (f *Users) UserByID(_ context.Context, id string) (authing.User, error) {
	return f.find(func(u *authing.User) bool { return u.ID == id })
}

// UserByUsername implements authing.Users.
func (f *Users) UserByUsername(_ context.Context, username string) (authing.User, error) {
	return f.find(func(u *authing.User) bool { return u.Username == username })
}

// UserByEmail implements authing.UserDirectory.
func (f *Users) UserByEmail(_ context.Context, email string) (authing.User, error) {
	return f.find(func(u *authing.User) bool { return email != "" && strings.EqualFold(u.Email, email) })
}

// RecordLogin implements authing.Users.
func (f *Users) RecordLogin(_ context.Context, id string, at time.Time) error {
	return f.update(id, func(u *authing.User) {
		t := at.UTC()
		u.LastLogin = &t
		if u.FirstLogin == nil {
			u.FirstLogin = &t
		}
	})
}

func (f *Users) update(id string, change func(*authing.User)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.byID[id]
	if !ok {
		return authing.ErrUserNotFound
	}
	change(u)
	return nil
}

// CreateUser implements authing.UserDirectory.
func (f *Users) CreateUser(_ context.Context, n authing.NewUser) (authing.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.byID {
		if u.Username == n.Username {
			return authing.User{}, authing.ErrUserExists
		}
	}
	if f.byID == nil {
		f.byID = map[string]*authing.User{}
	}
	u := &authing.User{ID: newUUID(), Username: n.Username, Email: n.Email, FirstName: n.FirstName,
		LastName: n.LastName, PasswordHash: n.PasswordHash, IsActive: n.IsActive, IsStaff: n.IsStaff,
		IsSuperuser: n.IsSuperuser, DateJoined: f.now().UTC()}
	f.byID[u.ID] = u
	return *u, nil
}

// ListUsers implements authing.UserDirectory.
func (f *Users) ListUsers(context.Context) ([]authing.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]authing.User, 0, len(f.byID))
	for _, u := range f.byID {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Username < out[j].Username })
	return out, nil
}

// SetPasswordHash implements authing.UserDirectory.
func (f *Users) SetPasswordHash(_ context.Context, id, hash string) error {
	return f.update(id, func(u *authing.User) { u.PasswordHash = hash })
}

// ReplacePasswordHash implements authing.UserDirectory.
func (f *Users) ReplacePasswordHash(_ context.Context, id, oldHash, newHash string) (bool, error) {
	replaced := false
	err := f.update(id, func(u *authing.User) {
		if u.PasswordHash == oldHash {
			u.PasswordHash, replaced = newHash, true
		}
	})
	return replaced, err
}

// SetActive implements authing.UserDirectory.
func (f *Users) SetActive(_ context.Context, id string, active bool) error {
	return f.update(id, func(u *authing.User) { u.IsActive = active })
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
