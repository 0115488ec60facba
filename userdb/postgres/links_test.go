package postgres_test

import (
	"context"
	neturl "net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/internal/testenv"
	"authing.dev/authing/userdb/postgres"
)

func TestLinks(t *testing.T) {
	authingtest.TestLinks(t, func(t *testing.T) authingtest.LinkedUsers {
		return openMigrated(t, postgres.Options{})
	})
}

// On a Django users_user, Migrate adds authing's own tables beside it and
// records only their migrations; links then work with Django's users, and
// a link whose user was deleted by Django is ignored and replaced.
func TestLinks_BesideDjangoTable(t *testing.T) {
	url, schema := newSchema(t)
	admin := loadFixture(t, url, schema)
	insertDjangoUser(t, admin)
	db := open(t, url, schema, postgres.Options{})
	for range 2 {
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	rows, _ := admin.Query(t.Context(), `SELECT version FROM authing_migrations ORDER BY 1`)
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(versions, []int32{2}) {
		t.Errorf("migrations recorded beside a Django users_user = %v, want [2] (authing's own tables only)", versions)
	}
	const iss = "https://accounts.google.com"
	if got, err := db.Link(t.Context(), iss, "1001", djangoUserID); err != nil || got != djangoUserID {
		t.Fatalf("Link to the Django user = %q, %v", got, err)
	}
	u, err := db.UserByLink(t.Context(), iss, "1001")
	if err != nil || u.Username != "ivan.petrov" {
		t.Fatalf("UserByLink = %+v, %v; want ivan.petrov", u, err)
	}
	// Django deletes the user (no foreign key stops it or cascades).
	for _, q := range []string{`DELETE FROM users_user_groups WHERE user_id = $1`, `DELETE FROM users_user WHERE id = $1`} {
		if _, err := admin.Exec(t.Context(), q, djangoUserID); err != nil {
			t.Fatalf("Django deletes its user: %v", err)
		}
	}
	if _, err := db.UserByLink(t.Context(), iss, "1001"); err == nil {
		t.Errorf("UserByLink of a deleted user succeeded")
	}
	nu, err := db.CreateUser(t.Context(), authing.NewUser{Username: "1001", IsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.Link(t.Context(), iss, "1001", nu.ID); err != nil || got != nu.ID {
		t.Errorf("Link over a link to a deleted user = %q, %v; want the new user %s", got, err, nu.ID)
	}
}

// A role that may use Django's users_user but not create tables in its
// schema: Migrate fails with a hint and changes nothing.
func TestLinks_BesideDjangoTableWithoutCreatePrivilege(t *testing.T) {
	url, schema := newSchema(t)
	admin := loadFixture(t, url, schema)
	role := testenv.Unique("authing_r_")
	sch := pgx.Identifier{schema}.Sanitize()
	for _, q := range []string{
		"CREATE ROLE " + role + " LOGIN PASSWORD 'pw'",
		"GRANT USAGE ON SCHEMA " + sch + " TO " + role,
		"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA " + sch + " TO " + role,
	} {
		if _, err := admin.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Errorf("drop role %s: %v", role, err)
			return
		}
		defer c.Close(context.Background())
		dropSchema(t, url, schema) // before the role: it may own nothing then
		c.Exec(context.Background(), "DROP OWNED BY "+role)
		c.Exec(context.Background(), "DROP ROLE "+role)
	})
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	u.User = neturl.UserPassword(role, "pw")
	db := open(t, u.String(), schema, postgres.Options{})
	before := tableNames(t, admin, schema)
	err = db.Migrate(t.Context())
	if err == nil || !strings.Contains(err.Error(), "grant CREATE on the schema") {
		t.Fatalf("Migrate without CREATE = %v; want the hint", err)
	}
	if after := tableNames(t, admin, schema); !slices.Equal(after, before) {
		t.Errorf("tables changed: %q → %q", before, after)
	}
}
