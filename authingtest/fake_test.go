package authingtest_test

import (
	"testing"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
)

func TestFakeUsers(t *testing.T) {
	authingtest.TestUsers(t, func(t *testing.T) authing.UserDirectory { return &authingtest.Users{} })
}
