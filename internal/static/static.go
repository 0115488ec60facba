// Package static serves a small set of embedded files (the login page and
// Swagger UI) with strict headers.
package static

import (
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// File is one served file.
type File struct {
	Body         []byte
	Type         string // Content-Type
	CacheControl string // default "no-cache"
}

// Files maps a base name to its file; "" is the page served at the mount
// path itself (a path ending in "/").
type Files map[string]File

// Add reads name from fsys and serves it under its base name.
func (files Files) Add(fsys fs.FS, name, typ, cacheControl string) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		panic("static: embedded file missing: " + err.Error()) // the embedded set is fixed
	}
	files[path.Base(name)] = File{Body: b, Type: typ, CacheControl: cacheControl}
}

// Handler serves files for GET and HEAD with the given Content-Security-Policy
// and the extra headers; other names are 404, other methods 405.
func Handler(files Files, csp string, extra map[string]string) http.Handler {
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
		h.Set("Content-Type", f.Type)
		h.Set("Content-Length", strconv.Itoa(len(f.Body)))
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		for k, v := range extra {
			h.Set(k, v)
		}
		cc := f.CacheControl
		if cc == "" {
			cc = "no-cache"
		}
		h.Set("Cache-Control", cc)
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(f.Body)
		}
	})
}
