package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"authing.dev/authing/userdb/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded migrations/NNNN_name.sql file.
type migration struct {
	version int
	name    string
	sql     string
	// ownTables: the file starts with the line "-- authing:own-tables": it
	// creates or changes only tables of authing's own, never users_user, and
	// is applied also beside a Django users_user.
	ownTables bool
}

// ownTablesMarker is the first line of a migration that touches only
// authing's own tables.
const ownTablesMarker = "-- authing:own-tables\n"

// loadMigrations reads the embedded migrations in version order.
func loadMigrations() ([]migration, error) {
	files, err := migrations.Load(migrationFiles)
	if err != nil {
		return nil, err
	}
	ms := make([]migration, len(files))
	for i, f := range files {
		ms[i] = migration{version: f.Version, name: f.Name, sql: f.SQL,
			ownTables: strings.HasPrefix(strings.ReplaceAll(f.SQL, "\r\n", "\n"), ownTablesMarker)}
	}
	return ms, nil
}

// migrateLockClass is the first key of the advisory lock that serialises
// Migrate across instances; the second is a hash of the schema name.
const migrateLockClass int32 = 0x61757468 // "auth"

// SchemaError reports a users_user table that authing did not create and
// cannot use. Migrate returns it and changes nothing.
type SchemaError struct {
	// Table is the schema-qualified table, for example "public.users_user".
	Table string
	// Problems lists each missing or incompatible column, one per entry.
	Problems []string
}

// Error lists the problems in one line.
func (e *SchemaError) Error() string {
	return fmt.Sprintf("postgres: migrate: table %s was not created by authing, which changes nothing in it, and it is not usable: %s",
		e.Table, strings.Join(e.Problems, "; "))
}

// Migrate prepares the database for authing, in one of two ways.
//
// If no users_user table is visible on the search_path, authing owns the
// table: Migrate creates the table authing_migrations (version, name,
// applied_at) in the first schema of the search_path and applies, each in
// its own transaction, every embedded migration not listed there; the first
// one creates users_user exactly as Django's migrations for a Bazis project
// would, plus an index on lower(email). Later runs apply only new
// migrations.
//
// If users_user exists and authing did not create it (no authing_migrations
// beside it recording version 1), the table belongs to Django/Bazis:
// Migrate checks that the columns authing reads and writes exist with
// compatible types, and never creates, alters or writes anything in
// users_user. A missing or incompatible column gives a *SchemaError listing
// every problem, and nothing is changed. When the table is usable, Migrate
// applies only the migrations marked as touching authing's own tables (the
// account links table authing_user_link), recorded in authing_migrations in
// the first schema of the search_path. The role needs the CREATE privilege
// on that schema for this.
//
// Instances starting together take turns through an advisory lock. When
// Options.Schema is set and that schema does not exist, Migrate creates it.
// Migrate is bounded by Options.MigrateTimeout.
func (db *DB) Migrate(ctx context.Context) (err error) {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	mctx, cancel := db.bound(ctx, db.migrateTimeout)
	defer cancel()

	conn, err := db.pool.Acquire(mctx)
	if err != nil {
		return translate(ctx, "migrate", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(mctx, `SELECT pg_advisory_lock($1, hashtext($2))`, migrateLockClass, db.schema); err != nil {
		return translate(ctx, "migrate: lock", err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(uctx, `SELECT pg_advisory_unlock($1, hashtext($2))`, migrateLockClass, db.schema); uerr != nil {
			// Closing the session releases the lock; the pool drops the
			// closed connection.
			conn.Conn().Close(uctx)
		}
	}()

	if db.schema != "" {
		var exists bool
		if err := conn.QueryRow(mctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, db.schema).Scan(&exists); err != nil {
			return translate(ctx, "migrate", err)
		}
		if !exists {
			if _, err := conn.Exec(mctx, `CREATE SCHEMA `+pgx.Identifier{db.schema}.Sanitize()); err != nil {
				return translate(ctx, "migrate: create schema", err)
			}
		}
	}

	var current, usersSchema, migrationsSchema *string
	err = conn.QueryRow(mctx, `SELECT current_schema(),
		(SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass('users_user')),
		(SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass('authing_migrations'))`).
		Scan(&current, &usersSchema, &migrationsSchema)
	if err != nil {
		return translate(ctx, "migrate", err)
	}

	owned := true
	switch {
	case usersSchema == nil:
		if current == nil {
			return errors.New("postgres: migrate: no schema of the search_path exists; set Options.Schema or create one")
		}
		usersSchema = current
	case migrationsSchema == nil || *migrationsSchema != *usersSchema:
		owned = false
	default:
		// authing_migrations beside users_user: authing created the table
		// if it recorded the migration that creates it.
		if err := conn.QueryRow(mctx, `SELECT EXISTS (SELECT 1 FROM authing_migrations WHERE version = 1)`).Scan(&owned); err != nil {
			return translate(ctx, "migrate", err)
		}
	}
	if !owned {
		// Django's table: check it, never touch it.
		if err := db.verify(mctx, ctx, conn, *usersSchema); err != nil {
			return err
		}
		if current == nil {
			return errors.New("postgres: migrate: no schema of the search_path exists for authing's own tables; set Options.Schema or create one")
		}
	}
	_, err = conn.Exec(mctx, `CREATE TABLE IF NOT EXISTS authing_migrations (
		version    integer     NOT NULL PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`)
	if err != nil {
		return ownTablesHint(owned, translate(ctx, "migrate", err))
	}
	for _, m := range ms {
		if !owned && !m.ownTables {
			continue
		}
		if err := db.apply(mctx, ctx, conn, m); err != nil {
			return ownTablesHint(owned, err)
		}
	}
	return db.verify(mctx, ctx, conn, *usersSchema)
}

// apply runs one migration in a transaction unless it is recorded already.
func (db *DB) apply(mctx, ctx context.Context, conn *pgxpool.Conn, m migration) error {
	op := fmt.Sprintf("migrate %04d_%s", m.version, m.name)
	tx, err := conn.Begin(mctx)
	if err != nil {
		return translate(ctx, op, err)
	}
	defer tx.Rollback(context.WithoutCancel(mctx))
	var done bool
	if err := tx.QueryRow(mctx, `SELECT EXISTS (SELECT 1 FROM authing_migrations WHERE version = $1)`, m.version).Scan(&done); err != nil {
		return translate(ctx, op, err)
	}
	if done {
		return nil
	}
	if _, err := tx.Exec(mctx, m.sql); err != nil {
		return translate(ctx, op, err)
	}
	if _, err := tx.Exec(mctx, `INSERT INTO authing_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
		return translate(ctx, op, err)
	}
	return translate(ctx, op, tx.Commit(mctx))
}

// needed lists the columns authing reads and writes, with the types it can
// use (information_schema.columns.data_type).
var needed = []struct {
	column string
	types  []string
}{
	{"id", []string{"uuid"}},
	{"password", []string{"character varying", "text"}},
	{"last_login", []string{"timestamp with time zone"}},
	{"is_superuser", []string{"boolean"}},
	{"username", []string{"character varying", "text"}},
	{"first_name", []string{"character varying", "text"}},
	{"last_name", []string{"character varying", "text"}},
	{"email", []string{"character varying", "text"}},
	{"is_staff", []string{"boolean"}},
	{"is_active", []string{"boolean"}},
	{"date_joined", []string{"timestamp with time zone"}},
	{"dt_first_login", []string{"timestamp with time zone"}},
}

// verify checks the columns of schema.users_user.
func (db *DB) verify(mctx, ctx context.Context, conn *pgxpool.Conn, schema string) error {
	rows, err := conn.Query(mctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = 'users_user'`, schema)
	if err != nil {
		return translate(ctx, "migrate: verify", err)
	}
	have := map[string]string{}
	var name, typ string
	_, err = pgx.ForEachRow(rows, []any{&name, &typ}, func() error {
		have[name] = typ
		return nil
	})
	if err != nil {
		return translate(ctx, "migrate: verify", err)
	}
	table := pgx.Identifier{schema, "users_user"}.Sanitize()
	if len(have) == 0 {
		return &SchemaError{Table: table, Problems: []string{"the table has no columns visible to this role"}}
	}
	var problems []string
	for _, n := range needed {
		got, ok := have[n.column]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing column %s (%s)", n.column, n.types[0]))
		case !slices.Contains(n.types, got):
			problems = append(problems, fmt.Sprintf("column %s is %s, want %s", n.column, got, strings.Join(n.types, " or ")))
		}
	}
	if len(problems) > 0 {
		return &SchemaError{Table: table, Problems: problems}
	}
	return nil
}

// ownTablesHint explains a refused CREATE beside a Django users_user: the
// role may use the table but not add authing's own tables next to it.
func ownTablesHint(owned bool, err error) error {
	var pgErr *pgconn.PgError
	if owned || !errors.As(err, &pgErr) || pgErr.Code != "42501" { // insufficient_privilege
		return err
	}
	return fmt.Errorf("%w (authing creates only its own tables beside a Django users_user: authing_migrations and "+
		"authing_user_link, the account links of OpenID Connect sign-ins; grant CREATE on the schema to this role, "+
		"or create them once as the owner with `authing migrate` and run the instances with AUTHING_MIGRATE=false)", err)
}
