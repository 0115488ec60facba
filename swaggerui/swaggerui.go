package swaggerui

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed dist index.html init.js
var files embed.FS

// Version is the vendored swagger-ui-dist release.
const Version = "5.35.0"

// Options configure the page.
type Options struct {
	// SpecURL is the path of the OpenAPI document. Default
	// "/api/v1/authing/openapi.json".
	SpecURL string
	// Title of the page. Default "authing API".
	Title string
}

const csp = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

type file struct {
	body []byte
	typ  string
}

// Handler serves Swagger UI at the path it is mounted on (ending in "/")
// and its assets next to it.
func Handler(opts Options) http.Handler {
	if opts.SpecURL == "" {
		opts.SpecURL = "/api/v1/authing/openapi.json"
	}
	if opts.Title == "" {
		opts.Title = "authing API"
	}
	var page bytes.Buffer
	template.Must(template.ParseFS(files, "index.html")).Execute(&page, opts)
	served := map[string]file{"": {page.Bytes(), "text/html; charset=utf-8"}}
	for name, typ := range map[string]string{
		"init.js":                               "text/javascript; charset=utf-8",
		"dist/swagger-ui-bundle.js":             "text/javascript; charset=utf-8",
		"dist/swagger-ui.css":                   "text/css; charset=utf-8",
		"dist/favicon-32x32.png":                "image/png",
		"dist/LICENSE":                          "text/plain; charset=utf-8",
		"dist/NOTICE":                           "text/plain; charset=utf-8",
		"dist/swagger-ui-bundle.js.LICENSE.txt": "text/plain; charset=utf-8",
	} {
		b, err := files.ReadFile(name)
		if err != nil {
			panic("swaggerui: " + err.Error())
		}
		served[path.Base(name)] = file{b, typ}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := ""
		if !strings.HasSuffix(r.URL.Path, "/") {
			name = path.Base(r.URL.Path)
		}
		f, ok := served[name]
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
		h.Set("Referrer-Policy", "no-referrer")
		if name == "" || name == "init.js" {
			h.Set("Cache-Control", "no-cache")
		} else {
			h.Set("Cache-Control", "public, max-age=86400")
		}
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(f.body)
		}
	})
}
