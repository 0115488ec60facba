package oidc

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"net/http"
	"strconv"

	"authing.dev/authing"
)

// pageScript closes the window that the application opened for the sign-in.
const pageScript = "window.close();"

// pageCSP allows nothing but the one inline script, by its hash.
var pageCSP = func() string {
	h := sha256.Sum256([]byte(pageScript))
	return "default-src 'none'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'; frame-ancestors 'none'"
}()

// writePage answers the callback: a minimal UTF-8 HTML page titled with the
// provider's label, one paragraph telling the user to return to the
// application, and a script that closes the window. It never holds a token
// and never redirects.
func (m *Method) writePage(w http.ResponseWriter, r *http.Request) error {
	lang := m.svc.Language(r)
	body := "<!DOCTYPE html>\n<html lang=\"" + html.EscapeString(lang) + "\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
		html.EscapeString(authing.Translate(lang, m.p.Label)) + "</title>\n</head>\n<body>\n<p>" +
		html.EscapeString(authing.Translate(lang, authing.TextGoogleFinished)) + "</p>\n<script>" + pageScript +
		"</script>\n</body>\n</html>\n"
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body))
	return nil
}
