package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/client"
	"authing.dev/authing/hashers"
	"authing.dev/authing/method/password"
	"authing.dev/authing/store/memstore"
)

// startAuthing runs authing in-process with one user, user1.
func startAuthing() (url string, stop func()) {
	users := &authingtest.Users{}
	hs := hashers.NewSet(hashers.PBKDF2SHA256{Iterations: 1000})
	h, _ := hs.Encode("weak_password_1")
	users.CreateUser(context.Background(), authing.NewUser{Username: "user1", Email: "user1@site.com",
		FirstName: "Ann", PasswordHash: h, IsActive: true})
	store := memstore.New(memstore.Options{})
	svc, err := authing.New(authing.Config{SecretKey: "example-secret-key-with-32-or-more-chars"}, store, users,
		password.New(users, password.Options{Hasher: hs}))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(svc)
	return srv.URL, func() { srv.Close(); store.Close() }
}

func Example() {
	url, stop := startAuthing()
	defer stop()
	ctx := context.Background()
	c := &client.Client{BaseURL: url}

	// The browser flow: a store, the password, the redirect that claims it.
	s, err := c.SignIn(ctx, "user1", "weak_password_1")
	if err != nil {
		panic(err)
	}
	fmt.Println("signed in:", s.Username, s.Email, s.FirstName)

	// A session token refreshes into a new one.
	s, err = c.Refresh(ctx, s.Token)
	fmt.Println("refreshed:", s.Username, err)

	// The token endpoint (Swagger UI's OAuth2 password flow).
	tok, err := c.Token(ctx, "user1", "weak_password_1")
	fmt.Println("token:", tok != "", err)

	// Typed errors.
	_, err = c.SignIn(ctx, "user1", "wrong")
	fmt.Println("wrong password:", errors.Is(err, client.ErrInvalidCredentials), err)
	_, err = c.Token(ctx, "user1", "wrong")
	fmt.Println("wrong password (token):", errors.Is(err, client.ErrInvalidCredentials), err)
	_, err = c.Status(ctx, "")
	var n *client.NotSignedIn
	fmt.Println("anonymous:", errors.As(err, &n), n.Actions[0].Code, n.Actions[0].URL)

	fmt.Println("logout:", c.Logout(ctx, n.StoreToken))
	// Output:
	// signed in: user1 user1@site.com Ann
	// refreshed: user1 <nil>
	// token: true <nil>
	// wrong password: true authing: not signed in: USERNAME_PASSWORD_ERROR: Credentials are invalid
	// wrong password (token): true authing: HTTP 401: Credentials are invalid
	// anonymous: true password /api/v1/authing/password/
	// logout: <nil>
}
