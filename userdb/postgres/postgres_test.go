package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/internal/testenv"
	"authing.dev/authing/userdb/postgres"
)

// newSchema creates an empty schema of its own on the test server and drops
// it (with everything in it) when the test ends.
func newSchema(t testing.TB) (url, schema string) {
	t.Helper()
	url = testenv.PostgresURL(t)
	schema = testenv.Unique("authing_t_")
	admin := adminConn(t, url, "")
	if _, err := admin.Exec(t.Context(), "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() { dropSchema(t, url, schema) })
	return url, schema
}

func dropSchema(t testing.TB, url, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}

// adminConn is a plain connection for setting up and inspecting; with a
// schema, that schema is its search_path.
func adminConn(t testing.TB, url, schema string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	if schema != "" {
		cfg.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	}
	c, err := pgx.ConnectConfig(t.Context(), cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// open opens a DB on schema; it does not migrate.
func open(t testing.TB, url, schema string, opts postgres.Options) *postgres.DB {
	t.Helper()
	opts.Schema = schema
	db, err := postgres.Open(t.Context(), url, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openMigrated(t testing.TB, opts postgres.Options) *postgres.DB {
	t.Helper()
	url, schema := newSchema(t)
	db := open(t, url, schema, opts)
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

func TestUsers(t *testing.T) {
	authingtest.TestUsers(t, func(t *testing.T) authing.UserDirectory {
		return openMigrated(t, postgres.Options{})
	})
}

// loadFixture creates the Bazis/Django tables in schema.
func loadFixture(t *testing.T, url, schema string) *pgx.Conn {
	t.Helper()
	ddl, err := os.ReadFile("testdata/bazis_users_user.sql")
	if err != nil {
		t.Fatal(err)
	}
	c := adminConn(t, url, schema)
	if _, err := c.Exec(t.Context(), string(ddl)); err != nil {
		t.Fatalf("load testdata/bazis_users_user.sql: %v", err)
	}
	return c
}

// catalog describes everything in schema that Migrate could change: the
// tables, their columns, indexes and constraints, and the users_user rows.
// Names of the schema itself are replaced by "S" so that two schemas can be
// compared.
func catalog(t *testing.T, c *pgx.Conn, schema string, tables ...string) string {
	t.Helper()
	if len(tables) == 0 {
		tables = nil
	}
	var b strings.Builder
	section := func(title, query string, args ...any) {
		rows, err := c.Query(t.Context(), query, args...)
		if err != nil {
			t.Fatalf("%s: %v", title, err)
		}
		defer rows.Close()
		fmt.Fprintf(&b, "## %s\n", title)
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, strings.ReplaceAll(fmt.Sprint(vals...), schema, "S"))
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", title, err)
		}
	}
	section("tables", `SELECT tablename FROM pg_tables WHERE schemaname = $1
		AND ($2::text[] IS NULL OR tablename = ANY($2)) ORDER BY 1`, schema, tables)
	section("columns", `SELECT table_name, ordinal_position, column_name, data_type, character_maximum_length,
			is_nullable, coalesce(column_default, '-'), is_identity, coalesce(collation_name, '-')
		FROM information_schema.columns WHERE table_schema = $1
		AND ($2::text[] IS NULL OR table_name = ANY($2)) ORDER BY table_name, ordinal_position`, schema, tables)
	section("indexes", `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = $1
		AND ($2::text[] IS NULL OR tablename = ANY($2)) ORDER BY 1, 2`, schema, tables)
	section("constraints", `SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)
		FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND ($2::text[] IS NULL OR c.relname = ANY($2)) ORDER BY 1, 2`, schema, tables)
	section("users_user rows", `SELECT u::text FROM users_user u ORDER BY id`)
	return b.String()
}

// tableNames lists the tables of schema, sorted.
func tableNames(t *testing.T, c *pgx.Conn, schema string) []string {
	t.Helper()
	rows, _ := c.Query(t.Context(), `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, schema)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// A user row as Django's ORM inserts it (User.objects.create_user).
const djangoUserID = "5b0c1a9e-7d4f-4c1b-9e2a-3f6d8c7b1a20"

const djangoHash = "pbkdf2_sha256$870000$Xk3pQz9LmW2vRt7YbN4cDe$j6y4eqC2KviySWlf3gPCN7N2f0GhY+tV0wCbZ8I5Tu0="

func insertDjangoUser(t *testing.T, c *pgx.Conn) {
	t.Helper()
	_, err := c.Exec(t.Context(), `INSERT INTO "users_user" ("id", "password", "last_login", "is_superuser", "username",
			"first_name", "last_name", "email", "is_staff", "is_active", "date_joined", "dt_first_login")
		VALUES ($1::uuid, $2, NULL, false, 'ivan.petrov', 'Иван', 'Петров', 'Ivan.Petrov@Example.com', true, true,
			'2024-10-05T03:25:17.123456+03:00'::timestamptz, NULL)`, djangoUserID, djangoHash)
	if err != nil {
		t.Fatalf("insert a Django user: %v", err)
	}
	_, err = c.Exec(t.Context(), `INSERT INTO "users_user_groups" ("user_id", "group_id")
		SELECT $1::uuid, "id" FROM "auth_group" WHERE "name" = 'editors'`, djangoUserID)
	if err != nil {
		t.Fatalf("add the Django user to a group: %v", err)
	}
}

func TestMigrate_BazisTable(t *testing.T) {
	url, schema := newSchema(t)
	admin := loadFixture(t, url, schema)
	insertDjangoUser(t, admin)
	djangoTables := tableNames(t, admin, schema)
	before := catalog(t, admin, schema, djangoTables...)

	db := open(t, url, schema, postgres.Options{})
	for i := range 2 {
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate #%d on the Django table: %v", i+1, err)
		}
	}
	if after := catalog(t, admin, schema, djangoTables...); after != before {
		t.Fatalf("Migrate changed a table it did not create.\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// Beside them, only authing's own tables (account links).
	wantTables := append(slices.Clone(djangoTables), "authing_migrations", "authing_user_link")
	slices.Sort(wantTables)
	if got := tableNames(t, admin, schema); !slices.Equal(got, wantTables) {
		t.Errorf("tables after Migrate = %q, want %q", got, wantTables)
	}

	want := authing.User{
		ID:           djangoUserID,
		Username:     "ivan.petrov",
		Email:        "Ivan.Petrov@Example.com",
		FirstName:    "Иван",
		LastName:     "Петров",
		PasswordHash: djangoHash,
		IsActive:     true,
		IsStaff:      true,
		DateJoined:   time.Date(2024, 10, 5, 0, 25, 17, 123456000, time.UTC),
	}
	for _, look := range []struct {
		name string
		fn   func() (authing.User, error)
	}{
		{"UserByUsername", func() (authing.User, error) { return db.UserByUsername(t.Context(), "ivan.petrov") }},
		{"UserByID", func() (authing.User, error) { return db.UserByID(t.Context(), strings.ToUpper(djangoUserID)) }},
		{"UserByEmail", func() (authing.User, error) { return db.UserByEmail(t.Context(), "ivan.petrov@example.com") }},
	} {
		got, err := look.fn()
		if err != nil {
			t.Fatalf("%s of the Django user: %v", look.name, err)
		}
		if !got.DateJoined.Equal(want.DateJoined) || got.DateJoined.Location() != time.UTC {
			t.Errorf("%s: DateJoined = %v, want %v", look.name, got.DateJoined, want.DateJoined)
		}
		got.DateJoined = want.DateJoined
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s of the Django user:\n got %+v\nwant %+v", look.name, got, want)
		}
	}

	// authing writes what Django would: a login, a new user that Django's
	// tables (the group m2m) accept, a duplicate refused by Django's
	// unique constraint.
	at := time.Date(2025, 1, 2, 3, 4, 5, 678901000, time.UTC)
	if err := db.RecordLogin(t.Context(), djangoUserID, at); err != nil {
		t.Fatalf("RecordLogin on the Django table: %v", err)
	}
	var lastLogin, firstLogin time.Time
	if err := admin.QueryRow(t.Context(), `SELECT last_login, dt_first_login FROM users_user WHERE id = $1`, djangoUserID).
		Scan(&lastLogin, &firstLogin); err != nil {
		t.Fatal(err)
	}
	if !lastLogin.Equal(at) || !firstLogin.Equal(at) {
		t.Errorf("after RecordLogin the row has last_login %v, dt_first_login %v; want %v", lastLogin, firstLogin, at)
	}
	nu, err := db.CreateUser(t.Context(), authing.NewUser{Username: "new.user", Email: "new@example.com", PasswordHash: "!unusable", IsActive: true})
	if err != nil {
		t.Fatalf("CreateUser on the Django table: %v", err)
	}
	if _, err := admin.Exec(t.Context(), `INSERT INTO users_user_groups (user_id, group_id) SELECT $1, id FROM auth_group`, nu.ID); err != nil {
		t.Errorf("Django's m2m table refuses the user authing created: %v", err)
	}
	if _, err := db.CreateUser(t.Context(), authing.NewUser{Username: "ivan.petrov"}); !errors.Is(err, authing.ErrUserExists) {
		t.Errorf("CreateUser of the Django user's username: %v; want ErrUserExists", err)
	}
}

func TestMigrate_BazisTableIncompatible(t *testing.T) {
	for _, tc := range []struct {
		name  string
		alter string
		want  []string
	}{
		{
			name:  "MissingColumns",
			alter: `ALTER TABLE users_user DROP COLUMN dt_first_login; ALTER TABLE users_user DROP COLUMN email`,
			want:  []string{"missing column email", "missing column dt_first_login"},
		},
		{
			name:  "WrongTypes",
			alter: `ALTER TABLE users_user ALTER COLUMN is_staff TYPE integer USING is_staff::int; ALTER TABLE users_user ALTER COLUMN last_login TYPE timestamp without time zone`,
			want:  []string{"column is_staff is integer, want boolean", "column last_login is timestamp without time zone"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, schema := newSchema(t)
			admin := loadFixture(t, url, schema)
			if _, err := admin.Exec(t.Context(), tc.alter); err != nil {
				t.Fatal(err)
			}
			before := catalog(t, admin, schema)
			err := open(t, url, schema, postgres.Options{}).Migrate(t.Context())
			var se *postgres.SchemaError
			if !errors.As(err, &se) {
				t.Fatalf("Migrate = %v; want a *SchemaError", err)
			}
			if se.Table != schema+".users_user" && se.Table != `"`+schema+`"."users_user"` {
				t.Errorf("SchemaError.Table = %q", se.Table)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if len(se.Problems) != len(tc.want) {
				t.Errorf("Problems = %q, want %d entries", se.Problems, len(tc.want))
			}
			if errors.Is(err, authing.ErrUnavailable) {
				t.Errorf("an incompatible table is not a service outage: %v", err)
			}
			if after := catalog(t, admin, schema); after != before {
				t.Errorf("a failed Migrate changed the database.\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func TestMigrate_BazisExtraNotNullColumn(t *testing.T) {
	// bazis-users ≥ 2.7 with its language mixin: a NOT NULL column that
	// Django adds with a default and then drops the database default.
	url, schema := newSchema(t)
	admin := loadFixture(t, url, schema)
	insertDjangoUser(t, admin) // before the column: Django fills existing rows with the default
	if _, err := admin.Exec(t.Context(), `ALTER TABLE "users_user" ADD COLUMN "language" varchar(15) DEFAULT 'en' NOT NULL;
		ALTER TABLE "users_user" ALTER COLUMN "language" DROP DEFAULT`); err != nil {
		t.Fatal(err)
	}
	db := open(t, url, schema, postgres.Options{})
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if _, err := db.UserByUsername(t.Context(), "ivan.petrov"); err != nil {
		t.Errorf("UserByUsername: %v", err)
	}
	_, err := db.CreateUser(t.Context(), authing.NewUser{Username: "x"})
	if err == nil || !strings.Contains(err.Error(), `"language"`) || errors.Is(err, authing.ErrUnavailable) {
		t.Errorf("CreateUser with an unknown NOT NULL column = %v; want an error naming the column", err)
	}
}

func TestMigrate_CreatesDjangoIdenticalTable(t *testing.T) {
	// The table authing creates is the table Django creates, apart from
	// authing's e-mail index.
	url, django := newSchema(t)
	loadFixture(t, url, django)
	_, own := newSchema(t)
	if err := open(t, url, own, postgres.Options{}).Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	admin := adminConn(t, url, "")
	c1 := adminConn(t, url, django)
	c2 := adminConn(t, url, own)
	want := catalog(t, c1, django, "users_user")
	got := catalog(t, c2, own, "users_user")
	var kept []string
	for line := range strings.Lines(got) {
		if !strings.Contains(line, "users_user_email_lower_authing") {
			kept = append(kept, line)
		}
	}
	if got = strings.Join(kept, ""); got != want {
		t.Errorf("authing's users_user differs from Django's.\ndjango:\n%s\nauthing:\n%s", want, got)
	}
	var tables []string
	rows, _ := admin.Query(t.Context(), `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, own)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tables, []string{"authing_migrations", "authing_user_link", "users_user"}) {
		t.Errorf("tables authing created = %q", tables)
	}
}

func TestMigrate_Idempotent(t *testing.T) {
	url, schema := newSchema(t)
	admin := adminConn(t, url, schema)
	for i := range 3 {
		db := open(t, url, schema, postgres.Options{})
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
		rows, _ := admin.Query(t.Context(), `SELECT version FROM authing_migrations ORDER BY 1`)
		versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(versions, []int32{1, 2}) {
			t.Errorf("applied versions = %v, want [1 2]", versions)
		}
	}
}

func TestMigrate_ConcurrentInstancesCreateSchema(t *testing.T) {
	url := testenv.PostgresURL(t)
	schema := testenv.Unique("Authing T-") // needs quoting; does not exist yet
	t.Cleanup(func() { dropSchema(t, url, schema) })
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			db, err := postgres.Open(t.Context(), url, postgres.Options{Schema: schema})
			if err != nil {
				t.Error(err)
				return
			}
			defer db.Close()
			if err := db.Migrate(t.Context()); err != nil {
				t.Errorf("concurrent Migrate: %v", err)
			}
		})
	}
	wg.Wait()
	db := open(t, url, schema, postgres.Options{})
	u, err := db.CreateUser(t.Context(), authing.NewUser{Username: "x", IsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByID(t.Context(), u.ID); err != nil {
		t.Fatal(err)
	}
}

func TestUserByEmail_OldestDateJoined(t *testing.T) {
	clock := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	db := openMigrated(t, postgres.Options{Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(-time.Hour) // backwards: the last created joined first
		return clock
	}})
	var last authing.User
	for _, name := range []string{"a", "b", "c"} {
		u, err := db.CreateUser(t.Context(), authing.NewUser{Username: name, Email: "Same@Example.com", IsActive: true})
		if err != nil {
			t.Fatal(err)
		}
		last = u
	}
	got, err := db.UserByEmail(t.Context(), "same@EXAMPLE.com")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != last.ID {
		t.Errorf("UserByEmail = %q (joined %v), want %q (joined %v, the oldest)", got.Username, got.DateJoined, last.Username, last.DateJoined)
	}
}

func TestListUsers_CodePointOrder(t *testing.T) {
	db := openMigrated(t, postgres.Options{})
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
		t.Errorf("ListUsers order = %q, want %q (code point order)", got, names)
	}
}

func TestCreateUser_TooLong(t *testing.T) {
	db := openMigrated(t, postgres.Options{})
	_, err := db.CreateUser(t.Context(), authing.NewUser{Username: strings.Repeat("ж", 151), IsActive: true})
	if err == nil || errors.Is(err, authing.ErrUnavailable) || errors.Is(err, authing.ErrUserExists) {
		t.Errorf("CreateUser with a 151-character username = %v; want a plain error", err)
	}
}

func TestPing(t *testing.T) {
	db := openMigrated(t, postgres.Options{})
	if err := db.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestOpen_Options(t *testing.T) {
	const base = "postgres://nobody@127.0.0.1:1/none?sslmode=disable"
	for _, tc := range []struct {
		name          string
		url           string
		opts          postgres.Options
		maxConns      int32
		connect       time.Duration
		healthCheck   time.Duration
		searchPath    string
		noSearchPath  bool
		minConns      int32
		wantOpenError bool
	}{
		{name: "Defaults", url: base, maxConns: int32(max(4, 4*runtime.GOMAXPROCS(0))), connect: 5 * time.Second, healthCheck: 30 * time.Second, noSearchPath: true},
		{name: "URL", url: base + "&pool_max_conns=7&connect_timeout=2&pool_health_check_period=1m&pool_min_conns=2", maxConns: 7, minConns: 2, connect: 2 * time.Second, healthCheck: time.Minute, noSearchPath: true},
		{name: "OptionsWin", url: base + "&pool_max_conns=7&connect_timeout=2", opts: postgres.Options{MaxConns: 3, ConnectTimeout: time.Second, HealthCheckPeriod: time.Second, Schema: `My "Schema"`}, maxConns: 3, connect: time.Second, healthCheck: time.Second, searchPath: `"My ""Schema"""`},
		{name: "MinAboveMax", url: base, opts: postgres.Options{MaxConns: 2, MinConns: 3}, wantOpenError: true},
		{name: "BadURL", url: "postgres://a@b:notaport/x", wantOpenError: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := postgres.Open(t.Context(), tc.url, tc.opts)
			if tc.wantOpenError {
				if err == nil {
					db.Close()
					t.Fatal("Open succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Open (which must not connect): %v", err)
			}
			defer db.Close()
			cfg := postgres.PoolConfig(db)
			if cfg.MaxConns != tc.maxConns || cfg.MinConns != tc.minConns {
				t.Errorf("MaxConns, MinConns = %d, %d; want %d, %d", cfg.MaxConns, cfg.MinConns, tc.maxConns, tc.minConns)
			}
			if cfg.ConnConfig.ConnectTimeout != tc.connect {
				t.Errorf("ConnectTimeout = %v, want %v", cfg.ConnConfig.ConnectTimeout, tc.connect)
			}
			if cfg.HealthCheckPeriod != tc.healthCheck {
				t.Errorf("HealthCheckPeriod = %v, want %v", cfg.HealthCheckPeriod, tc.healthCheck)
			}
			sp, ok := cfg.ConnConfig.RuntimeParams["search_path"]
			if ok == tc.noSearchPath || sp != tc.searchPath {
				t.Errorf("search_path = %q (set %v), want %q", sp, ok, tc.searchPath)
			}
			if cfg.ConnConfig.RuntimeParams["application_name"] != "authing" {
				t.Errorf("application_name = %q", cfg.ConnConfig.RuntimeParams["application_name"])
			}
		})
	}
}

// silentServer accepts TCP connections and never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func TestUnavailable(t *testing.T) {
	// A hang guard, not a performance target: with the default options an
	// operation on a dead server must end with ErrUnavailable, and well
	// before this.
	const bound = 10 * time.Second
	servers := []struct{ name, url string }{
		{"Silent", "postgres://authing@" + silentServer(t) + "/authing"},                      // sslmode=prefer: waits in the TLS request
		{"SilentNoTLS", "postgres://authing@" + silentServer(t) + "/authing?sslmode=disable"}, // waits in start-up
		{"Refused", "postgres://authing@127.0.0.1:1/authing?sslmode=disable"},
	}
	ops := []struct {
		name string
		fn   func(ctx context.Context, db *postgres.DB) error
	}{
		{"UserByUsername", func(ctx context.Context, db *postgres.DB) error { _, err := db.UserByUsername(ctx, "x"); return err }},
		{"CreateUser", func(ctx context.Context, db *postgres.DB) error {
			_, err := db.CreateUser(ctx, authing.NewUser{Username: "x"})
			return err
		}},
		{"RecordLogin", func(ctx context.Context, db *postgres.DB) error {
			return db.RecordLogin(ctx, "0f8e2a3c-4b5d-4e6f-8a9b-0c1d2e3f4a5b", time.Now())
		}},
		{"Ping", func(ctx context.Context, db *postgres.DB) error { return db.Ping(ctx) }},
		{"Migrate", func(ctx context.Context, db *postgres.DB) error { return db.Migrate(ctx) }},
	}
	// All cases run at once (not as parallel subtests, which -parallel
	// would batch by GOMAXPROCS): each waits for a timeout.
	var wg sync.WaitGroup
	for _, srv := range servers {
		for _, op := range ops {
			wg.Go(func() {
				name := srv.name + "/" + op.name
				db, err := postgres.Open(t.Context(), srv.url, postgres.Options{})
				if err != nil {
					t.Errorf("%s: Open must not need the server: %v", name, err)
					return
				}
				defer db.Close()
				start := time.Now()
				err = op.fn(t.Context(), db)
				if elapsed := time.Since(start); elapsed > bound {
					t.Errorf("%s took %v (bound %v)", name, elapsed, bound)
				}
				if !errors.Is(err, authing.ErrUnavailable) {
					t.Errorf("%s = %v; want an error matching authing.ErrUnavailable", name, err)
				}
			})
		}
	}
	cancelURL := "postgres://authing@" + silentServer(t) + "/authing?sslmode=disable"
	wg.Go(func() {
		db, err := postgres.Open(t.Context(), cancelURL, postgres.Options{})
		if err != nil {
			t.Error(err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		_, err = db.UserByUsername(ctx, "x")
		if !errors.Is(err, context.Canceled) || errors.Is(err, authing.ErrUnavailable) {
			t.Errorf("UserByUsername cancelled by its caller = %v; want context.Canceled, not ErrUnavailable", err)
		}
	})
	wg.Wait()
}

func BenchmarkUserByUsername(b *testing.B) {
	db := openMigrated(b, postgres.Options{})
	for i := range 1000 {
		if _, err := db.CreateUser(b.Context(), authing.NewUser{Username: fmt.Sprintf("user%04d", i), IsActive: true}); err != nil {
			b.Fatal(err)
		}
	}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.UserByUsername(ctx, "user0500"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUserByUsername_Parallel(b *testing.B) {
	db := openMigrated(b, postgres.Options{})
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
