package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/userdb/sqlite"
)

func open(t testing.TB, opts sqlite.Options) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "users.db"), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

func TestUsers(t *testing.T) {
	authingtest.TestUsers(t, func(t *testing.T) authing.UserDirectory {
		return open(t, sqlite.Options{})
	})
}

func TestOpen_PragmasOnEveryConnection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.db")
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{BusyTimeout: 1234 * time.Millisecond, MaxReadConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range sqlite.Conns(t, db) {
		for pragma, want := range map[string]string{
			"busy_timeout": "1234",
			"journal_mode": "wal",
			"foreign_keys": "1",
			"synchronous":  "1", // NORMAL
		} {
			if got := c.Pragma(t, pragma); got != want {
				t.Errorf("%s connection: PRAGMA %s = %s, want %s", c.Name, pragma, got, want)
			}
		}
		wantQueryOnly := "0"
		if c.Name != "write" {
			wantQueryOnly = "1"
		}
		if got := c.Pragma(t, "query_only"); got != wantQueryOnly {
			t.Errorf("%s connection: PRAGMA query_only = %s, want %s", c.Name, got, wantQueryOnly)
		}
	}
}

func TestOpen_BadPath(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db"} {
		if db, err := sqlite.Open(t.Context(), p, sqlite.Options{}); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded, want an error", p)
		}
	}
	// A directory that does not exist: the file cannot be created.
	_, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "missing", "users.db"), sqlite.Options{})
	if !errors.Is(err, authing.ErrUnavailable) {
		t.Errorf("Open in a missing directory: %v; want ErrUnavailable", err)
	}
}

func TestOpen_OddFileName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir?#%")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "users?x=1#frag%41.db")
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	defer db.Close()
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at the given path: %v", err)
	}
}

func TestMigrate_Idempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.db")
	for i := range 3 {
		db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
		if i == 0 {
			if _, err := db.CreateUser(t.Context(), authing.NewUser{Username: "kept", IsActive: true}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.UserByUsername(t.Context(), "kept"); err != nil {
			t.Fatalf("after Migrate #%d: %v", i+1, err)
		}
		if got := sqlite.AppliedMigrations(t, db); !slices.Equal(got, []int{1, 2}) {
			t.Errorf("applied migrations = %v, want [1 2]", got)
		}
		db.Close()
	}
}

func TestMigrate_ConcurrentProcesses(t *testing.T) {
	// Several DBs on one file stand for several processes starting at once.
	path := filepath.Join(t.TempDir(), "users.db")
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
			if err != nil {
				t.Error(err)
				return
			}
			defer db.Close()
			if err := db.Migrate(context.Background()); err != nil {
				t.Errorf("concurrent Migrate: %v", err)
			}
		})
	}
	wg.Wait()
}

func TestMigrate_ForeignTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.db")
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sqlite.Exec(t, db, `CREATE TABLE users_user ("id" char(32) NOT NULL PRIMARY KEY, "username" varchar(150) NOT NULL UNIQUE)`)
	err = db.Migrate(t.Context())
	if err == nil || !strings.Contains(err.Error(), "did not create") {
		t.Fatalf("Migrate over a foreign users_user = %v; want a refusal", err)
	}
}

func TestNotMigrated(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "users.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.UserByUsername(t.Context(), "x")
	if err == nil || errors.Is(err, authing.ErrUserNotFound) {
		t.Errorf("UserByUsername before Migrate = %v; want a 'no such table' error", err)
	}
}

func TestUserByEmail_OldestDateJoined(t *testing.T) {
	// The clock runs backwards: the user inserted last joined first.
	clock := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	db := open(t, sqlite.Options{Now: func() time.Time { clock = clock.Add(-time.Hour); return clock }})
	var last authing.User
	for _, name := range []string{"a", "b", "c"} {
		u, err := db.CreateUser(t.Context(), authing.NewUser{Username: name, Email: "Same@Example.com", IsActive: true})
		if err != nil {
			t.Fatal(err)
		}
		last = u
	}
	got, err := db.UserByEmail(t.Context(), "same@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != last.ID {
		t.Errorf("UserByEmail = %q (joined %v), want %q (joined %v, the oldest)", got.Username, got.DateJoined, last.Username, last.DateJoined)
	}
}

func TestListUsers_CodePointOrder(t *testing.T) {
	db := open(t, sqlite.Options{})
	names := []string{"bob", "Zed", "alice", "Émile", "_x", "Bob", "ёж"}
	for _, n := range names {
		if _, err := db.CreateUser(t.Context(), authing.NewUser{Username: n, IsActive: true}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := db.ListUsers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range list {
		got = append(got, u.Username)
	}
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("ListUsers order = %q, want %q", got, names)
	}
}

func TestUserByID_AnyCase(t *testing.T) {
	db := open(t, sqlite.Options{})
	u, err := db.CreateUser(t.Context(), authing.NewUser{Username: "x", IsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{strings.ToUpper(u.ID), strings.ReplaceAll(u.ID, "-", "")} {
		got, err := db.UserByID(t.Context(), id)
		if err != nil || got.ID != u.ID {
			t.Errorf("UserByID(%q) = %q, %v; want %q", id, got.ID, err, u.ID)
		}
	}
}

func TestCreateUser_TooLong(t *testing.T) {
	db := open(t, sqlite.Options{})
	_, err := db.CreateUser(t.Context(), authing.NewUser{Username: strings.Repeat("ж", 151), IsActive: true})
	if err == nil {
		t.Fatal("CreateUser with a 151-character username succeeded; Django allows 150")
	}
	if errors.Is(err, authing.ErrUnavailable) || errors.Is(err, authing.ErrUserExists) {
		t.Errorf("CreateUser with a too long username: %v; want a plain error", err)
	}
	if _, err := db.CreateUser(t.Context(), authing.NewUser{Username: strings.Repeat("ж", 150), IsActive: true}); err != nil {
		t.Errorf("CreateUser with a 150-character username: %v", err)
	}
}

func TestStoredFormat(t *testing.T) {
	db := open(t, sqlite.Options{Now: func() time.Time {
		return time.Date(2024, 2, 29, 23, 59, 58, 987654321, time.FixedZone("MSK", 3*3600))
	}})
	u, err := db.CreateUser(t.Context(), authing.NewUser{Username: "x", IsActive: true, IsStaff: true})
	if err != nil {
		t.Fatal(err)
	}
	row := sqlite.RawRow(t, db, u.ID)
	want := map[string]string{
		"date_joined": "2024-02-29T20:59:58.987654Z",
		"is_active":   "1",
		"is_staff":    "1",
		"is_super":    "0",
		"last_login":  "<nil>",
	}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("stored %s = %q, want %q", k, row[k], v)
		}
	}
}

func TestBusyFromAnotherProcess(t *testing.T) {
	// A second DB on the same file holds the write lock for longer than
	// the first one's busy timeout: the write fails with ErrUnavailable
	// (not a hang), and succeeds once the lock is gone.
	path := filepath.Join(t.TempDir(), "users.db")
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{BusyTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(t.Context(), authing.NewUser{Username: "locked", IsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	release := sqlite.HoldWriteLock(t, path)
	err = db.RecordLogin(t.Context(), u.ID, time.Now())
	if !errors.Is(err, authing.ErrUnavailable) {
		t.Errorf("RecordLogin while another process writes: %v; want ErrUnavailable", err)
	}
	// Readers are not blocked by a writer in WAL mode.
	if _, err := db.UserByID(t.Context(), u.ID); err != nil {
		t.Errorf("UserByID while another process writes: %v", err)
	}
	release()
	if err := db.RecordLogin(t.Context(), u.ID, time.Now()); err != nil {
		t.Errorf("RecordLogin after the lock is released: %v", err)
	}
}

func TestCanceledContext(t *testing.T) {
	db := open(t, sqlite.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := db.UserByUsername(ctx, "x")
	if !errors.Is(err, context.Canceled) || errors.Is(err, authing.ErrUnavailable) {
		t.Errorf("UserByUsername with a cancelled context: %v; want context.Canceled, not ErrUnavailable", err)
	}
	ctx, cancel = context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = db.CreateUser(ctx, authing.NewUser{Username: "x"})
	if !errors.Is(err, authing.ErrUnavailable) {
		t.Errorf("CreateUser past its deadline: %v; want ErrUnavailable", err)
	}
}

func BenchmarkUserByUsername(b *testing.B) {
	db := open(b, sqlite.Options{})
	for i := range 1000 {
		if _, err := db.CreateUser(b.Context(), authing.NewUser{Username: fmt.Sprintf("user%04d", i), IsActive: true}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.CreateUser(b.Context(), authing.NewUser{Username: "target", Email: "t@example.com", IsActive: true}); err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.UserByUsername(ctx, "target"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUserByUsername_Parallel(b *testing.B) {
	db := open(b, sqlite.Options{})
	if _, err := db.CreateUser(b.Context(), authing.NewUser{Username: "target", IsActive: true}); err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.UserByUsername(ctx, "target"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
