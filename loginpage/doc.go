// Package loginpage is a sign-in page for the authing API: plain HTML,
// CSS and JavaScript embedded in the binary, no build step. It does the
// browser flow of a Bazis web client: GET {prefix}/auth/ for the login
// actions and the store cookie, the password form posted as JSON with that
// cookie, the 303 to /auth/ followed by the browser, the user and session
// shown, refresh and logout; GET actions (Google, OpenID Connect) open the
// action URL with the store token in a window and poll /auth/ until the
// sign-in finishes.
//
//	mux.Handle("/login/", loginpage.Handler(loginpage.Options{Prefix: "/api/v1/authing"}))
//
// The page talks to the API on its own origin; its Content-Security-Policy
// allows nothing else.
package loginpage
