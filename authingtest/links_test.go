package authingtest_test

import (
	"testing"

	"authing.dev/authing/authingtest"
)

func TestLinkingUsers(t *testing.T) {
	authingtest.TestLinks(t, func(t *testing.T) authingtest.LinkedUsers { return &authingtest.LinkingUsers{} })
}
