package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"authing.dev/authing/internal/testenv"
)

// browser is a headless Chromium tab with a fresh profile. Page errors
// (uncaught exceptions, Content-Security-Policy refusals) are collected.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := testenv.Chromium(t)
	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1400),
	)
	t.Cleanup(cancel)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { chromedp.Cancel(ctx); cancelTab() })
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelTimeout)
	b := &browser{ctx: ctx}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleException || strings.Contains(m.Text, "Content Security Policy") {
				b.mu.Lock()
				b.errors = append(b.errors, string(m.Type)+": "+m.Text)
				b.mu.Unlock()
			}
		}
	}()
	return b
}

func (b *browser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		t.Fatalf("%s: %v (page errors: %v)", what, err, b.pageErrors())
	}
}

func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// waitState waits until the login page's body has data-state=state.
func (b *browser) waitState(t *testing.T, state string) {
	t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[bool](fmt.Sprintf(`document.body.dataset.state === %q`, state),
		chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		st, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.dataset.state + ": " + document.getElementById("message").textContent`))
		t.Fatalf("waiting for the state %q: %v (page: %s; errors: %v)", state, err, st, b.pageErrors())
	}
}

func (b *browser) cookies(t *testing.T, url string) map[string]*network.Cookie {
	t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil {
		t.Fatalf("cookies: %v", err)
	}
	out := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		out[c.Name] = c
	}
	return out
}

func (b *browser) pageErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// TestLoginPage_Browser drives the login page of `authing serve` (embedded
// defaults: the page is on) in headless Chromium: the store cookie the
// browser stored, a wrong password, the sign-in, a reload (the session
// token refreshes), and logout. Chromium treats http://127.0.0.1 as a
// secure context, so it keeps the Secure cookie of the default
// configuration over plain HTTP; the second run turns Secure off.
func TestLoginPage_Browser(t *testing.T) {
	for _, secure := range []bool{true, false} {
		t.Run(fmt.Sprintf("Secure=%v", secure), func(t *testing.T) {
			b := newBrowser(t)
			dir := t.TempDir()
			db := "sqlite://" + filepath.Join(dir, "authing.db")
			env := []string{"BS_SECRET_KEY=" + cliSecret, "BS_DATABASE_URL=" + db, fmt.Sprintf("BS_BAZIS_AUTH_COOKIE_SECURE=%v", secure)}
			mustCLI(t, env, "weak_password_1\n", "users", "create", "--username", "user1", "--email", "user1@site.com",
				"--first-name", "Ann", "--last-name", "Lee", "--password-stdin")
			s := startServer(t, env)

			b.do(t, "opening the page", chromedp.Navigate(s.url+"/login/"))
			b.waitState(t, "anonymous")
			b.do(t, "the form", chromedp.WaitVisible(chromedp.ID("login-form")))

			// The store cookie of GET /auth/, as the browser keeps it.
			c := b.cookies(t, s.url)["bazis_auth"]
			if c == nil {
				t.Fatalf("the browser kept no bazis_auth cookie (Secure=%v over http://127.0.0.1); cookies: %v", secure, b.cookies(t, s.url))
			}
			if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" || c.Secure != secure || c.Session {
				t.Fatalf("cookie attributes: HttpOnly=%v SameSite=%q Path=%q Secure=%v Session=%v", c.HTTPOnly, c.SameSite, c.Path, c.Secure, c.Session)
			}
			if ttl := time.Until(time.Unix(int64(c.Expires), 0)); ttl < 590*time.Second || ttl > 601*time.Second {
				t.Fatalf("cookie lifetime %v, want the default 600 s", ttl)
			}
			if got, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.cookie`)); strings.Contains(got, "bazis_auth") {
				t.Fatal("the page's JavaScript can read the HttpOnly cookie")
			}
			store := c.Value

			// A wrong password: the error of the same store.
			b.do(t, "a wrong password",
				chromedp.SendKeys(chromedp.ID("username"), "user1"),
				chromedp.SendKeys(chromedp.ID("password"), "not-the-password"),
				chromedp.Click(chromedp.ID("submit")))
			_, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`document.getElementById("message").textContent.includes("Credentials are invalid")`,
				chromedp.WithPollingTimeout(15*time.Second)))
			if err != nil {
				t.Fatalf("the error is not shown: %v (message %q)", err, b.text(t, "#message"))
			}
			if c := b.cookies(t, s.url)["bazis_auth"]; c == nil || c.Value != store {
				t.Fatal("a failed attempt must keep the same store")
			}

			// The sign-in: the 303 is followed with the cookie, the store is
			// claimed and its cookie deleted.
			b.do(t, "the password", // the page emptied the field
				chromedp.SendKeys(chromedp.ID("password"), "weak_password_1"), chromedp.Click(chromedp.ID("submit")))
			b.waitState(t, "signed-in")
			for sel, want := range map[string]string{"#user-name": "user1", "#user-email": "(user1@site.com)",
				"#user-full-name": "Ann Lee", "#auth-type": "password"} {
				if got := b.text(t, sel); got != want {
					t.Errorf("%s shows %q, want %q", sel, got, want)
				}
			}
			if _, ok := b.cookies(t, s.url)["bazis_auth"]; ok {
				t.Error("the claimed store's cookie is still there")
			}

			// A reload keeps the session: the page refreshes its token.
			b.do(t, "reloading", chromedp.Reload())
			b.waitState(t, "signed-in")

			// Logout: anonymous again, with a new store.
			b.do(t, "logging out", chromedp.Click(chromedp.ID("logout")))
			_, err = chromedp.Run(b.ctx, chromedp.Poll[bool](`document.body.dataset.state === "anonymous" && document.getElementById("message").textContent === "Signed out."`,
				chromedp.WithPollingTimeout(15*time.Second)))
			if err != nil {
				t.Fatalf("after logout: %v (message %q)", err, b.text(t, "#message"))
			}
			if c := b.cookies(t, s.url)["bazis_auth"]; c == nil || c.Value == store {
				t.Error("after logout the page must hold a new store")
			}
			if errs := b.pageErrors(); len(errs) > 0 {
				t.Errorf("page errors: %v", errs)
			}
		})
	}
}

// TestSwaggerUI_Browser authorizes Swagger UI with a password (the OAuth2
// password flow against {prefix}/password/token/) and calls GET /auth/
// with "Try it out": the answer is the session of the user.
func TestSwaggerUI_Browser(t *testing.T) {
	b := newBrowser(t)
	dir := t.TempDir()
	env := []string{"BS_SECRET_KEY=" + cliSecret, "BS_DATABASE_URL=sqlite://" + filepath.Join(dir, "authing.db")}
	mustCLI(t, env, "weak_password_1\n", "users", "create", "--username", "user1", "--email", "user1@site.com", "--password-stdin")
	s := startServer(t, env)

	b.do(t, "opening Swagger UI", chromedp.Navigate(s.url+"/api/swagger/"),
		chromedp.WaitVisible(chromedp.CSS("button.btn.authorize")),
		chromedp.Click(chromedp.CSS("button.btn.authorize")),
		chromedp.WaitVisible(chromedp.ID("oauth_username")))
	b.do(t, "authorizing",
		chromedp.SendKeys(chromedp.ID("oauth_username"), "user1"),
		chromedp.SendKeys(chromedp.ID("oauth_password"), "weak_password_1"),
		chromedp.Click(chromedp.CSS(".auth-btn-wrapper button.authorize")))
	_, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`[...document.querySelectorAll(".auth-container h6")].some(e => e.textContent.includes("Authorized"))`,
		chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		dialog, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector(".modal-ux-content") || {}).innerText`))
		t.Fatalf("Swagger UI did not authorize: %v\n%s\n%s", err, dialog, s.logs)
	}
	// Close the dialog, open GET /auth/, "Try it out", "Execute".
	b.do(t, "trying GET /auth/",
		chromedp.Click(chromedp.CSS("button.btn-done")),
		chromedp.Click(chromedp.CSS("#operations-authing-auth .opblock-summary-control")),
		chromedp.WaitVisible(chromedp.CSS("#operations-authing-auth .try-out__btn")),
		chromedp.Click(chromedp.CSS("#operations-authing-auth .try-out__btn")),
		chromedp.Click(chromedp.CSS("#operations-authing-auth button.execute")))
	status, err := chromedp.Run(b.ctx, chromedp.Poll[string](`(document.querySelector("#operations-authing-auth .live-responses-table tr.response .response-col_status") || {}).textContent`,
		chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		t.Fatalf("no response shown: %v", err)
	}
	body := b.text(t, "#operations-authing-auth .live-responses-table .response-col_description pre")
	if strings.TrimSpace(status) != "200" || !strings.Contains(body, `"username": "user1"`) {
		t.Fatalf("GET /auth/ from Swagger UI: %s %s", status, body)
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}
