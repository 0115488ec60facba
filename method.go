package authing

import "net/http"

// Method is one way to sign in (password, Google, an OpenID Connect
// provider, LDAP, ...). Methods are listed in order in the configuration
// (BAZIS_AUTH_KINDS); GET /auth/ offers their login actions in that order.
//
// A method may also implement LogoutActioner.
type Method interface {
	// Code is the AUTH_CODE: it becomes the store's auth type and the
	// session token's auth_type claim.
	Code() string
	// Register adds the method's routes with s.Handle. It is called once by
	// New; the method may keep s to use its helpers in its handlers.
	Register(s *Service) error
	// LoginAction is the action offered in GET /auth/ meta.actions, with the
	// name in the given language.
	LoginAction(lang string) Action
}

// LogoutActioner is implemented by methods whose sessions have logout
// actions, returned as logout_actions by GET /auth/ when the session's
// auth_type is the method's code.
type LogoutActioner interface {
	LogoutActions(lang string) []Action
}

// Action is a login or logout action as Bazis renders it.
type Action struct {
	Code   string `json:"code,omitempty"`
	Name   string `json:"name,omitempty"`
	URL    string `json:"url"`
	Method string `json:"method"`
}

// HandlerFunc is a handler that returns its error instead of writing it; the
// Service renders errors as the Bazis envelope in one place.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error
