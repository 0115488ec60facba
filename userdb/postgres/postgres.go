package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"authing.dev/authing"
	"authing.dev/authing/userdb/internal/uuidv4"
)

// Options configures Open. The zero value works. For the pool settings, a
// non-zero field wins over the same setting in the connection URL
// (pool_max_conns, pool_min_conns, connect_timeout,
// pool_health_check_period), and the URL wins over the default given here.
type Options struct {
	// Schema, when set, is the only schema on the search_path of every
	// connection: users_user (and authing_migrations, when authing creates
	// the table) are found and created there. Migrate creates the schema
	// when it does not exist. Default: the server's search_path.
	Schema string
	// MaxConns is the size of the connection pool. Default 4 × GOMAXPROCS,
	// at least 4.
	MaxConns int32
	// MinConns is the number of connections kept open even when idle.
	// Default 0, so Open does not need the server to be up.
	MinConns int32
	// ConnectTimeout bounds establishing one connection (TCP, TLS and
	// start-up). Default 5 s.
	ConnectTimeout time.Duration
	// QueryTimeout bounds every operation (waiting for a pooled connection,
	// connecting and running the statement): a server that is down or
	// stuck gives an error matching authing.ErrUnavailable after at most
	// this long instead of a hang. The caller's context may end it sooner.
	// Default 3 s; negative means no bound besides the caller's context.
	QueryTimeout time.Duration
	// MigrateTimeout bounds Migrate, which may wait for another instance's
	// migration to finish. Default 1 min; negative means no bound.
	MigrateTimeout time.Duration
	// HealthCheckPeriod is how often idle connections are checked and
	// broken ones closed. Default 30 s.
	HealthCheckPeriod time.Duration
	// Now returns the current time, used for date_joined. Default time.Now.
	Now func() time.Time
}

// Defaults of Options.
const (
	DefaultConnectTimeout    = 5 * time.Second
	DefaultQueryTimeout      = 3 * time.Second
	DefaultMigrateTimeout    = time.Minute
	DefaultHealthCheckPeriod = 30 * time.Second
)

// DB is a user directory in a PostgreSQL database, on the Bazis users_user
// table. It is safe for concurrent use. Create it with Open, prepare the
// table with Migrate and release it with Close.
type DB struct {
	pool           *pgxpool.Pool
	schema         string
	queryTimeout   time.Duration
	migrateTimeout time.Duration
	now            func() time.Time
}

var _ authing.UserDirectory = (*DB)(nil)

// Open makes a connection pool for the PostgreSQL server at url (a
// postgres:// URL or a keyword/value string, as libpq takes). It does not
// connect: the first operation does, so a server that is down at start
// gives errors matching authing.ErrUnavailable, not a failed Open; use Ping
// to wait for readiness. A malformed url or option is an error.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err) // pgconn redacts the password
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !hasParam(url, "pool_max_conns"):
		cfg.MaxConns = int32(max(4, 4*runtime.GOMAXPROCS(0)))
	}
	switch {
	case opts.MinConns > 0:
		cfg.MinConns = opts.MinConns
	case !hasParam(url, "pool_min_conns"):
		cfg.MinConns = 0
	}
	if cfg.MinConns > cfg.MaxConns {
		return nil, fmt.Errorf("postgres: open: MinConns %d is above MaxConns %d", cfg.MinConns, cfg.MaxConns)
	}
	switch {
	case opts.ConnectTimeout > 0:
		cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	case !hasParam(url, "connect_timeout"):
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	switch {
	case opts.HealthCheckPeriod > 0:
		cfg.HealthCheckPeriod = opts.HealthCheckPeriod
	case !hasParam(url, "pool_health_check_period"):
		cfg.HealthCheckPeriod = DefaultHealthCheckPeriod
	}
	if opts.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "authing"
	}

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	db := &DB{
		pool:           pool,
		schema:         opts.Schema,
		queryTimeout:   opts.QueryTimeout,
		migrateTimeout: opts.MigrateTimeout,
		now:            opts.Now,
	}
	if db.queryTimeout == 0 {
		db.queryTimeout = DefaultQueryTimeout
	}
	if db.migrateTimeout == 0 {
		db.migrateTimeout = DefaultMigrateTimeout
	}
	if db.now == nil {
		db.now = time.Now
	}
	return db, nil
}

// hasParam reports whether a connection string (URL or keyword/value form)
// sets the parameter key.
func hasParam(connString, key string) bool {
	return strings.Contains(connString, key+"=")
}

// Close closes the pool, waiting for checked-out connections to return.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping checks that the server answers, within QueryTimeout; for readiness
// probes. An unreachable server gives an error matching
// authing.ErrUnavailable.
func (db *DB) Ping(ctx context.Context) error {
	qctx, cancel := db.bound(ctx, db.queryTimeout)
	defer cancel()
	return translate(ctx, "ping", db.pool.Ping(qctx))
}

// bound derives the context of one operation.
func (db *DB) bound(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d < 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

// userColumns is the column list every look-up selects, in scanUser order.
const userColumns = `id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined, dt_first_login`

// UserByID returns the user with this id (in any letter case, with or
// without hyphens), active or not, or an error matching
// authing.ErrUserNotFound. An id that is not a UUID is not found.
func (db *DB) UserByID(ctx context.Context, id string) (authing.User, error) {
	id, ok := uuidv4.Canonical(id)
	if !ok {
		return authing.User{}, fmt.Errorf("postgres: user by id: %w", authing.ErrUserNotFound)
	}
	return db.queryUser(ctx, "user by id", `SELECT `+userColumns+` FROM users_user WHERE id = $1`, id)
}

// UserByUsername returns the user whose username equals username exactly
// (case-sensitively, as Django's unique constraint compares), active or
// not, or an error matching authing.ErrUserNotFound.
func (db *DB) UserByUsername(ctx context.Context, username string) (authing.User, error) {
	return db.queryUser(ctx, "user by username", `SELECT `+userColumns+` FROM users_user WHERE username = $1`, username)
}

// UserByEmail returns the user with the oldest date_joined whose email
// matches lower(email) = lower($1), or an error matching
// authing.ErrUserNotFound. An empty email matches nobody.
//
// On a table authing created an index on (lower(email), date_joined) serves
// the look-up; on a Django table, which has no index on email, the
// operator may add one (authing never changes a table it did not create):
//
//	CREATE INDEX CONCURRENTLY users_user_email_lower_authing
//	    ON users_user (lower(email), date_joined);
func (db *DB) UserByEmail(ctx context.Context, email string) (authing.User, error) {
	if email == "" {
		return authing.User{}, fmt.Errorf("postgres: user by email: %w", authing.ErrUserNotFound)
	}
	return db.queryUser(ctx, "user by email",
		`SELECT `+userColumns+` FROM users_user WHERE lower(email) = lower($1) ORDER BY date_joined, id LIMIT 1`, email)
}

func (db *DB) queryUser(ctx context.Context, op, query string, arg any) (authing.User, error) {
	qctx, cancel := db.bound(ctx, db.queryTimeout)
	defer cancel()
	u, err := scanUser(db.pool.QueryRow(qctx, query, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return authing.User{}, fmt.Errorf("postgres: %s: %w", op, authing.ErrUserNotFound)
	}
	if err != nil {
		return authing.User{}, translate(ctx, op, err)
	}
	return u, nil
}

// ListUsers returns every user ordered by username in code point order
// (COLLATE "C", whatever the database's collation).
func (db *DB) ListUsers(ctx context.Context) ([]authing.User, error) {
	qctx, cancel := db.bound(ctx, db.queryTimeout)
	defer cancel()
	rows, err := db.pool.Query(qctx, `SELECT `+userColumns+` FROM users_user ORDER BY username COLLATE "C"`)
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

// CreateUser inserts a user with a new random UUID (made in Go, so no
// extension is needed) and date_joined = now. A taken username gives an
// error matching authing.ErrUserExists.
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
		DateJoined:   db.now().UTC().Truncate(time.Microsecond), // PostgreSQL keeps microseconds
	}
	qctx, cancel := db.bound(ctx, db.queryTimeout)
	defer cancel()
	_, err := db.pool.Exec(qctx, `INSERT INTO users_user (`+userColumns+`)
		VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, $9, $10, NULL)`,
		u.ID, u.PasswordHash, u.IsSuperuser, u.Username, u.FirstName, u.LastName, u.Email,
		u.IsStaff, u.IsActive, u.DateJoined)
	if err != nil {
		return authing.User{}, translate(ctx, "create user", err)
	}
	return u, nil
}

// RecordLogin sets last_login = at and, when it is null, dt_first_login =
// at, in one statement (what Django's user_logged_in receivers of Django
// and bazis-users do). An unknown id gives an error matching
// authing.ErrUserNotFound.
func (db *DB) RecordLogin(ctx context.Context, id string, at time.Time) error {
	return db.update(ctx, "record login", id,
		`UPDATE users_user SET last_login = $2, dt_first_login = coalesce(dt_first_login, $2) WHERE id = $1`,
		at.UTC().Truncate(time.Microsecond))
}

// SetPasswordHash replaces the password hash of the user with this id. An
// unknown id gives an error matching authing.ErrUserNotFound.
func (db *DB) SetPasswordHash(ctx context.Context, id, hash string) error {
	return db.update(ctx, "set password hash", id, `UPDATE users_user SET password = $2 WHERE id = $1`, hash)
}

// SetActive sets is_active of the user with this id. An unknown id gives an
// error matching authing.ErrUserNotFound.
func (db *DB) SetActive(ctx context.Context, id string, active bool) error {
	return db.update(ctx, "set active", id, `UPDATE users_user SET is_active = $2 WHERE id = $1`, active)
}

// ReplacePasswordHash sets the hash to newHash only if it still equals
// oldHash, in one statement, and reports whether it did. An unknown id
// reports false and no error.
func (db *DB) ReplacePasswordHash(ctx context.Context, id, oldHash, newHash string) (bool, error) {
	id, ok := uuidv4.Canonical(id)
	if !ok {
		return false, nil
	}
	qctx, cancel := db.bound(ctx, db.queryTimeout)
	defer cancel()
	tag, err := db.pool.Exec(qctx, `UPDATE users_user SET password = $2 WHERE id = $1 AND password = $3`, id, newHash, oldHash)
	if err != nil {
		return false, translate(ctx, "replace password hash", err)
	}
	return tag.RowsAffected() == 1, nil
}

// update runs an UPDATE whose $1 is the id and reports ErrUserNotFound when
// it changed no row.
func (db *DB) update(ctx context.Context, op, id, query string, arg any) error {
	id, ok := uuidv4.Canonical(id)
	if !ok {
		return fmt.Errorf("postgres: %s: %w", op, authing.ErrUserNotFound)
	}
	qctx, cancel := db.bound(ctx, db.queryTimeout)
	defer cancel()
	tag, err := db.pool.Exec(qctx, query, id, arg)
	if err != nil {
		return translate(ctx, op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s: %w", op, authing.ErrUserNotFound)
	}
	return nil
}

// scanUser reads one row selected with userColumns; times come back in UTC.
func scanUser(row pgx.Row) (authing.User, error) {
	var u authing.User
	err := row.Scan(&u.ID, &u.PasswordHash, &u.LastLogin, &u.IsSuperuser, &u.Username, &u.FirstName,
		&u.LastName, &u.Email, &u.IsStaff, &u.IsActive, &u.DateJoined, &u.FirstLogin)
	if err != nil {
		return authing.User{}, err
	}
	u.DateJoined = u.DateJoined.UTC()
	if u.LastLogin != nil {
		t := u.LastLogin.UTC()
		u.LastLogin = &t
	}
	if u.FirstLogin != nil {
		t := u.FirstLogin.UTC()
		u.FirstLogin = &t
	}
	return u, nil
}

// translate turns a driver error into this package's error for operation
// op. A unique violation on username matches authing.ErrUserExists. Errors
// of reaching the server (connect, network, timeouts, the server shutting
// down, too many connections, a read-only standby) match
// authing.ErrUnavailable. A context cancelled by the caller matches
// context.Canceled only.
func translate(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var (
		pgErr      *pgconn.PgError
		connectErr *pgconn.ConnectError
		netErr     net.Error
	)
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("postgres: %s: %w: %w", op, context.Canceled, err)
	case errors.As(err, &connectErr):
		// Including a refused password or a missing database: the service
		// cannot reach its users either way.
		return fmt.Errorf("postgres: %s: %w: %w", op, authing.ErrUnavailable, err)
	case errors.As(err, &pgErr):
		switch {
		case pgErr.Code == "23505" && !strings.HasSuffix(pgErr.ConstraintName, "_pkey"): // unique_violation
			return fmt.Errorf("postgres: %s: %w: %w", op, authing.ErrUserExists, err)
		case pgErr.Code == "23502": // not_null_violation: a column authing does not know
			return fmt.Errorf("postgres: %s: column %q of users_user is NOT NULL without a default, and authing does not fill it: %w",
				op, pgErr.ColumnName, err)
		case unavailableState(pgErr.Code):
			return fmt.Errorf("postgres: %s: %w: %w", op, authing.ErrUnavailable, err)
		}
		return fmt.Errorf("postgres: %s: %w", op, err)
	case ctx.Err() != nil, errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err),
		errors.As(err, &netErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, pgconn.ErrConnClosed), pgconn.SafeToRetry(err):
		return fmt.Errorf("postgres: %s: %w: %w", op, authing.ErrUnavailable, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// unavailableState reports whether an SQLSTATE means the server cannot
// serve now, as opposed to a fault of the request or the schema.
func unavailableState(code string) bool {
	switch code[:min(2, len(code))] {
	case "08", // connection exception
		"53", // insufficient resources (too many connections, disk full)
		"58": // system error (I/O)
		return true
	}
	switch code {
	case "57014", // query_canceled: our deadline's cancel request
		"57P01", "57P02", "57P03", // admin shutdown, crash shutdown, cannot connect now
		"40001", "40P01", // serialization failure, deadlock: transient
		"55P03", // lock_not_available
		"25006": // read_only_sql_transaction: a standby, during fail-over
		return true
	}
	return false
}
