package authingtest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"authing.dev/authing"
)

// LinkedUsers is a user directory that keeps account links: (issuer,
// subject) of an OpenID Connect provider → user id. It is the Links
// interface of method/oidc (declared there by its consumer) on top of
// authing.UserDirectory; the SQLite and PostgreSQL user databases implement
// it.
type LinkedUsers interface {
	authing.UserDirectory
	// UserByLink returns the user linked to the subject of the issuer, or an
	// error matching authing.ErrUserNotFound when there is no link or the
	// linked user no longer exists.
	UserByLink(ctx context.Context, issuer, subject string) (authing.User, error)
	// Link links the subject of the issuer to the user with this id unless
	// the pair is linked already, and returns the id the pair is linked to.
	// An unknown userID gives an error matching authing.ErrUserNotFound.
	Link(ctx context.Context, issuer, subject, userID string) (linkedTo string, err error)
}

// TestLinks is the conformance suite of account links (method/oidc.Links).
// newDir follows the rules of TestUsers: a fresh, empty directory per call,
// usable until t's cleanup. What it holds a backend to:
//
//   - a link is found again with the whole user, active or not;
//   - issuers and subjects compare exactly (case-sensitively), Unicode and
//     255-character subjects included;
//   - Link is idempotent, never moves an existing link to another user, and
//     of concurrent Links of one pair to different users exactly one wins:
//     every call reports the winner;
//   - a user may have several links (several providers or subjects);
//   - an unknown or malformed user id, an unknown pair and empty strings give
//     errors matching authing.ErrUserNotFound, never another error.
func TestLinks(t *testing.T, newDir func(t *testing.T) LinkedUsers) {
	tests := []struct {
		name string
		fn   func(t *testing.T, d LinkedUsers)
	}{
		{"LinkAndFind", testLinkAndFind},
		{"NotFound", testLinkNotFound},
		{"Idempotent", testLinkIdempotent},
		{"NeverMoves", testLinkNeverMoves},
		{"ExactKeys", testLinkExactKeys},
		{"SeveralLinksPerUser", testSeveralLinks},
		{"UnknownUser", testLinkUnknownUser},
		{"InactiveUser", testLinkInactive},
		{"ConcurrentLink", testConcurrentLink},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newDir(t))
		})
	}
}

const (
	issuerA = "https://accounts.example.com"
	issuerB = "https://login.example.org/tenant/v2.0"
)

func mustLink(t *testing.T, d LinkedUsers, issuer, subject, id string) {
	t.Helper()
	got, err := d.Link(t.Context(), issuer, subject, id)
	if err != nil {
		t.Fatalf("Link(%q, %q, %s): %v", issuer, subject, id, err)
	}
	if got != id {
		t.Fatalf("Link(%q, %q, %s) = %s, want the given id (the pair was not linked)", issuer, subject, id, got)
	}
}

func wantLinked(t *testing.T, d LinkedUsers, issuer, subject string, want authing.User) {
	t.Helper()
	got, err := d.UserByLink(t.Context(), issuer, subject)
	if err != nil {
		t.Fatalf("UserByLink(%q, %q): %v; want %s", issuer, subject, err, want.Username)
	}
	checkUser(t, "UserByLink", got, want)
}

func wantNoLink(t *testing.T, d LinkedUsers, issuer, subject string) {
	t.Helper()
	if u, err := d.UserByLink(t.Context(), issuer, subject); !errors.Is(err, authing.ErrUserNotFound) {
		t.Errorf("UserByLink(%q, %q) = %+v, %v; want ErrUserNotFound", issuer, subject, u, err)
	}
}

func testLinkAndFind(t *testing.T, d LinkedUsers) {
	u := mustCreate(t, d, authing.NewUser{Username: "linked", Email: "Linked@Example.com", FirstName: "Lin",
		LastName: "Ked", PasswordHash: unusableHash, IsActive: true, IsStaff: true})
	mustLink(t, d, issuerA, "1001", u.ID)
	wantLinked(t, d, issuerA, "1001", u)
	// A login recorded later is seen through the link.
	if err := d.RecordLogin(t.Context(), u.ID, u.DateJoined); err != nil {
		t.Fatal(err)
	}
	got, err := d.UserByLink(t.Context(), issuerA, "1001")
	if err != nil || got.LastLogin == nil {
		t.Errorf("UserByLink after RecordLogin = %+v, %v; want the current row", got, err)
	}
}

func testLinkNotFound(t *testing.T, d LinkedUsers) {
	u := mustCreate(t, d, authing.NewUser{Username: "someone", IsActive: true})
	mustLink(t, d, issuerA, "1001", u.ID)
	for _, k := range [][2]string{{issuerA, "1002"}, {issuerB, "1001"}, {issuerA, ""}, {"", "1001"}, {"", ""},
		{issuerA + "/", "1001"}, {issuerA, "1001 "}, {issuerA, "' OR '1'='1"}} {
		wantNoLink(t, d, k[0], k[1])
	}
}

func testLinkIdempotent(t *testing.T, d LinkedUsers) {
	u := mustCreate(t, d, authing.NewUser{Username: "again", IsActive: true})
	for range 3 {
		mustLink(t, d, issuerA, "sub-1", u.ID)
	}
	wantLinked(t, d, issuerA, "sub-1", u)
}

func testLinkNeverMoves(t *testing.T, d LinkedUsers) {
	first := mustCreate(t, d, authing.NewUser{Username: "first", IsActive: true})
	second := mustCreate(t, d, authing.NewUser{Username: "second", IsActive: true})
	mustLink(t, d, issuerA, "sub-1", first.ID)
	got, err := d.Link(t.Context(), issuerA, "sub-1", second.ID)
	if err != nil {
		t.Fatalf("Link of a linked pair to another user: %v; want no error and the first user's id", err)
	}
	if got != first.ID {
		t.Errorf("Link of a linked pair to another user = %s, want the first user %s", got, first.ID)
	}
	wantLinked(t, d, issuerA, "sub-1", first)
}

func testLinkExactKeys(t *testing.T, d LinkedUsers) {
	ctx := t.Context()
	users := make([]authing.User, 0, 6)
	keys := [][2]string{
		{issuerA, "abc"}, {issuerA, "ABC"}, {strings.ToUpper(issuerA), "abc"},
		{issuerA, "ユーザー-ü"}, {issuerB, strings.Repeat("s", 255)}, {issuerB, "a|b"},
	}
	for i, k := range keys {
		u := mustCreate(t, d, authing.NewUser{Username: "exact" + string(rune('a'+i)), IsActive: true})
		mustLink(t, d, k[0], k[1], u.ID)
		users = append(users, u)
	}
	for i, k := range keys {
		wantLinked(t, d, k[0], k[1], users[i])
	}
	// "a|b" must not be confused with issuer+"|a", subject "b" or the like.
	wantNoLink(t, d, issuerB+"|a", "b")
	// Some databases refuse a NUL byte in text; whatever the error, it must
	// not match "abc".
	if u, err := d.UserByLink(ctx, issuerA, "abc\x00"); err == nil {
		t.Errorf("UserByLink(%q, %q) = %s; want no match", issuerA, "abc\x00", u.Username)
	}
}

func testSeveralLinks(t *testing.T, d LinkedUsers) {
	u := mustCreate(t, d, authing.NewUser{Username: "multi", IsActive: true})
	mustLink(t, d, issuerA, "1", u.ID)
	mustLink(t, d, issuerA, "2", u.ID)
	mustLink(t, d, issuerB, "1", u.ID)
	for _, k := range [][2]string{{issuerA, "1"}, {issuerA, "2"}, {issuerB, "1"}} {
		wantLinked(t, d, k[0], k[1], u)
	}
}

func testLinkUnknownUser(t *testing.T, d LinkedUsers) {
	ctx := t.Context()
	const unknownID = "0f8e2a3c-4b5d-4e6f-8a9b-0c1d2e3f4a5b"
	for _, id := range []string{unknownID, "", "not-a-uuid"} {
		if got, err := d.Link(ctx, issuerA, "sub-"+id, id); !errors.Is(err, authing.ErrUserNotFound) {
			t.Errorf("Link to user %q = %q, %v; want ErrUserNotFound", id, got, err)
		}
		wantNoLink(t, d, issuerA, "sub-"+id)
	}
}

func testLinkInactive(t *testing.T, d LinkedUsers) {
	u := mustCreate(t, d, authing.NewUser{Username: "sleeper", IsActive: true})
	mustLink(t, d, issuerA, "z", u.ID)
	if err := d.SetActive(t.Context(), u.ID, false); err != nil {
		t.Fatal(err)
	}
	u.IsActive = false
	wantLinked(t, d, issuerA, "z", u) // the caller refuses inactive users, not the link
}

func testConcurrentLink(t *testing.T, d LinkedUsers) {
	const n = 8
	users := make([]authing.User, n)
	for i := range users {
		users[i] = mustCreate(t, d, authing.NewUser{Username: "racer" + string(rune('a'+i)), IsActive: true})
	}
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			got[i], errs[i] = d.Link(context.Background(), issuerA, "contested", users[i].ID)
		})
	}
	close(start)
	wg.Wait()
	winner := ""
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("concurrent Link #%d: %v", i, errs[i])
		}
		if winner == "" {
			winner = got[i]
		}
		if got[i] != winner {
			t.Fatalf("concurrent Links report different owners: %v", got)
		}
	}
	var owner authing.User
	for _, u := range users {
		if u.ID == winner {
			owner = u
		}
	}
	if owner.ID == "" {
		t.Fatalf("the winner %s is none of the racing users", winner)
	}
	wantLinked(t, d, issuerA, "contested", owner)
}

// LinkingUsers is an in-memory LinkedUsers: Users plus account links. The
// zero value is ready to use; it is safe for concurrent use.
type LinkingUsers struct {
	Users
	lmu   sync.Mutex
	links map[[2]string]string
}

var _ LinkedUsers = (*LinkingUsers)(nil)

// UserByLink implements LinkedUsers.
func (f *LinkingUsers) UserByLink(ctx context.Context, issuer, subject string) (authing.User, error) {
	f.lmu.Lock()
	id, ok := f.links[[2]string{issuer, subject}]
	f.lmu.Unlock()
	if !ok {
		return authing.User{}, authing.ErrUserNotFound
	}
	return f.UserByID(ctx, id)
}

// Link implements LinkedUsers.
func (f *LinkingUsers) Link(ctx context.Context, issuer, subject, userID string) (string, error) {
	if _, err := f.UserByID(ctx, userID); err != nil {
		return "", err
	}
	f.lmu.Lock()
	defer f.lmu.Unlock()
	k := [2]string{issuer, subject}
	if id, ok := f.links[k]; ok {
		if _, err := f.UserByID(ctx, id); err == nil {
			return id, nil
		}
	}
	if f.links == nil {
		f.links = map[[2]string]string{}
	}
	f.links[k] = userID
	return userID, nil
}
