package swaggerui

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"

	"authing.dev/authing/internal/static"
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
	served := static.Files{"": {Body: page.Bytes(), Type: "text/html; charset=utf-8"}}
	served.Add(files, "init.js", "text/javascript; charset=utf-8", "")
	for name, typ := range map[string]string{
		"dist/swagger-ui-bundle.js":             "text/javascript; charset=utf-8",
		"dist/swagger-ui.css":                   "text/css; charset=utf-8",
		"dist/favicon-32x32.png":                "image/png",
		"dist/LICENSE":                          "text/plain; charset=utf-8",
		"dist/NOTICE":                           "text/plain; charset=utf-8",
		"dist/swagger-ui-bundle.js.LICENSE.txt": "text/plain; charset=utf-8",
	} {
		served.Add(files, name, typ, "public, max-age=86400")
	}
	return static.Handler(served, csp, nil)
}
