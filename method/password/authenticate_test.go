package password_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/hashers"
	"authing.dev/authing/method/password"
)

// countingHasher records which work each attempt did.
type countingHasher struct {
	password.Hasher
	mu             sync.Mutex
	verify, dummy  int
	encodedChecked []string
}

func (c *countingHasher) Verify(pw, encoded string) (bool, bool, error) {
	c.mu.Lock()
	c.verify++
	c.encodedChecked = append(c.encodedChecked, encoded)
	c.mu.Unlock()
	return c.Hasher.Verify(pw, encoded)
}

func (c *countingHasher) VerifyDummy(pw string) {
	c.mu.Lock()
	c.dummy++
	c.mu.Unlock()
	c.Hasher.VerifyDummy(pw)
}

func (c *countingHasher) work() (verify, dummy int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, d := c.verify, c.dummy
	c.verify, c.dummy = 0, 0
	return v, d
}

func newUser(t *testing.T, users *authingtest.Users, name, hash string, active bool) authing.User {
	t.Helper()
	u, err := users.CreateUser(context.Background(), authing.NewUser{Username: name, PasswordHash: hash, IsActive: active})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Every failure does exactly one password verification (a real one or the
// dummy), so that none can be told apart by the work done.
func TestAuthenticate_ConstantWork(t *testing.T) {
	set := hashers.NewSet(hashers.PBKDF2SHA256{Iterations: 1000})
	h := &countingHasher{Hasher: set}
	users := &authingtest.Users{}
	good, _ := set.Encode("right")
	newUser(t, users, "active", good, true)
	newUser(t, users, "inactive", good, false)
	newUser(t, users, "google", "!unusable-password-of-a-google-user", true)
	var logs bytes.Buffer
	m := password.New(users, password.Options{Hasher: h, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	newUser(t, users, "broken", "pbkdf2_sha256$x$y", true)

	cases := []struct {
		name, username, pw string
		ok                 bool
		verify, dummy      int
	}{
		{"right password", "active", "right", true, 1, 0},
		{"wrong password", "active", "wrong", false, 1, 0},
		{"inactive user, right password", "inactive", "right", false, 1, 0},
		{"unknown user", "nobody", "right", false, 0, 1},
		{"username is case-sensitive", "Active", "right", false, 0, 1},
		{"unusable password", "google", "right", false, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, ok, err := m.Authenticate(context.Background(), "192.0.2.1", c.username, c.pw)
			if err != nil || ok != c.ok {
				t.Fatalf("ok=%v err=%v, want ok=%v", ok, err, c.ok)
			}
			if v, d := h.work(); v != c.verify || d != c.dummy {
				t.Fatalf("work: %d verifications and %d dummies, want %d and %d", v, d, c.verify, c.dummy)
			}
		})
	}
	t.Run("malformed stored hash", func(t *testing.T) {
		_, ok, err := m.Authenticate(context.Background(), "192.0.2.1", "broken", "x")
		if ok || err != nil {
			t.Fatalf("ok=%v err=%v", ok, err)
		}
		if v, d := h.work(); v != 1 || d != 0 {
			// Set.Verify does the dummy work itself for a malformed hash
			t.Fatalf("work: %d verifications, %d dummies", v, d)
		}
		if !strings.Contains(logs.String(), "unusable stored hash") || strings.Contains(logs.String(), "pbkdf2_sha256$x$y") {
			t.Fatalf("the operator log must name the problem, not the hash: %s", logs.String())
		}
	})
}

// A Django hash copied from a Bazis database signs in, and is upgraded to
// the preferred hasher afterwards (unless KeepHashes).
func TestAuthenticate_DjangoHashAndUpgrade(t *testing.T) {
	const django = "pbkdf2_sha256$1000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=" // lètmein
	for _, keep := range []bool{false, true} {
		users := &authingtest.Users{}
		u := newUser(t, users, "old", django, true)
		m := password.New(users, password.Options{Hasher: hashers.Default(), KeepHashes: keep})
		if _, ok, err := m.Authenticate(context.Background(), "", "old", "lètmein"); !ok || err != nil {
			t.Fatalf("the Django hash does not sign in: %v %v", ok, err)
		}
		after, _ := users.UserByID(context.Background(), u.ID)
		switch {
		case keep && after.PasswordHash != django:
			t.Fatalf("KeepHashes rewrote the hash: %s", after.PasswordHash)
		case !keep && !strings.HasPrefix(after.PasswordHash, "argon2$argon2id$"):
			t.Fatalf("the hash was not upgraded to argon2id: %s", after.PasswordHash)
		}
		if _, ok, _ := m.Authenticate(context.Background(), "", "old", "lètmein"); !ok {
			t.Fatal("the upgraded hash does not verify")
		}
		if _, ok, _ := m.Authenticate(context.Background(), "", "old", "letmein"); ok {
			t.Fatal("a wrong password signs in")
		}
	}
}
