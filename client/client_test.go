package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"authing.dev/authing/client"
)

func TestClient_Errors(t *testing.T) {
	url, stop := startAuthing()
	defer stop()
	ctx := context.Background()
	c := &client.Client{BaseURL: url + "/", Prefix: "api/v1/authing/"}

	// A store is single-use: the second claim is anonymous.
	n, err := c.Begin(ctx)
	if err != nil || n.StoreToken == "" || len(n.Actions) != 1 {
		t.Fatalf("Begin: %+v %v", n, err)
	}
	if _, err := c.SignInStore(ctx, n.StoreToken, "user1", "weak_password_1"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Status(ctx, n.StoreToken)
	if !errors.Is(err, client.ErrNotSignedIn) || errors.Is(err, client.ErrInvalidCredentials) {
		t.Fatalf("spent store: %v", err)
	}
	// A spent store on POST /password/ is a 401 ERR_UNAUTHORIZED.
	_, err = c.SignInStore(ctx, n.StoreToken, "user1", "weak_password_1")
	var e *client.Error
	if !errors.As(err, &e) || !errors.Is(err, client.ErrUnauthorized) || !e.Has("ERR_UNAUTHORIZED") || e.Errors[0].Detail != "Token has been expired" {
		t.Fatalf("spent store on /password/: %v", err)
	}
	// A garbage session token is anonymous on /auth/.
	if _, err := c.Refresh(ctx, "garbage"); !errors.Is(err, client.ErrNotSignedIn) {
		t.Fatalf("refresh of garbage: %v", err)
	}
	if _, err := c.Refresh(ctx, ""); err == nil {
		t.Fatal("Refresh without a token must fail")
	}
	// Language.
	c.Language = "ru"
	_, err = c.Status(ctx, "")
	var ns *client.NotSignedIn
	if !errors.As(err, &ns) || ns.Actions[0].Name != "Логин/пароль" {
		t.Fatalf("language: %v %+v", err, ns)
	}
}

func TestClient_ServerErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/authing/password/token/":
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"errors":[{"status":429,"code":"TOO_MANY_ATTEMPTS","detail":"Too many attempts, try again later"}]}`))
		default:
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("<html>bad gateway</html>"))
		}
	}))
	defer srv.Close()
	c := &client.Client{BaseURL: srv.URL}
	_, err := c.Token(context.Background(), "u", "p")
	var e *client.Error
	if !errors.Is(err, client.ErrThrottled) || !errors.As(err, &e) || e.Header.Get("Retry-After") != "3" {
		t.Fatalf("429: %v", err)
	}
	_, err = c.Status(context.Background(), "")
	if !errors.Is(err, client.ErrUnavailable) || !errors.As(err, &e) || len(e.Errors) != 0 {
		t.Fatalf("502: %v", err)
	}
	if err := c.Logout(context.Background(), ""); !errors.Is(err, client.ErrUnavailable) {
		t.Fatalf("logout: %v", err)
	}
}
