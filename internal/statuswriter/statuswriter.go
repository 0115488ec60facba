// Package statuswriter records the status of an HTTP answer for the access
// log and the request metrics.
package statuswriter

import "net/http"

// Writer wraps a ResponseWriter and remembers the first status written
// (200 when the body is written without WriteHeader).
type Writer struct {
	http.ResponseWriter
	Status int
}

// WriteHeader implements http.ResponseWriter.
func (s *Writer) WriteHeader(code int) {
	if s.Status == 0 {
		s.Status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (s *Writer) Write(b []byte) (int, error) {
	if s.Status == 0 {
		s.Status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the underlying writer.
func (s *Writer) Unwrap() http.ResponseWriter { return s.ResponseWriter }
