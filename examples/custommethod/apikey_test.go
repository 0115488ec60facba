package custommethod_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/examples/custommethod"
	"authing.dev/authing/store/memstore"
)

// The custom method is offered by GET /auth/, signs a store in with a good
// key, records its error with a bad one, and its sessions carry its code.
func TestAPIKey(t *testing.T) {
	users := &authingtest.Users{}
	users.CreateUser(context.Background(), authing.NewUser{Username: "robot", IsActive: true})
	store := memstore.New(memstore.Options{})
	defer store.Close()
	svc, err := authing.New(authing.Config{SecretKey: strings.Repeat("s3cr3t-", 6)}, store, users,
		&custommethod.APIKey{Keys: map[string]string{"k-123": "robot"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	defer srv.Close()

	do := func(method, path, token, body string) (*http.Response, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	_, body := do("GET", "/api/v1/authing/auth/", "", "")
	if !strings.Contains(body, `{"code":"apikey","name":"API key","url":"/api/v1/authing/apikey/","method":"POST"}`) {
		t.Fatalf("login action missing: %s", body)
	}
	store1 := body[strings.Index(body, `"token":"`)+9 : strings.LastIndex(body, `"`)]

	res, _ := do("POST", "/api/v1/authing/apikey/", store1, `{"key":"wrong"}`)
	if res.StatusCode != 303 {
		t.Fatalf("bad key: %d", res.StatusCode)
	}
	if _, body := do("GET", "/api/v1/authing/auth/", store1, ""); !strings.Contains(body, `"code":"APIKEY_ERROR","detail":"Unknown API key"`) {
		t.Fatalf("error not recorded: %s", body)
	}
	res, _ = do("POST", "/api/v1/authing/apikey/", store1, `{"key":"k-123"}`)
	if res.StatusCode != 303 || res.Header.Get("Location") != "/api/v1/authing/auth/" {
		t.Fatalf("good key: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body = do("GET", "/api/v1/authing/auth/", store1, "")
	if res.StatusCode != 200 || !strings.Contains(body, `"username":"robot"`) {
		t.Fatalf("claim: %d %s", res.StatusCode, body)
	}
	if res, _ := do("POST", "/api/v1/authing/apikey/", "", `{"key":"k-123"}`); res.StatusCode != 401 {
		t.Fatalf("without a store: %d", res.StatusCode)
	}
}
