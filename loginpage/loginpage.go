package loginpage

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"path"
	"strconv"
	"strings"
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
	files := map[string]struct {
		body []byte
		typ  string
	}{"": {page.Bytes(), "text/html; charset=utf-8"}}
	for name, typ := range map[string]string{"login.js": "text/javascript; charset=utf-8", "login.css": "text/css; charset=utf-8"} {
		b, err := assets.ReadFile("assets/" + name)
		if err != nil {
			panic("loginpage: " + err.Error())
		}
		files[name] = struct {
			body []byte
			typ  string
		}{b, typ}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := ""
		if !strings.HasSuffix(r.URL.Path, "/") {
			name = path.Base(r.URL.Path)
		}
		f, ok := files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.typ)
		h.Set("Content-Length", strconv.Itoa(len(f.body)))
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(f.body)
		}
	})
}
