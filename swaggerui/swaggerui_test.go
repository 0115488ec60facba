package swaggerui_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"authing.dev/authing/swaggerui"
)

func TestHandler(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/api/swagger/", swaggerui.Handler(swaggerui.Options{SpecURL: "/x/openapi.json"}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for path, want := range map[string]string{
		"/api/swagger/":                     `<meta name="openapi-url" content="/x/openapi.json">`,
		"/api/swagger/init.js":              "SwaggerUIBundle(",
		"/api/swagger/swagger-ui-bundle.js": "SwaggerUIBundle",
		"/api/swagger/swagger-ui.css":       ".swagger-ui",
		"/api/swagger/LICENSE":              "Apache License",
		"/api/swagger/NOTICE":               "SmartBear",
	} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(b), want) || res.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: %d, lacks %q", path, res.StatusCode, want)
		}
	}
	for path, want := range map[string]int{"/api/swagger/index.html": 404, "/api/swagger/swagger-ui.js.map": 404} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s: %d", path, res.StatusCode)
		}
	}
	// Nothing is loaded from another origin.
	res, _ := http.Get(srv.URL + "/api/swagger/")
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(b), "http") {
		t.Errorf("the page loads an external URL:\n%s", b)
	}
}
