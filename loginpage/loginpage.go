package loginpage

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strings"

	"authing.dev/authing/internal/static"
)

//go:embed assets
var assets embed.FS

// Options configure the page. The zero value serves a page for the Bazis
// defaults.
type Options struct {
	// Prefix is the path prefix of the sign-in API. Default
	// "/api/v1/authing".
	Prefix string
	// CookieName is BAZIS_AUTH_COOKIE_NAME, also the query parameter that
	// carries the store token to GET actions. Default "bazis_auth".
	CookieName string
	// Title of the page. Default "Sign in".
	Title string
}

const csp = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Handler serves the page at the path it is mounted on (a path ending in
// "/") and its two assets next to it (login.js, login.css).
func Handler(opts Options) http.Handler {
	if opts.Prefix == "" {
		opts.Prefix = "/api/v1/authing"
	}
	opts.Prefix = "/" + strings.Trim(opts.Prefix, "/")
	if opts.Prefix == "/" {
		opts.Prefix = ""
	}
	if opts.CookieName == "" {
		opts.CookieName = "bazis_auth"
	}
	if opts.Title == "" {
		opts.Title = "Sign in"
	}
	tpl := template.Must(template.ParseFS(assets, "assets/index.html"))
	var page bytes.Buffer
	if err := tpl.Execute(&page, opts); err != nil {
		panic("loginpage: " + err.Error()) // the embedded template is fixed
	}
	files := static.Files{"": {Body: page.Bytes(), Type: "text/html; charset=utf-8"}}
	files.Add(assets, "assets/login.js", "text/javascript; charset=utf-8", "")
	files.Add(assets, "assets/login.css", "text/css; charset=utf-8", "")
	return static.Handler(files, csp, map[string]string{"X-Frame-Options": "DENY"})
}
