// Package custommethod: a sign-in method written outside authing (an API key).
package custommethod

import (
	"authing.dev/authing"
	"crypto/subtle"
	"net/http"
)

// APIKey signs in the user whose key is posted to POST {prefix}/apikey/.
type APIKey struct {
	Keys map[string]string // key → username
	svc  *authing.Service
}

func (m *APIKey) Code() string { return "apikey" }

func (m *APIKey) LoginAction(lang string) authing.Action {
	return authing.Action{Code: "apikey", Name: "API key", URL: m.svc.Path("/apikey/"), Method: http.MethodPost}
}

func (m *APIKey) Register(s *authing.Service) error {
	m.svc = s
	s.Handle("POST /apikey/", m.login)
	return nil
}

func (m *APIKey) login(w http.ResponseWriter, r *http.Request) error {
	body, err := authing.ReadJSONBody(r) // malformed JSON: 422 before the token
	if err != nil {
		return err
	}
	st, err := m.svc.RequireStore(r) // the Bazis 401s: required, invalid, expired
	if err != nil {
		return err
	}
	f, err := body.Strings("key")
	if err != nil {
		return err
	}
	var user *authing.User
	for key, name := range m.Keys {
		u, err := m.svc.Users().UserByUsername(r.Context(), name)
		if subtle.ConstantTimeCompare([]byte(key), []byte(f["key"])) == 1 && err == nil && u.IsActive {
			user = &u
		}
	}
	return m.svc.Complete(w, r, st, m.Code(), user, authing.StoreError{Code: "APIKEY_ERROR", Detail: "Unknown API key"})
}
