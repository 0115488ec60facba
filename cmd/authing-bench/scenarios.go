package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// Scenario names, in the order they run by default.
const (
	scBaseline  = "baseline"
	scAnonymous = "anonymous"
	scSignIn    = "signin"
	scRefresh   = "refresh"
	scToken     = "token"
	scLogout    = "logout"
)

var allScenarios = []string{scBaseline, scAnonymous, scSignIn, scRefresh, scToken, scLogout}

// hashBound reports whether a scenario hashes a password per operation, so
// that it is judged against the hash bound and run with --hash-clients.
func hashBound(name string) bool { return name == scSignIn || name == scToken }

// target is the server under load: its base URL, API prefix and the user
// that signs in.
type target struct {
	base     string // http://127.0.0.1:PORT
	prefix   string // /api/v1/authing
	cookie   string // the cookie that carries the store token
	username string
	password string
}

func (t target) jsonCredentials() string {
	b, _ := json.Marshal(map[string]string{"username": t.username, "password": t.password})
	return string(b)
}

func (t target) formCredentials() string {
	return url.Values{"grant_type": {"password"}, "username": {t.username}, "password": {t.password}}.Encode()
}

// storeToken returns the store token of an anonymous GET /auth/ (from its
// cookie, as a browser would keep it).
func storeToken(c *client, t target) (string, error) {
	res, _, err := c.do(c.get(t.prefix+"/auth/", ""), http.StatusBadRequest, false)
	if err != nil {
		return "", err
	}
	for _, sc := range res.Header.Values("Set-Cookie") {
		name, rest, _ := strings.Cut(sc, "=")
		if name == t.cookie {
			v, _, _ := strings.Cut(rest, ";")
			if v != "" {
				return v, nil
			}
		}
	}
	return "", errors.New("GET /auth/: no store cookie")
}

// sessionToken signs in through the token endpoint.
func sessionToken(c *client, t target) (string, error) {
	_, body, err := c.do(c.post(t.prefix+"/password/token/", "", "application/x-www-form-urlencoded", t.formCredentials()),
		http.StatusOK, true)
	if err != nil {
		return "", err
	}
	var a struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.AccessToken == "" {
		return "", errors.New("token endpoint: no access_token in the answer")
	}
	return a.AccessToken, nil
}

// scenarioFor returns the scenario of a name. shared is a token obtained
// once for every client (a session token for refresh, a store token for
// logout).
func scenarioFor(name string, t target, shared string) scenario {
	switch name {
	case scBaseline:
		return scenario{name: name, op: func(c *client) (int, error) {
			_, _, err := c.do(c.get("/", ""), http.StatusOK, false)
			return 1, err
		}}
	case scAnonymous:
		return scenario{name: name, op: func(c *client) (int, error) {
			_, _, err := c.do(c.get(t.prefix+"/auth/", ""), http.StatusBadRequest, false)
			return 1, err
		}}
	case scSignIn:
		creds := t.jsonCredentials()
		return scenario{name: name, op: func(c *client) (int, error) {
			st, err := storeToken(c, t)
			if err != nil {
				return 1, err
			}
			if _, _, err := c.do(c.post(t.prefix+"/password/", st, "application/json", creds), http.StatusSeeOther, false); err != nil {
				return 2, err
			}
			_, _, err = c.do(c.get(t.prefix+"/auth/", st), http.StatusOK, false)
			return 3, err
		}}
	case scRefresh:
		return scenario{name: name, op: func(c *client) (int, error) {
			_, _, err := c.do(c.get(t.prefix+"/auth/", shared), http.StatusOK, false)
			return 1, err
		}}
	case scToken:
		form := t.formCredentials()
		return scenario{name: name, op: func(c *client) (int, error) {
			_, _, err := c.do(c.post(t.prefix+"/password/token/", "", "application/x-www-form-urlencoded", form), http.StatusOK, false)
			return 1, err
		}}
	case scLogout:
		return scenario{name: name, op: func(c *client) (int, error) {
			_, _, err := c.do(c.post(t.prefix+"/logout/", shared, "", ""), http.StatusNoContent, false)
			return 1, err
		}}
	}
	return scenario{}
}
