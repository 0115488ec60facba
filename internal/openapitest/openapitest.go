// Package openapitest checks recorded HTTP exchanges against an OpenAPI 3.1
// document (with kin-openapi), so that the document a Service serves cannot
// drift from what its handlers answer. Tests wrap the handler in a Recorder,
// run their flows through it, then call Validate.
package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Exchange is one request and the response it got.
type Exchange struct {
	Request *http.Request // a clone, without its body
	Status  int
	Header  http.Header
	Body    []byte
}

// Recorder serves Handler and keeps every exchange. It is safe for
// concurrent use.
type Recorder struct {
	Handler http.Handler

	mu sync.Mutex
	ex []Exchange
}

// ServeHTTP implements http.Handler.
func (rc *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := r.Clone(context.Background())
	rr := httptest.NewRecorder()
	rc.Handler.ServeHTTP(rr, r)
	for k, v := range rr.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rr.Code)
	w.Write(rr.Body.Bytes())
	rc.mu.Lock()
	rc.ex = append(rc.ex, Exchange{req, rr.Code, rr.Header().Clone(), rr.Body.Bytes()})
	rc.mu.Unlock()
}

// Exchanges returns the exchanges recorded so far.
func (rc *Recorder) Exchanges() []Exchange {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Exchange(nil), rc.ex...)
}

// Load parses and validates an OpenAPI document.
func Load(t testing.TB, spec []byte) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		t.Fatalf("loading the OpenAPI document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI: %v", err)
	}
	return doc
}

// Validate checks every exchange against doc: the status of each response
// must be documented for its operation, and its headers and body must match
// the document. A path the document does not list must have answered 404
// (the error envelope, component errorsSchema) or the 307 to the slashed
// path; a method it does not list, 405 with Allow. It returns the answers
// seen, as "METHOD /path STATUS".
func Validate(t testing.TB, doc *openapi3.T, errorsSchema string, exchanges []Exchange) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, ex := range exchanges {
		path, method := ex.Request.URL.Path, ex.Request.Method
		item := doc.Paths.Value(path)
		switch {
		case item == nil:
			if ex.Status != http.StatusNotFound && ex.Status != http.StatusTemporaryRedirect {
				t.Errorf("%s %s: status %d for a path that the document does not list", method, path, ex.Status)
			}
			if ex.Status == http.StatusNotFound {
				validateSchema(t, doc, errorsSchema, ex)
			}
			continue
		case method == http.MethodHead:
			continue
		}
		op := item.GetOperation(method)
		if op == nil {
			if ex.Status != http.StatusMethodNotAllowed || ex.Header.Get("Allow") == "" {
				t.Errorf("%s %s: status %d for a method that the document does not list", method, path, ex.Status)
			}
			validateSchema(t, doc, errorsSchema, ex)
			continue
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{
				Request: ex.Request,
				Route:   &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op},
			},
			Status:  ex.Status,
			Header:  ex.Header,
			Body:    io.NopCloser(bytes.NewReader(ex.Body)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			t.Errorf("%s %s → %d does not match the document: %v\nbody: %s", method, path, ex.Status, err, ex.Body)
		}
		seen[fmt.Sprintf("%s %s %d", method, path, ex.Status)] = true
	}
	return seen
}

func validateSchema(t testing.TB, doc *openapi3.T, name string, ex Exchange) {
	t.Helper()
	var v any
	if err := json.Unmarshal(ex.Body, &v); err != nil {
		t.Errorf("%s %s: body is not JSON: %q", ex.Request.Method, ex.Request.URL.Path, ex.Body)
		return
	}
	if err := doc.Components.Schemas[name].Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		t.Errorf("%s %s → %d: not a %s: %v", ex.Request.Method, ex.Request.URL.Path, ex.Status, name, err)
	}
}

// Unseen lists the documented answers ("METHOD /path STATUS") that seen
// lacks, but for 500 and default.
func Unseen(doc *openapi3.T, seen map[string]bool) []string {
	var out []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status := range op.Responses.Map() {
				k := method + " " + path + " " + status
				if !seen[k] && status != "500" && status != "default" {
					out = append(out, k)
				}
			}
		}
	}
	return out
}
