package sqlite

import (
	"database/sql"
	"fmt"
	"testing"
)

// TestConn is one pooled connection, for tests that inspect connections.
type TestConn struct {
	Name string
	c    *sql.Conn
}

// Conns checks out the write connection and every read connection at once,
// so that each is a distinct pooled connection.
func Conns(t *testing.T, db *DB) []TestConn {
	t.Helper()
	var out []TestConn
	w, err := db.write.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	out = append(out, TestConn{"write", w})
	for i := range db.read.Stats().MaxOpenConnections {
		r, err := db.read.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		out = append(out, TestConn{fmt.Sprintf("read#%d", i), r})
	}
	return out
}

// Pragma returns the value of PRAGMA name on this connection.
func (c TestConn) Pragma(t *testing.T, name string) string {
	t.Helper()
	var v string
	if err := c.c.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

// AppliedMigrations lists the versions recorded in authing_migrations.
func AppliedMigrations(t *testing.T, db *DB) []int {
	t.Helper()
	rows, err := db.read.QueryContext(t.Context(), `SELECT version FROM authing_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

// Exec runs a statement on the write connection.
func Exec(t *testing.T, db *DB, query string) {
	t.Helper()
	if _, err := db.write.ExecContext(t.Context(), query); err != nil {
		t.Fatal(err)
	}
}

// RawRow returns some stored values of a user as text.
func RawRow(t *testing.T, db *DB, id string) map[string]string {
	t.Helper()
	var dj, active, staff, super, last any
	err := db.read.QueryRowContext(t.Context(),
		`SELECT date_joined, is_active, is_staff, is_superuser, last_login FROM users_user WHERE id = ?`, id).
		Scan(&dj, &active, &staff, &super, &last)
	if err != nil {
		t.Fatal(err)
	}
	s := func(v any) string {
		if v == nil {
			return "<nil>"
		}
		return fmt.Sprint(v)
	}
	return map[string]string{"date_joined": s(dj), "is_active": s(active), "is_staff": s(staff), "is_super": s(super), "last_login": s(last)}
}

// HoldWriteLock opens the file as another process would and holds its
// write lock until the returned function is called.
func HoldWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	other, err := sql.Open("sqlite", dsn(path, 0, false))
	if err != nil {
		t.Fatal(err)
	}
	c, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(t.Context(), "UPDATE users_user SET first_name = first_name"); err != nil {
		t.Fatal(err)
	}
	done := false
	release = func() {
		if done {
			return
		}
		done = true
		c.ExecContext(t.Context(), "ROLLBACK")
		c.Close()
		other.Close()
	}
	t.Cleanup(release)
	return release
}
