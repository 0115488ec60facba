package authingtest

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"authing.dev/authing"
)

// TestUsers is the conformance suite of authing.UserDirectory. Every user
// database runs it (the SQLite and PostgreSQL backends of this module do);
// a third-party backend runs it from its own test:
//
//	func TestConformance(t *testing.T) {
//		authingtest.TestUsers(t, func(t *testing.T) authing.UserDirectory {
//			db := mybackend.OpenForTest(t) // fresh, empty; closed in t.Cleanup
//			return db
//		})
//	}
//
// newDir is called once per subtest, with that subtest's t. It must return a
// directory that holds no users and shares no users with any other call, and
// that stays usable until t's cleanup runs (register closing and dropping
// with t.Cleanup). Subtests do not run in parallel with each other, but one
// of them uses a directory from several goroutines at once.
//
// What the suite holds a backend to, beyond the interface documentation:
//
//   - CreateUser returns the user as a look-up will read it back: ID a
//     canonical lowercase version 4 UUID, DateJoined about now, LastLogin and
//     FirstLogin nil;
//   - every time.Time returned is in UTC and keeps at least millisecond
//     precision;
//   - usernames and names are stored exactly (Unicode included), usernames
//     compare case-sensitively;
//   - look-ups by an unknown key, including an id that is not a UUID and an
//     empty email, give an error matching authing.ErrUserNotFound, and so do
//     RecordLogin, SetPasswordHash and SetActive on an unknown id;
//   - concurrent writes (RecordLogin, CreateUser) succeed or fail cleanly,
//     never with a transient "busy" or "locked" error.
func TestUsers(t *testing.T, newDir func(t *testing.T) authing.UserDirectory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, d authing.UserDirectory)
	}{
		{"CreateAndRead", testCreateAndRead},
		{"UsernameCaseSensitive", testUsernameCaseSensitive},
		{"DuplicateUsername", testDuplicateUsername},
		{"NotFound", testNotFound},
		{"UserByEmail", testUserByEmail},
		{"Inactive", testInactive},
		{"RecordLogin", testRecordLogin},
		{"SetPasswordHash", testSetPasswordHash},
		{"ReplacePasswordHash", testReplacePasswordHash},
		{"SetActive", testSetActive},
		{"ListUsers", testListUsers},
		{"Unicode", testUnicode},
		{"TimePrecision", testTimePrecision},
		{"ConcurrentRecordLogin", testConcurrentRecordLogin},
		{"ConcurrentCreate", testConcurrentCreate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newDir(t))
		})
	}
}

// canonicalV4 matches a canonical lowercase version 4 UUID.
var canonicalV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// pbkdf2Hash is a Django pbkdf2_sha256 hash string (of "correct horse").
const pbkdf2Hash = "pbkdf2_sha256$870000$c2FsdHNhbHRzYWx0$2bQ5yYb8z2n1nJ8QO6e0Yl5gq2Vd4p3Z7xXkTq9mW1E="

// unusableHash is a Django unusable password: "!" and 40 random characters.
const unusableHash = "!Zx8bN3qL5vR7tY2wE4uI6oP9aS1dF0gH3jK5lM7"

func testCreateAndRead(t *testing.T, d authing.UserDirectory) {
	ctx := t.Context()
	staffIn := authing.NewUser{
		Username:     "alice",
		Email:        "Alice@Example.com",
		FirstName:    "Alice",
		LastName:     "Liddell",
		PasswordHash: pbkdf2Hash,
		IsActive:     true,
		IsStaff:      true,
		IsSuperuser:  false,
	}
	rootIn := authing.NewUser{
		Username:     "root",
		PasswordHash: unusableHash,
		IsActive:     false,
		IsStaff:      false,
		IsSuperuser:  true,
	}
	before := time.Now()
	staff := mustCreate(t, d, staffIn)
	root := mustCreate(t, d, rootIn)
	after := time.Now()

	for _, c := range []struct {
		got authing.User
		in  authing.NewUser
	}{{staff, staffIn}, {root, rootIn}} {
		u := c.got
		if !canonicalV4.MatchString(u.ID) {
			t.Errorf("CreateUser(%q): ID = %q, want a canonical lowercase version 4 UUID", c.in.Username, u.ID)
		}
		want := authing.User{
			ID:           u.ID,
			Username:     c.in.Username,
			Email:        c.in.Email,
			FirstName:    c.in.FirstName,
			LastName:     c.in.LastName,
			PasswordHash: c.in.PasswordHash,
			IsActive:     c.in.IsActive,
			IsStaff:      c.in.IsStaff,
			IsSuperuser:  c.in.IsSuperuser,
			DateJoined:   u.DateJoined,
		}
		checkUser(t, "CreateUser result", u, want)
		// A backend may take "now" from its database server, whose clock
		// may be a little off: allow a minute either way.
		if u.DateJoined.Before(before.Add(-time.Minute)) || u.DateJoined.After(after.Add(time.Minute)) {
			t.Errorf("CreateUser(%q): DateJoined = %v, want about now (%v)", c.in.Username, u.DateJoined, before)
		}
		if u.LastLogin != nil || u.FirstLogin != nil {
			t.Errorf("CreateUser(%q): LastLogin = %v, FirstLogin = %v; want both nil", c.in.Username, u.LastLogin, u.FirstLogin)
		}

		byID, err := d.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatalf("UserByID(%q): %v", u.ID, err)
		}
		checkUser(t, "UserByID", byID, u)
		byName, err := d.UserByUsername(ctx, u.Username)
		if err != nil {
			t.Fatalf("UserByUsername(%q): %v", u.Username, err)
		}
		checkUser(t, "UserByUsername", byName, u)
	}
	if staff.ID == root.ID {
		t.Errorf("two users got the same ID %q", staff.ID)
	}
}

func testUsernameCaseSensitive(t *testing.T, d authing.UserDirectory) {
	ctx := t.Context()
	upper := mustCreate(t, d, authing.NewUser{Username: "User1", IsActive: true})
	for _, name := range []string{"user1", "USER1", "User1 ", " User1", "User"} {
		if u, err := d.UserByUsername(ctx, name); !errors.Is(err, authing.ErrUserNotFound) {
			t.Errorf("UserByUsername(%q) with only %q stored = %+v, %v; want ErrUserNotFound", name, "User1", u, err)
		}
	}
	lower, err := d.CreateUser(ctx, authing.NewUser{Username: "user1", IsActive: true})
	if err != nil {
		t.Fatalf("CreateUser(%q) next to %q: %v; usernames must be case-sensitive", "user1", "User1", err)
	}
	for _, want := range []authing.User{upper, lower} {
		got, err := d.UserByUsername(ctx, want.Username)
		if err != nil {
			t.Fatalf("UserByUsername(%q): %v", want.Username, err)
		}
		checkUser(t, "UserByUsername", got, want)
	}
}

func testDuplicateUsername(t *testing.T, d authing.UserDirectory) {
	ctx := t.Context()
	first := mustCreate(t, d, authing.NewUser{Username: "bob", Email: "bob@example.com", PasswordHash: pbkdf2Hash, IsActive: true})
	u, err := d.CreateUser(ctx, authing.NewUser{Username: "bob", Email: "other@example.com", IsActive: false, IsSuperuser: true})
	if !errors.Is(err, authing.ErrUserExists) {
		t.Fatalf("CreateUser of a taken username = %+v, %v; want an error matching ErrUserExists", u, err)
	}
	if errors.Is(err, authing.ErrUnavailable) {
		t.Errorf("CreateUser of a taken username: %v also matches ErrUnavailable", err)
	}
	got, err := d.UserByUsername(ctx, "bob")
	if err != nil {
		t.Fatalf("UserByUsername: %v", err)
	}
	checkUser(t, "the first user after a duplicate CreateUser", got, first)
	assertCount(t, d, 1)
}

func testNotFound(t *testing.T, d authing.UserDirectory) {
	ctx := t.Context()
	u := mustCreate(t, d, authing.NewUser{Username: "carol", Email: "carol@example.com", IsActive: true})
	const unknownID = "0f8e2a3c-4b5d-4e6f-8a9b-0c1d2e3f4a5b"
	for _, id := range []string{unknownID, "", "not-a-uuid", "1", u.ID + "x", "' OR '1'='1"} {
		if got, err := d.UserByID(ctx, id); !errors.Is(err, authing.ErrUserNotFound) {
			t.Errorf("UserByID(%q) = %+v, %v; want ErrUserNotFound", id, got, err)
		}
	}
	for _, name := range []string{"nobody", "", "carol%", "c_rol", "' OR '1'='1"} {
		if got, err := d.UserByUsername(ctx, name); !errors.Is(err, authing.ErrUserNotFound) {
			t.Errorf("UserByUsername(%q) = %+v, %v; want ErrUserNotFound", name, got, err)
		}
	}
	for _, email := range []string{"nobody@example.com", "carol@example.co", "%", "c_rol@example.com", "carol@example.com "} {
		if got, err := d.UserByEmail(ctx, email); !errors.Is(err, authing.ErrUserNotFound) {
			t.Errorf("UserByEmail(%q) = %+v, %v; want ErrUserNotFound", email, got, err)
		}
	}
	for _, id := range []string{unknownID, "not-a-uuid"} {
		if err := d.RecordLogin(ctx, id, time.Now()); !errors.Is(err, authing.ErrUserNotFound) {
			t.Errorf("RecordLogin(%q) = %v; want ErrUserNotFound", id, err)
		}
		if err := d.SetPasswordHash(ctx, id, pbkdf2Hash); !errors.Is(err, authing.ErrUserNotFound) {
			t.Errorf("SetPasswordHash(%q) = %v; want ErrUserNotFound", id, err)
		}
		if err := d.SetActive(ctx, id, false); !errors.Is(err, authing.ErrUserNotFound) {
			t.Errorf("SetActive(%q) = %v; want ErrUserNotFound", id, err)
		}
		// An unknown id has no hash to compare with: nothing is replaced.
		// Reporting ErrUserNotFound as well is allowed.
		if ok, err := d.ReplacePasswordHash(ctx, id, "", pbkdf2Hash); ok || (err != nil && !errors.Is(err, authing.ErrUserNotFound)) {
			t.Errorf("ReplacePasswordHash(%q) = %v, %v; want false with nil or ErrUserNotFound", id, ok, err)
		}
	}
	got, err := d.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	checkUser(t, "the only user after calls on unknown ids", got, u)
}

func testUserByEmail(t *testing.T, d authing.UserDirectory) {
	ctx := t.Context()
	noEmail := mustCreate(t, d, authing.NewUser{Username: "noemail", IsActive: true})
	// Several accounts share one address in different letter cases. They
	// are created one after another with a short pause, so that their
	// date_joined differ even on a backend with a millisecond clock.
	var same []authing.User
	for i, email := range []string{"Dave@Example.com", "dave@example.com", "DAVE@EXAMPLE.COM", "dAvE@eXaMpLe.CoM"} {
		if i > 0 {
			time.Sleep(3 * time.Millisecond)
		}
		same = append(same, mustCreate(t, d, authing.NewUser{
			Username: fmt.Sprintf("dave%d", i),
			Email:    email,
			IsActive: true,
		}))
	}
	other := mustCreate(t, d, authing.NewUser{Username: "erin", Email: "erin@example.org", IsActive: true})

	for i := 1; i < len(same); i++ {
		if !same[i].DateJoined.After(same[i-1].DateJoined) {
			t.Fatalf("users created in order have DateJoined %v then %v; want increasing", same[i-1].DateJoined, same[i].DateJoined)
		}
	}
	for _, q := range []string{"dave@example.com", "DAVE@example.COM", "Dave@Example.com", "dAvE@eXaMpLe.CoM"} {
		got, err := d.UserByEmail(ctx, q)
		if err != nil {
			t.Fatalf("UserByEmail(%q): %v", q, err)
		}
		checkUser(t, fmt.Sprintf("UserByEmail(%q) (the oldest of %d matches)", q, len(same)), got, same[0])
	}
	got, err := d.UserByEmail(ctx, "ERIN@example.ORG")
	if err != nil {
		t.Fatalf("UserByEmail: %v", err)
	}
	checkUser(t, "UserByEmail(ERIN@example.ORG)", got, other)

	if got, err := d.UserByEmail(ctx, ""); !errors.Is(err, authing.ErrUserNotFound) {
		t.Errorf("UserByEmail(\"\") with user %q having an empty email = %+v, %v; want ErrUserNotFound", noEmail.Username, got, err)
	}
}

func testInactive(t *testing.T, d authing.UserDirectory) {
	ctx := t.Context()
	u := mustCreate(t, d, authing.NewUser{Username: "frank", Email: "frank@example.com", PasswordHash: pbkdf2Hash, IsActive: false})
	if u.IsActive {
		t.Fatalf("CreateUser(IsActive: false) returned IsActive = true")
	}
	// Look-ups return inactive users: whether they may sign in is the
	// caller's decision.
	byID, err := d.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("UserByID of an inactive user: %v", err)
	}
	checkUser(t, "UserByID (inactive)", byID, u)
	byName, err := d.UserByUsername(ctx, "frank")
	if err != nil {
		t.Fatalf("UserByUsername of an inactive user: %v", err)
	}
	checkUser(t, "UserByUsername (inactive)", byName, u)
	byEmail, err := d.UserByEmail(ctx, "FRANK@example.com")
	if err != nil {
		t.Fatalf("UserByEmail of an inactive user: %v", err)
	}
	checkUser(t, "UserByEmail (inactive)", byEmail, u)
	if list := mustList(t, d); len(list) != 1 || list[0].ID != u.ID || list[0].IsActive {
		t.Errorf("ListUsers = %+v; want the one inactive user", list)
	}
}

func testRecordLogin(t *testing.T, d authing.UserDirectory) {
	ctx := t.Context()
	u := mustCreate(t, d, authing.NewUser{Username: "grace", IsActive: true})
	bystander := mustCreate(t, d, authing.NewUser{Username: "heidi", IsActive: true})

	first := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	if err := d.RecordLogin(ctx, u.ID, first); err != nil {
		t.Fatalf("RecordLogin: %v", err)
	}
	got := mustByID(t, d, u.ID)
	checkTime(t, "LastLogin after the first login", got.LastLogin, first)
	checkTime(t, "FirstLogin after the first login", got.FirstLogin, first)

	second := first.Add(26*time.Hour + 123*time.Millisecond)
	if err := d.RecordLogin(ctx, u.ID, second); err != nil {
		t.Fatalf("RecordLogin: %v", err)
	}
	got = mustByID(t, d, u.ID)
	checkTime(t, "LastLogin after the second login", got.LastLogin, second)
	checkTime(t, "FirstLogin after the second login", got.FirstLogin, first)

	want := u
	want.LastLogin, want.FirstLogin = &second, &first
	checkUser(t, "user after two logins", got, want)
	checkUser(t, "another user after RecordLogin", mustByID(t, d, bystander.ID), bystander)
}

func testSetPasswordHash(t *testing.T, d authing.UserDirectory) {
	ctx := t.Context()
	u := mustCreate(t, d, authing.NewUser{Username: "ivan", PasswordHash: pbkdf2Hash, IsActive: true})
	bystander := mustCreate(t, d, authing.NewUser{Username: "judy", PasswordHash: pbkdf2Hash, IsActive: true})
	for _, h := range []string{unusableHash, "argon2$argon2id$v=19$m=102400,t=2,p=8$c29tZXNhbHQ$aGFzaA", ""} {
		if err := d.SetPasswordHash(ctx, u.ID, h); err != nil {
			t.Fatalf("SetPasswordHash(%q): %v", h, err)
		}
		want := u
		want.PasswordHash = h
		checkUser(t, "user after SetPasswordHash", mustByID(t, d, u.ID), want)
	}
	checkUser(t, "another user after SetPasswordHash", mustByID(t, d, bystander.ID), bystander)
}

func testReplacePasswordHash(t *testing.T, d authing.UserDirectory) {
	ctx := t.Context()
	u := mustCreate(t, d, authing.NewUser{Username: "mallory", PasswordHash: pbkdf2Hash, IsActive: true})
	const upgraded = "pbkdf2_sha256$1000000$bmV3c2FsdG5ld3NhbHQ$5cVd0sQfR3l1aP0xYQ8m7uLk2J9h4G6tE1wZ3nB8vXc="

	ok, err := d.ReplacePasswordHash(ctx, u.ID, pbkdf2Hash, upgraded)
	if err != nil || !ok {
		t.Fatalf("ReplacePasswordHash with the current hash = %v, %v; want true, nil", ok, err)
	}
	if got := mustByID(t, d, u.ID); got.PasswordHash != upgraded {
		t.Fatalf("hash after a successful ReplacePasswordHash = %q, want %q", got.PasswordHash, upgraded)
	}

	// The old hash is now stale: a concurrent change must never be
	// overwritten.
	ok, err = d.ReplacePasswordHash(ctx, u.ID, pbkdf2Hash, unusableHash)
	if err != nil || ok {
		t.Fatalf("ReplacePasswordHash with a stale hash = %v, %v; want false, nil", ok, err)
	}
	want := u
	want.PasswordHash = upgraded
	checkUser(t, "user after a stale ReplacePasswordHash", mustByID(t, d, u.ID), want)

	// A prefix or a case variant of the current hash is not the hash.
	for _, stale := range []string{upgraded[:20], strings.ToUpper(upgraded), ""} {
		if ok, err := d.ReplacePasswordHash(ctx, u.ID, stale, unusableHash); err != nil || ok {
			t.Errorf("ReplacePasswordHash(old = %q) = %v, %v; want false, nil", stale, ok, err)
		}
	}
	checkUser(t, "user after stale ReplacePasswordHash calls", mustByID(t, d, u.ID), want)
}

func testSetActive(t *testing.T, d authing.UserDirectory) {
	ctx := t.Context()
	u := mustCreate(t, d, authing.NewUser{Username: "niaj", IsActive: true})
	bystander := mustCreate(t, d, authing.NewUser{Username: "olivia", IsActive: true})
	for _, active := range []bool{false, false, true, true, false} {
		if err := d.SetActive(ctx, u.ID, active); err != nil {
			t.Fatalf("SetActive(%v): %v", active, err)
		}
		want := u
		want.IsActive = active
		checkUser(t, fmt.Sprintf("user after SetActive(%v)", active), mustByID(t, d, u.ID), want)
	}
	checkUser(t, "another user after SetActive", mustByID(t, d, bystander.ID), bystander)
}

func testListUsers(t *testing.T, d authing.UserDirectory) {
	if list := mustList(t, d); len(list) != 0 {
		t.Fatalf("ListUsers of a new directory = %+v; want none (newDir must return an empty directory)", list)
	}
	// Lowercase ASCII names sort the same under every collation.
	var want []authing.User
	for _, name := range []string{"peggy", "alice", "trent", "bob", "bob2", "carol"} {
		want = append(want, mustCreate(t, d, authing.NewUser{Username: name, Email: name + "@example.com", IsActive: name != "trent"}))
	}
	if err := d.RecordLogin(t.Context(), want[1].ID, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)); err != nil {
		t.Fatalf("RecordLogin: %v", err)
	}
	want[1] = mustByID(t, d, want[1].ID)
	slices.SortFunc(want, func(a, b authing.User) int { return strings.Compare(a.Username, b.Username) })

	got := mustList(t, d)
	if len(got) != len(want) {
		t.Fatalf("ListUsers returned %d users, want %d", len(got), len(want))
	}
	for i := range want {
		checkUser(t, fmt.Sprintf("ListUsers()[%d]", i), got[i], want[i])
	}
}

func testUnicode(t *testing.T, d authing.UserDirectory) {
	ctx := t.Context()
	cases := []authing.NewUser{
		{Username: "Ёлка", FirstName: "Ёжик", LastName: "Туманов", Email: "ezhik@example.ru", IsActive: true},
		{Username: "ёлка", FirstName: "ёжик", LastName: "", IsActive: true},
		{Username: "ユーザー", FirstName: "太郎", LastName: "山田", IsActive: true},
		{Username: "émilie.zoë+test@x", FirstName: "Zoë", LastName: "Ørsted 🦊", IsActive: true},
		{Username: "e\u0301milie", FirstName: "decomposed é", IsActive: true}, // not normalised: distinct from "émilie"
		{Username: "émilie", FirstName: "composed é", IsActive: true},
	}
	var created []authing.User
	for _, in := range cases {
		created = append(created, mustCreate(t, d, in))
	}
	for i, u := range created {
		in := cases[i]
		if u.Username != in.Username || u.FirstName != in.FirstName || u.LastName != in.LastName {
			t.Errorf("CreateUser(%q) = %q %q %q; want %q %q %q", in.Username, u.Username, u.FirstName, u.LastName, in.Username, in.FirstName, in.LastName)
		}
		got, err := d.UserByUsername(ctx, in.Username)
		if err != nil {
			t.Fatalf("UserByUsername(%q): %v", in.Username, err)
		}
		checkUser(t, fmt.Sprintf("UserByUsername(%q)", in.Username), got, u)
		checkUser(t, fmt.Sprintf("UserByID of %q", in.Username), mustByID(t, d, u.ID), u)
	}
	if got := mustList(t, d); len(got) != len(cases) {
		t.Errorf("ListUsers returned %d users, want %d", len(got), len(cases))
	}
}

func testTimePrecision(t *testing.T, d authing.UserDirectory) {
	ctx := t.Context()
	u := mustCreate(t, d, authing.NewUser{Username: "peggy", IsActive: true})
	if loc := u.DateJoined.Location(); loc != time.UTC {
		t.Errorf("CreateUser: DateJoined is in %v, want UTC", loc)
	}
	if loc := mustByID(t, d, u.ID).DateJoined.Location(); loc != time.UTC {
		t.Errorf("UserByID: DateJoined is in %v, want UTC", loc)
	}
	moscow := time.FixedZone("MSK", 3*60*60)
	for _, at := range []time.Time{
		time.Date(2024, 2, 29, 23, 59, 58, 987_654_321, moscow), // a leap day, after midnight in UTC+3
		time.Date(2024, 3, 1, 2, 0, 0, 1_000_000, moscow),       // exactly one millisecond
		time.Date(2099, 12, 31, 23, 59, 59, 999_000_000, time.UTC),
		time.Date(1999, 1, 1, 0, 0, 0, 0, time.FixedZone("PST", -8*60*60)),
	} {
		if err := d.RecordLogin(ctx, u.ID, at); err != nil {
			t.Fatalf("RecordLogin(%v): %v", at, err)
		}
		got := mustByID(t, d, u.ID)
		checkTime(t, fmt.Sprintf("LastLogin after RecordLogin(%v)", at), got.LastLogin, at) // in UTC, to the millisecond
	}
}

func testConcurrentRecordLogin(t *testing.T, d authing.UserDirectory) {
	ctx := t.Context()
	const n = 20
	u := mustCreate(t, d, authing.NewUser{Username: "rupert", IsActive: true})
	others := make([]authing.User, 4)
	for i := range others {
		others[i] = mustCreate(t, d, authing.NewUser{Username: fmt.Sprintf("sybil%d", i), IsActive: true})
	}
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	times := make([]time.Time, n)
	for i := range times {
		times[i] = base.Add(time.Duration(i) * time.Second)
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			// Writers to one row and to other rows at once, with readers
			// in between: a backend must queue or retry, never report busy.
			id := u.ID
			if i%4 == 3 {
				id = others[i%len(others)].ID
			}
			if err := d.RecordLogin(ctx, id, times[i]); err != nil {
				t.Errorf("concurrent RecordLogin #%d: %v", i, err)
			}
			if _, err := d.UserByID(ctx, u.ID); err != nil {
				t.Errorf("UserByID during concurrent RecordLogin: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()

	got := mustByID(t, d, u.ID)
	if got.LastLogin == nil || got.FirstLogin == nil {
		t.Fatalf("after concurrent logins LastLogin = %v, FirstLogin = %v; want both set", got.LastLogin, got.FirstLogin)
	}
	isOneOf := func(x time.Time) bool {
		return slices.ContainsFunc(times, func(y time.Time) bool { return x.Sub(y).Abs() < time.Millisecond })
	}
	if !isOneOf(*got.LastLogin) || !isOneOf(*got.FirstLogin) {
		t.Errorf("after concurrent logins LastLogin = %v, FirstLogin = %v; want times that were recorded", got.LastLogin, got.FirstLogin)
	}
}

func testConcurrentCreate(t *testing.T, d authing.UserDirectory) {
	ctx := t.Context()
	const n = 10
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		won      int
		distinct int
	)
	start := make(chan struct{})
	for i := range n {
		// n goroutines race for one username, n others create their own.
		wg.Go(func() {
			<-start
			_, err := d.CreateUser(ctx, authing.NewUser{Username: "contested", Email: fmt.Sprintf("c%d@example.com", i), IsActive: true})
			switch {
			case err == nil:
				mu.Lock()
				won++
				mu.Unlock()
			case errors.Is(err, authing.ErrUserExists):
			default:
				t.Errorf("concurrent CreateUser of one username: %v; want nil or ErrUserExists", err)
			}
		})
		wg.Go(func() {
			<-start
			if _, err := d.CreateUser(ctx, authing.NewUser{Username: fmt.Sprintf("own%02d", i), IsActive: true}); err != nil {
				t.Errorf("concurrent CreateUser of a free username: %v", err)
				return
			}
			mu.Lock()
			distinct++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if won != 1 {
		t.Errorf("%d concurrent CreateUser calls of one username succeeded %d times, want exactly 1", n, won)
	}
	if t.Failed() {
		return
	}
	assertCount(t, d, 1+distinct)
}

// --- helpers -----------------------------------------------------------

func mustCreate(t *testing.T, d authing.UserDirectory, in authing.NewUser) authing.User {
	t.Helper()
	u, err := d.CreateUser(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", in.Username, err)
	}
	return u
}

func mustByID(t *testing.T, d authing.UserDirectory, id string) authing.User {
	t.Helper()
	u, err := d.UserByID(t.Context(), id)
	if err != nil {
		t.Fatalf("UserByID(%q): %v", id, err)
	}
	return u
}

func mustList(t *testing.T, d authing.UserDirectory) []authing.User {
	t.Helper()
	list, err := d.ListUsers(t.Context())
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	return list
}

func assertCount(t *testing.T, d authing.UserDirectory, n int) {
	t.Helper()
	if list := mustList(t, d); len(list) != n {
		t.Errorf("ListUsers returned %d users, want %d", len(list), n)
	}
}

// checkUser compares every field; times must be in UTC and agree to within
// a millisecond.
func checkUser(t *testing.T, what string, got, want authing.User) {
	t.Helper()
	var diffs []string
	str := func(field, g, w string) {
		if g != w {
			diffs = append(diffs, fmt.Sprintf("%s = %q, want %q", field, g, w))
		}
	}
	boolean := func(field string, g, w bool) {
		if g != w {
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", field, g, w))
		}
	}
	str("ID", got.ID, want.ID)
	str("Username", got.Username, want.Username)
	str("Email", got.Email, want.Email)
	str("FirstName", got.FirstName, want.FirstName)
	str("LastName", got.LastName, want.LastName)
	str("PasswordHash", got.PasswordHash, want.PasswordHash)
	boolean("IsActive", got.IsActive, want.IsActive)
	boolean("IsStaff", got.IsStaff, want.IsStaff)
	boolean("IsSuperuser", got.IsSuperuser, want.IsSuperuser)
	if d := timeDiff(&got.DateJoined, &want.DateJoined); d != "" {
		diffs = append(diffs, "DateJoined "+d)
	}
	if d := timeDiff(got.LastLogin, want.LastLogin); d != "" {
		diffs = append(diffs, "LastLogin "+d)
	}
	if d := timeDiff(got.FirstLogin, want.FirstLogin); d != "" {
		diffs = append(diffs, "FirstLogin "+d)
	}
	if len(diffs) > 0 {
		t.Errorf("%s (user %q):\n\t%s", what, want.Username, strings.Join(diffs, "\n\t"))
	}
}

func checkTime(t *testing.T, what string, got *time.Time, want time.Time) {
	t.Helper()
	if d := timeDiff(got, &want); d != "" {
		t.Errorf("%s: %s", what, d)
	}
}

func timeDiff(got, want *time.Time) string {
	switch {
	case got == nil && want == nil:
		return ""
	case got == nil:
		return fmt.Sprintf("= nil, want %v", want.UTC())
	case want == nil:
		return fmt.Sprintf("= %v, want nil", got)
	case got.IsZero() && !want.IsZero():
		return fmt.Sprintf("= zero time, want %v", want.UTC())
	case got.Location() != time.UTC:
		return fmt.Sprintf("= %v, not in UTC", got)
	case got.Sub(*want).Abs() >= time.Millisecond:
		return fmt.Sprintf("= %v, want %v (to the millisecond)", got, want.UTC())
	}
	return ""
}
