// Package postgres is an authing.UserDirectory on PostgreSQL, for
// production: any number of authing instances share one database, which may
// be the database of an existing Bazis/Django project. It uses
// github.com/jackc/pgx/v5 and its pool, pgxpool.
//
// # The users_user table
//
// The table is the one Django's migrations create for the Bazis user model
// (bazis-users UserAbstract with UuidMixin, app label "users"):
//
//	id uuid PRIMARY KEY            username varchar(150) UNIQUE
//	password varchar(128)          first_name, last_name varchar(150)
//	last_login timestamptz NULL    email varchar(254)
//	is_superuser boolean           is_staff, is_active boolean
//	date_joined timestamptz        dt_first_login timestamptz NULL
//
// all NOT NULL unless marked, with no database defaults, plus Django's
// index users_user_username_06e46fe6_like (varchar_pattern_ops). UUIDs are
// made in Go (crypto/rand, version 4), so no extension is needed.
//
// # Migrate and existing tables
//
// Open never changes the database; Migrate does, and it changes users_user
// only when the table is authing's:
//
//   - no users_user on the search_path: authing creates it (identical to
//     Django's, so a Django project can adopt it with migrate
//     --fake-initial) with an extra index on (lower(email), date_joined),
//     and records its migrations, embedded SQL files applied each in a
//     transaction, in its own table authing_migrations;
//   - users_user created by Django/Bazis (authing_migrations beside it does
//     not record the migration that creates it): authing checks that the
//     columns above exist with compatible types and never changes that
//     table. A missing or mistyped column gives a *SchemaError that lists
//     every problem, and then nothing at all is changed. Otherwise Migrate
//     creates only authing's own tables (migrations whose first line is
//     "-- authing:own-tables": the account links table authing_user_link,
//     without a foreign key into Django's table) and records them in
//     authing_migrations. authing writes only the columns above (a login, a
//     password hash upgrade, is_active, new users); a project column that is
//     NOT NULL without a default makes CreateUser fail with an error naming
//     it.
//
// Account links (UserByLink, Link) live in authing_user_link: (issuer,
// subject) → user id, for OpenID Connect sign-ins.
//
// UserByEmail matches lower(email) = lower($1); a Django table has no index
// for it, and the operator may add one (see DB.UserByEmail).
//
// Options.Schema puts one schema alone on the search_path of every
// connection, which isolates tests and lets authing live beside other
// applications.
//
// # Timeouts and errors
//
// Every operation runs under Options.QueryTimeout (default 3 s), which
// covers waiting for a pooled connection, connecting (itself bounded by
// Options.ConnectTimeout, default 5 s) and the statement; when it expires
// pgx stops waiting and closes that connection (pgx's default; the server
// ends the statement when it notices the client is gone), and the pool
// opens a new one when needed. A server that is down, refuses
// connections or accepts them and never answers therefore gives, within
// that bound, an error matching authing.ErrUnavailable: never a hang. So do
// network errors, a server shutting down, too many connections and a
// read-only standby. A taken username matches authing.ErrUserExists; a look-up
// that finds nothing matches authing.ErrUserNotFound; a context cancelled
// by the caller matches context.Canceled and not ErrUnavailable.
//
// Pool defaults: MaxConns 4 × GOMAXPROCS (at least 4), MinConns 0 (Open
// succeeds while the server is down), health checks every 30 s, pgxpool's
// connection lifetime (1 h) and idle time (30 min). Parameters of the
// connection URL (pool_max_conns, connect_timeout, …) apply when the
// matching Options field is zero.
package postgres
