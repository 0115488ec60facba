package sqlite_test

import (
	"testing"

	"authing.dev/authing/authingtest"
	"authing.dev/authing/userdb/sqlite"
)

func TestLinks(t *testing.T) {
	authingtest.TestLinks(t, func(t *testing.T) authingtest.LinkedUsers {
		return open(t, sqlite.Options{})
	})
}
