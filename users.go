package authing

import (
	"context"
	"errors"
	"time"
)

// ErrUserNotFound is returned by Users look-ups that find no user.
var ErrUserNotFound = errors.New("authing: user not found")

// ErrUnavailable marks an error of a backing service (database, cache,
// identity provider) that is unreachable or failing. The Service answers it
// with 503 SERVICE_UNAVAILABLE. Backends wrap their driver errors with it:
//
//	fmt.Errorf("redisstore: get: %w: %w", authing.ErrUnavailable, err)
var ErrUnavailable = errors.New("authing: backing service unavailable")

// User is an account as the Bazis users_user table holds it.
type User struct {
	ID           string // primary key; a UUID in canonical lowercase form
	Username     string
	Email        string
	FirstName    string
	LastName     string
	PasswordHash string // Django hash string; "!..." is unusable
	IsActive     bool
	IsStaff      bool
	IsSuperuser  bool
	DateJoined   time.Time
	LastLogin    *time.Time
	FirstLogin   *time.Time // dt_first_login
}

// Users is what the Service needs from a user database. Every implementation
// must pass authingtest.TestUsers.
type Users interface {
	// UserByID returns the user with this primary key, active or not, or
	// ErrUserNotFound.
	UserByID(ctx context.Context, id string) (User, error)
	// UserByUsername returns the user whose username equals username exactly
	// (case-sensitive), active or not, or ErrUserNotFound.
	UserByUsername(ctx context.Context, username string) (User, error)
	// RecordLogin sets last_login = at and, when it is null, dt_first_login = at.
	RecordLogin(ctx context.Context, id string, at time.Time) error
}

// NewUser holds the fields of an account to create.
type NewUser struct {
	Username     string
	Email        string
	FirstName    string
	LastName     string
	PasswordHash string // "" or "!..." for an unusable password
	IsActive     bool
	IsStaff      bool
	IsSuperuser  bool
}

// ErrUserExists is returned by CreateUser when the username is taken.
var ErrUserExists = errors.New("authing: username already exists")

// UserDirectory is the full user database used by the CLI and by methods that
// create or find users. The SQLite and PostgreSQL backends implement it.
type UserDirectory interface {
	Users
	// UserByEmail returns the first user (oldest date_joined) whose email
	// equals email case-insensitively, or ErrUserNotFound.
	UserByEmail(ctx context.Context, email string) (User, error)
	// CreateUser inserts a user with a new random UUID and date_joined = now.
	CreateUser(ctx context.Context, u NewUser) (User, error)
	// ListUsers returns every user ordered by username.
	ListUsers(ctx context.Context) ([]User, error)
	// SetPasswordHash replaces the password hash of the user with this id.
	SetPasswordHash(ctx context.Context, id, hash string) error
	// ReplacePasswordHash sets the hash only if it still equals oldHash (a
	// hash upgrade after sign-in never overwrites a concurrent change); it
	// reports whether it replaced it.
	ReplacePasswordHash(ctx context.Context, id, oldHash, newHash string) (bool, error)
	// SetActive sets is_active of the user with this id.
	SetActive(ctx context.Context, id string, active bool) error
}
