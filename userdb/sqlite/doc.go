// Package sqlite is an authing.UserDirectory on an SQLite database file,
// the embedded default of `authing serve`. It uses the pure-Go driver
// modernc.org/sqlite (driver name "sqlite"): no cgo.
//
// # Schema
//
// The table is users_user with the columns of the Bazis/Django user model
// (bazis-users UserAbstract with UuidMixin): id, password, last_login,
// is_superuser, username (unique), first_name, last_name, email, is_staff,
// is_active, date_joined, dt_first_login. It is a STRICT table, and in it
//
//   - id is the canonical lowercase hyphenated UUID as TEXT (UUIDs are made
//     in Go from crypto/rand, version 4);
//   - booleans are INTEGER 0 or 1;
//   - times are TEXT in RFC 3339, UTC, with exactly six fractional digits
//     ("2024-02-29T20:59:58.987654Z"): microseconds, as Django and
//     PostgreSQL keep them, and every value the same length so that text
//     order is time order;
//   - lengths are Django's max_length (CHECK constraints).
//
// An index on (lower(email), date_joined) serves UserByEmail. SQLite's
// lower() folds ASCII letters only, so e-mail matching ignores ASCII case;
// PostgreSQL's folds per locale.
//
// The file is authing's own: it is not laid out like a Django SQLite
// database (Django writes UUIDs as 32 hex digits and times in another
// format) and is not meant to be shared with one.
//
// # Account links
//
// The table authing_user_link (migration 0002) keeps OpenID Connect account
// links: (issuer, subject) → user id, with a foreign key to users_user (ON
// DELETE CASCADE). UserByLink and Link implement the Links interface of
// method/oidc.
//
// # Migrations
//
// Open never changes the schema; Migrate does. The migrations are SQL files
// embedded in the binary (migrations/NNNN_name.sql). Migrate records the
// applied versions in the table authing_migrations and applies each missing
// one in its own transaction, so it is safe to run on every start, from
// several processes at once. A file that has a users_user table but no
// authing_migrations table is refused, never changed.
//
// # Connections
//
// SQLite lets one connection write a database file at a time. DB therefore
// keeps two pools on the same file:
//
//   - a write pool of exactly one connection (database/sql queues writers,
//     in order and honouring their contexts, instead of letting them spin
//     in SQLite's busy handler and fail with "database is locked"); its
//     transactions begin with BEGIN IMMEDIATE so that they never have to
//     upgrade a read lock;
//   - a read pool of Options.MaxReadConns query_only connections, which in
//     WAL mode read beside the writer without waiting.
//
// Every connection gets busy_timeout, journal_mode=WAL, foreign_keys=ON and
// synchronous=NORMAL from the DSN (_pragma parameters), so a connection the
// pool opens later is configured like the first. busy_timeout still matters:
// another process (an `authing user` command next to a running server) or a
// WAL checkpoint can hold the lock for a moment.
//
// # Errors
//
// Driver errors are translated where they leave the package: a taken
// username matches authing.ErrUserExists; "database is locked", I/O,
// disk-full, open and corruption errors, an expired deadline and a closed
// connection match authing.ErrUnavailable. Look-ups that find nothing match
// authing.ErrUserNotFound.
package sqlite
