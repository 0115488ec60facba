package authing

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
)

// ErrorObject is one member of the Bazis JSON:API "errors" array. Members are
// serialized in the order status, title, code, detail, source, meta and empty
// members are omitted, as Bazis does.
type ErrorObject struct {
	Status int          `json:"status"`
	Title  string       `json:"title,omitempty"`
	Code   string       `json:"code,omitempty"`
	Detail string       `json:"detail,omitempty"`
	Source *ErrorSource `json:"source,omitempty"`
	Meta   any          `json:"meta,omitempty"`
}

// ErrorSource locates a validation error.
type ErrorSource struct {
	Pointer   *string `json:"pointer,omitempty"`
	Parameter string  `json:"parameter,omitempty"`
}

// Error is an answer in the Bazis error envelope: the HTTP status of the
// whole response (which Bazis does not derive from the objects), the error
// objects, extra response headers, and a cause that is logged but never sent.
// Handlers return an *Error; the Service renders it in one place.
type Error struct {
	HTTPStatus int
	Objects    []ErrorObject
	Header     http.Header
	Cause      error
}

func (e *Error) Error() string {
	msg := "authing: HTTP " + strconv.Itoa(e.HTTPStatus)
	if len(e.Objects) > 0 {
		if o := e.Objects[0]; o.Code != "" {
			msg += " " + o.Code
		}
		if o := e.Objects[0]; o.Detail != "" {
			msg += ": " + o.Detail
		}
	}
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Cause }

// httpHeaders is the meta of an error built from an HTTP exception that
// carries headers: {"headers": {...}}.
type httpHeaders struct {
	Headers map[string]string `json:"headers"`
}

// HTTPError builds the single-object envelope of a Bazis HTTP exception:
// status, optional code, detail, and, when headers are given, the same
// headers both on the response and in meta.headers.
func HTTPError(status int, code, detail string, headers ...string) *Error {
	e := &Error{HTTPStatus: status, Objects: []ErrorObject{{Status: status, Code: code, Detail: detail}}}
	if len(headers) > 0 {
		m := make(map[string]string, len(headers)/2)
		e.Header = make(http.Header, len(headers)/2)
		for i := 0; i+1 < len(headers); i += 2 {
			m[headers[i]] = headers[i+1]
			e.Header.Set(headers[i], headers[i+1])
		}
		e.Objects[0].Meta = httpHeaders{m}
	}
	return e
}

// Unauthorized is the 401 ERR_UNAUTHORIZED answer of the store-token and
// session-token checks (no WWW-Authenticate header).
func Unauthorized(detail string) *Error {
	return HTTPError(http.StatusUnauthorized, "ERR_UNAUTHORIZED", detail)
}

// Details of the 401 answers, as Bazis words them.
const (
	DetailTokenRequired       = "Token required"
	DetailTokenInvalid        = "Token is invalid"
	DetailTokenExpired        = "Token has been expired"
	DetailCredentialsInvalid  = "Credentials are invalid"
	DetailServiceUnavailable  = "Service temporarily unavailable"
	CodeServiceUnavailable    = "SERVICE_UNAVAILABLE"
	CodeUsernamePasswordError = "USERNAME_PASSWORD_ERROR"
)

// Unavailable is the 503 answer when a backing service fails.
func Unavailable(cause error) *Error {
	e := HTTPError(http.StatusServiceUnavailable, CodeServiceUnavailable, DetailServiceUnavailable, "Retry-After", "1")
	e.Cause = cause
	return e
}

// asError turns any handler error into an *Error: an *Error as is, a backing
// service failure as 503, a cancelled request as 499-like 503, anything else
// as a bare 500 without detail (never a traceback).
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return Unavailable(err)
	}
	return &Error{HTTPStatus: http.StatusInternalServerError,
		Objects: []ErrorObject{{Status: http.StatusInternalServerError}}, Cause: err}
}

type envelope struct {
	Errors []ErrorObject `json:"errors"`
}

// writeError renders err as the Bazis envelope and logs it with the
// service's logger.
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	renderError(s.log, w, r, err)
}

// renderError renders err as the Bazis envelope. It is the only place that
// writes error bodies.
func renderError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	h := w.Header()
	for k, v := range e.Header {
		h[k] = v
	}
	body, merr := json.Marshal(envelope{e.Objects})
	if merr != nil { // a method put something unencodable into meta
		e = asError(merr)
		body = []byte(`{"errors":[{"status":500}]}`)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(e.HTTPStatus)
	w.Write(body)
	if e.HTTPStatus >= 500 || e.Cause != nil {
		lvl := slog.LevelDebug // a client's mistake
		switch {
		case e.HTTPStatus == http.StatusInternalServerError:
			lvl = slog.LevelError
		case e.HTTPStatus >= 500:
			lvl = slog.LevelWarn
		}
		log.LogAttrs(r.Context(), lvl, "request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", e.HTTPStatus), slog.Any("error", e.Cause))
	}
}
