package loginpage_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"authing.dev/authing"
	"authing.dev/authing/authingtest"
	"authing.dev/authing/internal/testenv"
	"authing.dev/authing/loginpage"
	"authing.dev/authing/store/memstore"
)

// windowMethod is a GET action like Google's: its URL, opened in a window
// with ?bazis_auth=<store token>, signs the store in as user1 and answers a
// page that closes itself.
type windowMethod struct{ svc *authing.Service }

func (m *windowMethod) Code() string { return "window" }
func (m *windowMethod) LoginAction(string) authing.Action {
	return authing.Action{Code: "window", Name: "Sign in with Window", URL: m.svc.Path("/window-init/"), Method: http.MethodGet}
}
func (m *windowMethod) Register(s *authing.Service) error {
	m.svc = s
	s.Handle("GET /window-init/", func(w http.ResponseWriter, r *http.Request) error {
		st, err := s.RequireStore(r)
		if err != nil {
			return err
		}
		u, err := s.Users().UserByUsername(r.Context(), "user1")
		if err != nil {
			return err
		}
		if err := s.SignIn(r, st, u, m.Code()); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>done</title><p>Return to the application.</p><script>window.close()</script>`))
		return nil
	})
	return nil
}

// TestBrowser_GetAction: the page opens a GET action in a window with the
// store token and polls GET /auth/ until the window's sign-in is done.
func TestBrowser_GetAction(t *testing.T) {
	path := testenv.Chromium(t)
	users := &authingtest.Users{}
	users.CreateUser(context.Background(), authing.NewUser{Username: "user1", Email: "user1@site.com", IsActive: true})
	store := memstore.New(memstore.Options{})
	defer store.Close()
	svc, err := authing.New(authing.Config{SecretKey: "loginpage-test-secret-key-of-32-chars!"}, store, users, &windowMethod{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", svc)
	mux.Handle("/login/", loginpage.Handler(loginpage.Options{}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	actx, cancel := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(path),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()))
	defer cancel()
	ctx, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()
	defer chromedp.Cancel(ctx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 45*time.Second)
	defer cancelTimeout()

	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login/"),
		chromedp.WaitVisible(chromedp.CSS(`#methods button[data-code="window"]`)),
		chromedp.Click(chromedp.CSS(`#methods button[data-code="window"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.body.dataset.state === "signed-in"`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("message")))
		t.Fatalf("the page did not see the window's sign-in: %v (%q)", err, msg)
	}
	name, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("user-name")))
	authType, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("auth-type")))
	if name != "user1" || authType != "window" {
		t.Fatalf("shows %q signed in with %q", name, authType)
	}
}
