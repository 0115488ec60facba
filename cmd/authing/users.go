package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"authing.dev/authing"
)

const usersUsage = `usage: authing users <create|set-password|activate|deactivate|revoke|list> [flags]`

func cmdUsers(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		return usageError{usersUsage}
	}
	sub, args := args[0], args[1:]
	cf := newFlagSet("users "+sub, e)
	username := cf.fs.String("username", "", "username (exact, case-sensitive)")
	var (
		email, first, last     *string
		staff, superuser, pwIn *bool
		asJSON                 *bool
	)
	switch sub {
	case "create":
		email = cf.fs.String("email", "", "email address")
		first = cf.fs.String("first-name", "", "first name")
		last = cf.fs.String("last-name", "", "last name")
		staff = cf.fs.Bool("staff", false, "is_staff")
		superuser = cf.fs.Bool("superuser", false, "is_superuser")
		pwIn = cf.fs.Bool("password-stdin", false, "read the password from standard input (required)")
	case "set-password":
		pwIn = cf.fs.Bool("password-stdin", false, "read the password from standard input (required)")
	case "activate", "deactivate":
	case "revoke": // sign out everywhere (wiring_security.go)
	case "list":
		asJSON = cf.fs.Bool("json", false, "print a JSON array")
	default:
		return usageError{fmt.Sprintf("unknown users command %q\n%s", sub, usersUsage)}
	}
	if err := cf.parse(args); err != nil {
		return err
	}
	if sub != "list" && *username == "" {
		return usageError{"--username is required"}
	}
	if pwIn != nil && !*pwIn {
		return usageError{"--password-stdin is required: the password is read from standard input, never from an argument"}
	}
	cfg, db, err := openMigrated(ctx, cf, e)
	if err != nil {
		return err
	}
	defer db.Close()

	switch sub {
	case "list":
		users, err := db.ListUsers(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return printUsersJSON(e.stdout, users)
		}
		return printUsersTable(e.stdout, users)
	case "create":
		hash, err := readPasswordHash(e.stdin, cfg)
		if err != nil {
			return err
		}
		u, err := db.CreateUser(ctx, authing.NewUser{Username: *username, Email: *email, FirstName: *first,
			LastName: *last, PasswordHash: hash, IsActive: true, IsStaff: *staff, IsSuperuser: *superuser})
		if errors.Is(err, authing.ErrUserExists) {
			return fmt.Errorf("user %q already exists", *username)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "created user %s (%s)\n", u.Username, u.ID)
		return nil
	}
	u, err := db.UserByUsername(ctx, *username)
	if errors.Is(err, authing.ErrUserNotFound) {
		return fmt.Errorf("no user %q", *username)
	}
	if err != nil {
		return err
	}
	switch sub {
	case "revoke":
		return cmdRevoke(ctx, cfg, u, e.stdout)
	case "set-password":
		hash, err := readPasswordHash(e.stdin, cfg)
		if err != nil {
			return err
		}
		if err := db.SetPasswordHash(ctx, u.ID, hash); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "password of %s changed\n", u.Username)
	case "activate", "deactivate":
		if err := db.SetActive(ctx, u.ID, sub == "activate"); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "user %s %sd\n", u.Username, sub)
	}
	return nil
}

// readPasswordHash reads the password from standard input and hashes it with
// the preferred hasher.
func readPasswordHash(r io.Reader, cfg *appConfig) (string, error) {
	pw, err := readPassword(r)
	if err != nil {
		return "", err
	}
	return cfg.hashers.Encode(pw)
}

// readPassword reads the first line of standard input (without its line
// ending). An empty password is refused.
func readPassword(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("no standard input to read the password from")
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty password on standard input")
	}
	return line, nil
}

type userJSON struct {
	ID           string     `json:"id"`
	Username     string     `json:"username"`
	Email        string     `json:"email"`
	FirstName    string     `json:"first_name"`
	LastName     string     `json:"last_name"`
	IsActive     bool       `json:"is_active"`
	IsStaff      bool       `json:"is_staff"`
	IsSuperuser  bool       `json:"is_superuser"`
	DateJoined   time.Time  `json:"date_joined"`
	LastLogin    *time.Time `json:"last_login"`
	DtFirstLogin *time.Time `json:"dt_first_login"`
}

func printUsersJSON(w io.Writer, users []authing.User) error {
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = userJSON{u.ID, u.Username, u.Email, u.FirstName, u.LastName, u.IsActive, u.IsStaff,
			u.IsSuperuser, u.DateJoined.UTC(), utcPtr(u.LastLogin), utcPtr(u.FirstLogin)}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func printUsersTable(w io.Writer, users []authing.User) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tEMAIL\tACTIVE\tSTAFF\tSUPERUSER\tLAST LOGIN\tID")
	for _, u := range users {
		last := "-"
		if u.LastLogin != nil {
			last = u.LastLogin.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%v\t%v\t%s\t%s\n", u.Username, u.Email, u.IsActive, u.IsStaff, u.IsSuperuser, last, u.ID)
	}
	return tw.Flush()
}
