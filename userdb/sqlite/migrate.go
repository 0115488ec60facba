package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"authing.dev/authing/userdb/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded migrations/NNNN_name.sql file.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations in version order.
func loadMigrations() ([]migration, error) {
	files, err := migrations.Load(migrationFiles)
	if err != nil {
		return nil, err
	}
	ms := make([]migration, len(files))
	for i, f := range files {
		ms[i] = migration{version: f.Version, name: f.Name, sql: f.SQL}
	}
	return ms, nil
}

// Migrate brings the schema up to date: it creates the authing_migrations
// table (version, name, applied_at) when absent and applies, each in its own
// transaction, every embedded migration whose version it does not list.
// It is safe to run on every start and from several processes at once (the
// write transactions are BEGIN IMMEDIATE, so they take turns).
//
// A database file holding a users_user table that authing did not create
// (no authing_migrations table) is refused rather than changed.
func (db *DB) Migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return translate(ctx, "migrate", err)
	}
	var tables int
	err = tx.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'users_user') -
		(SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'authing_migrations')`).Scan(&tables)
	if err == nil && tables > 0 {
		tx.Rollback()
		return errors.New("sqlite: migrate: the database has a users_user table that authing did not create (no authing_migrations table); refusing to change it")
	}
	if err == nil {
		_, err = tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS authing_migrations (
			version    INTEGER NOT NULL PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at TEXT    NOT NULL
		) STRICT`)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		tx.Rollback()
		return translate(ctx, "migrate", err)
	}

	for _, m := range ms {
		if err := db.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// apply runs one migration in a transaction unless it is already recorded.
func (db *DB) apply(ctx context.Context, m migration) error {
	op := fmt.Sprintf("migrate %04d_%s", m.version, m.name)
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return translate(ctx, op, err)
	}
	defer tx.Rollback()
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM authing_migrations WHERE version = ?`, m.version).Scan(&one)
	if err == nil {
		return nil // applied before, maybe by another process
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return translate(ctx, op, err)
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return translate(ctx, op, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO authing_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, formatTime(time.Now())); err != nil {
		return translate(ctx, op, err)
	}
	return translate(ctx, op, tx.Commit())
}
