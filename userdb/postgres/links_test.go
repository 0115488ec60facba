package postgres_test

import (
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
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
