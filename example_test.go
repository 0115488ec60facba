package authing_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/hashers"
	"authing.dev/authing/method/password"
	"authing.dev/authing/store/memstore"
)

const exampleSecret = "example-secret-key-with-32-or-more-chars"

// exampleUsers is a user database with user1 (staff) and user2.
func exampleUsers() (*authingtest.Users, *hashers.Set) {
	users := &authingtest.Users{}
	hs := hashers.NewSet(hashers.PBKDF2SHA256{Iterations: 1000})
	for _, name := range []string{"user1", "user2"} {
		h, _ := hs.Encode("weak_password_1")
		users.CreateUser(context.Background(), authing.NewUser{Username: name, Email: name + "@site.com",
			PasswordHash: h, IsActive: true, IsStaff: name == "user1"})
	}
	return users, hs
}

// call sends a request with an optional bearer token and prints the answer.
func call(method, u, token string) {
	req, _ := http.NewRequest(method, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	fmt.Printf("%d %s %s\n", res.StatusCode, res.Header.Get("WWW-Authenticate"), strings.TrimSpace(string(b)))
}

// sessionToken signs in with the OAuth2 password form.
func sessionToken(base, username string) string {
	res, err := http.PostForm(base+"/api/v1/authing/password/token/", url.Values{"username": {username}, "password": {"weak_password_1"}})
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return strings.Split(string(b), `"`)[3]
}

// Mount the sign-in API in an existing mux and protect a handler with the
// user it signs in: the three lines after authing.New.
func Example() {
	users, hs := exampleUsers()
	store := memstore.New(memstore.Options{})
	defer store.Close()
	svc, err := authing.New(authing.Config{SecretKey: exampleSecret}, store, users,
		password.New(users, password.Options{Hasher: hs}))
	if err != nil {
		panic(err)
	}
	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := authing.UserFromContext(r.Context())
		fmt.Fprintf(w, "orders of %s\n", u.Username)
	})

	mux := http.NewServeMux()
	mux.Handle("/api/v1/authing/", svc)                    // the sign-in API
	mux.Handle("/api/v1/orders/", svc.RequireUser(orders)) // a protected route

	srv := httptest.NewServer(mux)
	defer srv.Close()
	call("GET", srv.URL+"/api/v1/orders/", "")
	call("GET", srv.URL+"/api/v1/orders/", sessionToken(srv.URL, "user1"))
	// Output:
	// 401 Bearer {"errors":[{"status":401,"detail":"Token is invalid","meta":{"headers":{"WWW-Authenticate":"Bearer"}}}]}
	// 200  orders of user1
}

// RequireStaff and RequireSuperuser refuse signed-in users without the flag
// with 403; OptionalUser lets everyone in. Expired and forged tokens are
// refused on optional routes too, as bazis-users does.
func ExampleService_RequireStaff() {
	users, hs := exampleUsers()
	store := memstore.New(memstore.Options{})
	defer store.Close()
	svc, _ := authing.New(authing.Config{SecretKey: exampleSecret}, store, users, password.New(users, password.Options{Hasher: hs}))
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, ok := authing.UserFromContext(r.Context()); ok {
			fmt.Fprintf(w, "hello %s\n", u.Username)
			return
		}
		fmt.Fprintln(w, "hello stranger")
	})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/authing/", svc)
	mux.Handle("/admin/", svc.RequireStaff(hello))
	mux.Handle("/", svc.OptionalUser(hello))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	keys, _ := authing.NewKeys(authing.HS256, exampleSecret)
	expired := keys.SessionToken("user1", time.Now().Add(-48*time.Hour), 24*time.Hour, "password")
	call("GET", srv.URL+"/admin/", sessionToken(srv.URL, "user1"))
	call("GET", srv.URL+"/admin/", sessionToken(srv.URL, "user2"))
	call("GET", srv.URL+"/", "")
	call("GET", srv.URL+"/", sessionToken(srv.URL, "user2"))
	call("GET", srv.URL+"/", expired)
	call("GET", srv.URL+"/", "forged.token.value")
	// Output:
	// 200  hello user1
	// 403  {"errors":[{"status":403,"code":"ERR_FORBIDDEN","detail":"Permission denied: check access"}]}
	// 200  hello stranger
	// 200  hello user2
	// 401  {"errors":[{"status":401,"code":"ERR_UNAUTHORIZED","detail":"Token has expired"}]}
	// 401  {"errors":[{"status":401,"code":"ERR_UNAUTHORIZED","detail":"Token is invalid"}]}
}

// A service that shares SECRET_KEY but not the user database verifies
// session tokens alone and reads their claims.
func ExampleNewVerifier() {
	keys, _ := authing.NewKeys(authing.HS256, exampleSecret)
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := authing.SessionFromContext(r.Context())
		fmt.Fprintf(w, "%s signed in with %s\n", c.Subject, c.AuthType)
	})
	srv := httptest.NewServer(authing.NewVerifier(keys).RequireSession(api))
	defer srv.Close()

	token := keys.SessionToken("user1", time.Now(), time.Hour, "password") // as authing issues it
	call("GET", srv.URL, token)
	call("GET", srv.URL, keys.StoreToken(authing.NewStoreKey())) // a store token is no session
	// Output:
	// 200  user1 signed in with password
	// 401 Bearer {"errors":[{"status":401,"detail":"Token is invalid","meta":{"headers":{"WWW-Authenticate":"Bearer"}}}]}
}
