// Package testenv gives tests the real servers of the machine: PostgreSQL and
// Redis, named by environment variables. When a server is absent a test is
// skipped with a message on a developer's machine and fails when CI is set, so
// that CI never passes by skipping.
//
//	AUTHING_TEST_POSTGRES  default postgres://postgres@127.0.0.1:5432/test?sslmode=disable
//	AUTHING_TEST_REDIS     default redis://127.0.0.1:6379/0
//
// Set a variable to "off" to skip those tests deliberately (not allowed in CI).
package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"testing"
	"time"
)

// PostgresURL returns the URL of the test PostgreSQL server, or skips (fails
// in CI) when it is unreachable.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return serverURL(t, "AUTHING_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
}

// RedisURL returns the URL of the test Redis server, or skips (fails in CI)
// when it is unreachable.
func RedisURL(t testing.TB) string {
	t.Helper()
	return serverURL(t, "AUTHING_TEST_REDIS", "redis://127.0.0.1:6379/0")
}

// CI reports whether the tests run in CI (CI is set and not "false").
func CI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

// Unique returns a short random name with the given prefix, for a schema,
// database or key prefix of one test.
func Unique(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func serverURL(t testing.TB, env, def string) string {
	t.Helper()
	raw := os.Getenv(env)
	if raw == "off" {
		if CI() {
			t.Fatalf("%s=off is not allowed when CI is set", env)
		}
		t.Skipf("%s=off: skipping a test that needs this server", env)
	}
	if raw == "" {
		raw = def
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	host := u.Host
	if u.Port() == "" {
		switch u.Scheme {
		case "redis", "rediss":
			host = net.JoinHostPort(u.Hostname(), "6379")
		default:
			host = net.JoinHostPort(u.Hostname(), "5432")
		}
	}
	c, err := net.DialTimeout("tcp", host, 2*time.Second)
	if err != nil {
		if CI() {
			t.Fatalf("%s: %s is not reachable (%v); CI must start it (see .ci/run)", env, host, err)
		}
		t.Skipf("%s: %s is not reachable (%v); set %s to run this test", env, host, err, env)
	}
	c.Close()
	return raw
}
