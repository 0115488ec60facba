package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"authing.dev/authing"
	"authing.dev/authing/userdb/internal/uuidv4"
)

// Options configures Open. The zero value works; each field documents its
// default.
type Options struct {
	// BusyTimeout is how long a connection waits for a lock held by another
	// connection or process (for example an `authing user` command run
	// next to the server, or a WAL checkpoint) before failing with
	// SQLITE_BUSY, which is reported as authing.ErrUnavailable.
	// Default 5 s.
	BusyTimeout time.Duration
	// MaxReadConns bounds the pool of read-only connections. Default
	// max(4, GOMAXPROCS). Writes always go through one connection.
	MaxReadConns int
	// Now returns the current time, used for date_joined. Default time.Now.
	Now func() time.Time
}

// DB is a user directory in an SQLite database file. It is safe for
// concurrent use. Create it with Open, prepare its schema with Migrate and
// release it with Close.
type DB struct {
	write *sql.DB // exactly one connection: SQLite has one writer at a time
	read  *sql.DB // query_only connections; WAL lets them run beside the writer
	now   func() time.Time
}

var _ authing.UserDirectory = (*DB)(nil)

// Open opens (creating it when absent) the SQLite database file at path and
// checks that it can be used. Every connection is configured through the
// DSN, so that each one the pools open gets the same settings:
//
//	busy_timeout=Options.BusyTimeout  journal_mode=WAL
//	foreign_keys=ON                   synchronous=NORMAL
//
// and read connections also get query_only=ON. The write connection begins
// its transactions with BEGIN IMMEDIATE.
//
// Open does not create tables: call Migrate. path is a file system path;
// ":memory:" is refused because the read and write pools need a shared file.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open: %q is not a database file path", path)
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 5 * time.Second
	}
	readers := opts.MaxReadConns
	if readers <= 0 {
		readers = max(4, runtime.GOMAXPROCS(0))
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}

	write, err := sql.Open("sqlite", dsn(path, busy, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	// SQLite serialises writers on the database file. Several write
	// connections would only meet again at the file lock, where they wait in
	// SQLite's sleep-and-retry busy handler (unfair, blind to contexts) and
	// fail with SQLITE_BUSY under load. One write connection makes writers
	// queue in database/sql instead, in order and honouring their contexts.
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	// The writer connects first: it creates the file and switches it to WAL
	// (a persistent setting) before any reader opens it.
	var mode string
	if err := write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		write.Close()
		return nil, translate(ctx, "open", err)
	}
	if !strings.EqualFold(mode, "wal") {
		write.Close()
		return nil, fmt.Errorf("sqlite: open: %s: journal_mode is %q, not wal (is the file system local?)", path, mode)
	}

	read, err := sql.Open("sqlite", dsn(path, busy, true))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)
	read.SetConnMaxIdleTime(5 * time.Minute)
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		write.Close()
		return nil, translate(ctx, "open", err)
	}
	return &DB{write: write, read: read, now: now}, nil
}

// dsn builds the modernc.org/sqlite data source name of one pool. The path
// is written as an SQLite URI so that any file name is allowed; the driver
// runs each _pragma on every new connection.
func dsn(path string, busy time.Duration, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	if strings.HasPrefix(esc, "//") { // would read as file://authority
		esc = "/" + strings.TrimLeft(esc, "/")
	}
	return "file:" + esc + "?" + q.Encode()
}

// Close closes both connection pools.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

// Ping checks that the database file can be read.
func (db *DB) Ping(ctx context.Context) error {
	return translate(ctx, "ping", db.read.PingContext(ctx))
}

// userColumns is the column list every look-up selects, in scanUser order.
const userColumns = `id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined, dt_first_login`

// UserByID returns the user with this id (in any letter case), active or
// not, or an error matching authing.ErrUserNotFound. An id that is not a
// UUID is not found.
func (db *DB) UserByID(ctx context.Context, id string) (authing.User, error) {
	id, ok := uuidv4.Canonical(id)
	if !ok {
		return authing.User{}, fmt.Errorf("sqlite: user by id: %w", authing.ErrUserNotFound)
	}
	return db.queryUser(ctx, "user by id", `SELECT `+userColumns+` FROM users_user WHERE id = ?`, id)
}

// UserByUsername returns the user whose username equals username exactly
// (byte for byte, so case-sensitively), active or not, or an error matching
// authing.ErrUserNotFound.
func (db *DB) UserByUsername(ctx context.Context, username string) (authing.User, error) {
	return db.queryUser(ctx, "user by username", `SELECT `+userColumns+` FROM users_user WHERE username = ?`, username)
}

// UserByEmail returns the user with the oldest date_joined whose email
// equals email ignoring ASCII letter case (SQLite's lower() folds ASCII
// only; PostgreSQL folds per its locale), or an error matching
// authing.ErrUserNotFound. An empty email matches nobody.
func (db *DB) UserByEmail(ctx context.Context, email string) (authing.User, error) {
	if email == "" {
		return authing.User{}, fmt.Errorf("sqlite: user by email: %w", authing.ErrUserNotFound)
	}
	return db.queryUser(ctx, "user by email",
		`SELECT `+userColumns+` FROM users_user WHERE lower(email) = lower(?) ORDER BY date_joined, id LIMIT 1`, email)
}

func (db *DB) queryUser(ctx context.Context, op, query string, arg any) (authing.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, query, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return authing.User{}, fmt.Errorf("sqlite: %s: %w", op, authing.ErrUserNotFound)
	}
	if err != nil {
		return authing.User{}, translate(ctx, op, err)
	}
	return u, nil
}

// ListUsers returns every user ordered by username in code point order.
func (db *DB) ListUsers(ctx context.Context) ([]authing.User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users_user ORDER BY username`)
	if err != nil {
		return nil, translate(ctx, "list users", err)
	}
	defer rows.Close()
	var users []authing.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, translate(ctx, "list users", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(ctx, "list users", err)
	}
	return users, nil
}

// CreateUser inserts a user with a new random UUID and date_joined = now. A
// taken username gives an error matching authing.ErrUserExists.
func (db *DB) CreateUser(ctx context.Context, nu authing.NewUser) (authing.User, error) {
	u := authing.User{
		ID:           uuidv4.New(),
		Username:     nu.Username,
		Email:        nu.Email,
		FirstName:    nu.FirstName,
		LastName:     nu.LastName,
		PasswordHash: nu.PasswordHash,
		IsActive:     nu.IsActive,
		IsStaff:      nu.IsStaff,
		IsSuperuser:  nu.IsSuperuser,
		DateJoined:   db.now().UTC().Truncate(time.Microsecond),
	}
	_, err := db.write.ExecContext(ctx, `INSERT INTO users_user (`+userColumns+`)
		VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
		u.ID, u.PasswordHash, u.IsSuperuser, u.Username, u.FirstName, u.LastName, u.Email,
		u.IsStaff, u.IsActive, formatTime(u.DateJoined))
	if err != nil {
		return authing.User{}, translate(ctx, "create user", err)
	}
	return u, nil
}

// RecordLogin sets last_login = at and, when it is null, dt_first_login =
// at, in one statement. An unknown id gives an error matching
// authing.ErrUserNotFound.
func (db *DB) RecordLogin(ctx context.Context, id string, at time.Time) error {
	ts := formatTime(at)
	return db.update(ctx, "record login", id,
		`UPDATE users_user SET last_login = ?, dt_first_login = coalesce(dt_first_login, ?) WHERE id = ?`, ts, ts)
}

// SetPasswordHash replaces the password hash of the user with this id. An
// unknown id gives an error matching authing.ErrUserNotFound.
func (db *DB) SetPasswordHash(ctx context.Context, id, hash string) error {
	return db.update(ctx, "set password hash", id, `UPDATE users_user SET password = ? WHERE id = ?`, hash)
}

// SetActive sets is_active of the user with this id. An unknown id gives an
// error matching authing.ErrUserNotFound.
func (db *DB) SetActive(ctx context.Context, id string, active bool) error {
	return db.update(ctx, "set active", id, `UPDATE users_user SET is_active = ? WHERE id = ?`, active)
}

// ReplacePasswordHash sets the hash to newHash only if it still equals
// oldHash, in one statement, and reports whether it did. An unknown id
// reports false and no error.
func (db *DB) ReplacePasswordHash(ctx context.Context, id, oldHash, newHash string) (bool, error) {
	id, ok := uuidv4.Canonical(id)
	if !ok {
		return false, nil
	}
	res, err := db.write.ExecContext(ctx, `UPDATE users_user SET password = ? WHERE id = ? AND password = ?`, newHash, id, oldHash)
	if err != nil {
		return false, translate(ctx, "replace password hash", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, translate(ctx, "replace password hash", err)
	}
	return n == 1, nil
}

// update runs an UPDATE whose last parameter is the id and reports
// ErrUserNotFound when it changed no row.
func (db *DB) update(ctx context.Context, op, id, query string, args ...any) error {
	id, ok := uuidv4.Canonical(id)
	if !ok {
		return fmt.Errorf("sqlite: %s: %w", op, authing.ErrUserNotFound)
	}
	res, err := db.write.ExecContext(ctx, query, append(args, id)...)
	if err != nil {
		return translate(ctx, op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(ctx, op, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: %s: %w", op, authing.ErrUserNotFound)
	}
	return nil
}

// scanUser reads one row selected with userColumns.
func scanUser(row interface{ Scan(...any) error }) (authing.User, error) {
	var (
		u                     authing.User
		dateJoined            string
		lastLogin, firstLogin sql.NullString
	)
	err := row.Scan(&u.ID, &u.PasswordHash, &lastLogin, &u.IsSuperuser, &u.Username, &u.FirstName,
		&u.LastName, &u.Email, &u.IsStaff, &u.IsActive, &dateJoined, &firstLogin)
	if err != nil {
		return authing.User{}, err
	}
	if u.DateJoined, err = parseTime(dateJoined); err != nil {
		return authing.User{}, fmt.Errorf("user %s: date_joined: %w", u.ID, err)
	}
	if u.LastLogin, err = parseNullTime(lastLogin); err != nil {
		return authing.User{}, fmt.Errorf("user %s: last_login: %w", u.ID, err)
	}
	if u.FirstLogin, err = parseNullTime(firstLogin); err != nil {
		return authing.User{}, fmt.Errorf("user %s: dt_first_login: %w", u.ID, err)
	}
	return u, nil
}

// timeLayout is RFC 3339 in UTC with exactly six fractional digits: every
// stored time has the same length, so text order is time order.
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

func formatTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// translate turns a driver error into this package's error for operation
// op: a unique violation matches authing.ErrUserExists; a busy or locked
// database, an I/O, disk-full, open or corruption failure, a deadline and
// a broken connection match authing.ErrUnavailable; a cancelled context
// matches context.Canceled.
func translate(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch code := se.Code(); code & 0xff {
		case sqlite3.SQLITE_CONSTRAINT:
			if code == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
				return fmt.Errorf("sqlite: %s: %w: %w", op, authing.ErrUserExists, err)
			}
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL,
			sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_READONLY,
			sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_NOLFS, sqlite3.SQLITE_PERM:
			return fmt.Errorf("sqlite: %s: %w: %w", op, authing.ErrUnavailable, err)
		case sqlite3.SQLITE_INTERRUPT:
			// Interrupted because ctx ended: handled below.
		}
	}
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("sqlite: %s: %w: %w", op, context.Canceled, err)
	case ctx.Err() != nil, errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("sqlite: %s: %w: %w", op, authing.ErrUnavailable, err)
	case errors.Is(err, sql.ErrConnDone):
		return fmt.Errorf("sqlite: %s: %w: %w", op, authing.ErrUnavailable, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
