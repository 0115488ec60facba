package throttletest

import (
	"testing"
	"time"

	"authing.dev/authing"
)

// NewRevocations returns fresh, empty Revocations on the given clock.
type NewRevocations func(t *testing.T, now func() time.Time) authing.Revocations

// TestRevocations is the conformance suite of authing.Revocations.
func TestRevocations(t *testing.T, newRevocations NewRevocations) {
	check := func(t *testing.T, r authing.Revocations, user, id string) (time.Time, bool) {
		t.Helper()
		at, revoked, err := r.Check(ctx, user, id)
		if err != nil {
			t.Fatalf("Check(%q, %q): %v", user, id, err)
		}
		return at, revoked
	}
	t.Run("Empty", func(t *testing.T) {
		r := newRevocations(t, NewClock().Now)
		if at, revoked := check(t, r, "alice", "s1"); !at.IsZero() || revoked {
			t.Fatalf("nothing revoked yet: %v %v", at, revoked)
		}
	})
	t.Run("Session", func(t *testing.T) {
		clock := NewClock()
		r := newRevocations(t, clock.Now)
		if err := r.RevokeSession(ctx, "alice", "s1", clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, revoked := check(t, r, "alice", "s1"); !revoked {
			t.Fatal("the revoked session is not revoked")
		}
		if at, revoked := check(t, r, "alice", "s2"); revoked || !at.IsZero() {
			t.Fatal("another session of the user is revoked")
		}
		if _, revoked := check(t, r, "bob", "s1"); revoked {
			t.Fatal("the same id of another user is revoked")
		}
		// an expired session needs no revocation
		if err := r.RevokeSession(ctx, "alice", "old", clock.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, revoked := check(t, r, "alice", "old"); revoked {
			t.Fatal("an already expired session was recorded")
		}
		// after its expiry the revocation is gone (the token is dead anyway)
		clock.Advance(time.Hour)
		if _, revoked := check(t, r, "alice", "s1"); revoked {
			t.Fatal("a revocation outlived the session's expiry")
		}
	})
	t.Run("User", func(t *testing.T) {
		clock := NewClock()
		r := newRevocations(t, clock.Now)
		t1 := clock.Now().Add(1500 * time.Millisecond)
		if err := r.RevokeUser(ctx, "alice", t1); err != nil {
			t.Fatal(err)
		}
		at, revoked := check(t, r, "alice", "s1")
		if revoked || at.Unix() != t1.Unix() {
			t.Fatalf("Check = %v, %v; want the revocation second %v", at, revoked, t1.Unix())
		}
		if at, _ := check(t, r, "bob", "s1"); !at.IsZero() {
			t.Fatal("another user is revoked")
		}
		// an earlier time does not undo a later one; a later one wins
		if err := r.RevokeUser(ctx, "alice", t1.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if at, _ := check(t, r, "alice", "s1"); at.Unix() != t1.Unix() {
			t.Fatalf("an earlier revocation replaced a later one: %v", at)
		}
		t2 := t1.Add(time.Hour)
		if err := r.RevokeUser(ctx, "alice", t2); err != nil {
			t.Fatal(err)
		}
		if at, _ := check(t, r, "alice", "s1"); at.Unix() != t2.Unix() {
			t.Fatalf("the later revocation was not kept: %v", at)
		}
	})
}
