package authing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Store keeps short-lived sign-in state: one entry per sign-in in progress,
// keyed by the key of a store token, and the one-time states of redirect
// flows. Keys are opaque strings chosen by the Service and the methods (the
// Service uses "auth_store_<key>" as Bazis does).
//
// Every implementation must pass authingtest.TestStore. In particular Claim
// must be atomic: of any number of concurrent Claims of one key, on any number
// of processes sharing the backend, exactly one reports won == true.
type Store interface {
	// Put writes d under key, replacing any previous value, with the given
	// lifetime (rounded up to whole seconds by some backends).
	Put(ctx context.Context, key string, d StoreData, ttl time.Duration) error
	// Get reads the entry. A missing or expired entry gives found == false;
	// an entry holding empty StoreData is found.
	Get(ctx context.Context, key string) (d StoreData, found bool, err error)
	// Claim atomically reads and deletes the entry. Only the caller that
	// actually removed it gets won == true and the data.
	Claim(ctx context.Context, key string) (d StoreData, won bool, err error)
	// Delete removes the entry; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// StoreData is the value of one store entry. The JSON form uses the Bazis key
// names (_user_id, _auth_type, _errors, _actions); Values holds a method's own
// state under free keys and is flattened into the same JSON object.
type StoreData struct {
	// UserID is the primary key of the signed-in user; empty while anonymous.
	UserID string
	// AuthType is the code of the method that signed the user in.
	AuthType string
	// Errors are sign-in errors, reported by GET /auth/ in insertion order.
	Errors []StoreError
	// Actions is the next step of a multi-step sign-in, reported by GET
	// /auth/ as the status-100 "Next action" error.
	Actions *Actions
	// Values holds a method's own state (for example a pending second factor).
	// Keys must not start with an underscore.
	Values map[string]string
}

// StoreError is one sign-in error recorded in a store.
type StoreError struct {
	Code   string `json:"code"`
	Detail string `json:"detail,omitempty"`
}

// Actions describes the next step of a multi-step sign-in.
type Actions struct {
	Code   string `json:"code"`
	Name   string `json:"name,omitempty"`
	Values []any  `json:"values"`
}

// SignedIn reports whether the store carries a user waiting to be claimed.
func (d StoreData) SignedIn() bool { return d.UserID != "" }

// Clone returns a deep copy (stores hand out copies, never shared slices).
func (d StoreData) Clone() StoreData {
	c := d
	if d.Errors != nil {
		c.Errors = append([]StoreError(nil), d.Errors...)
	}
	if d.Actions != nil {
		a := *d.Actions
		a.Values = append([]any(nil), d.Actions.Values...)
		c.Actions = &a
	}
	if d.Values != nil {
		c.Values = make(map[string]string, len(d.Values))
		for k, v := range d.Values {
			c.Values[k] = v
		}
	}
	return c
}

type storeJSON struct {
	UserID   string       `json:"_user_id,omitempty"`
	AuthType string       `json:"_auth_type,omitempty"`
	Errors   []StoreError `json:"_errors,omitempty"`
	Actions  *Actions     `json:"_actions,omitempty"`
}

// MarshalJSON encodes the data as one flat JSON object with the Bazis key
// names; an empty StoreData encodes as {}.
func (d StoreData) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(storeJSON{d.UserID, d.AuthType, d.Errors, d.Actions})
	if err != nil || len(d.Values) == 0 {
		return b, err
	}
	extra, err := json.Marshal(d.Values)
	if err != nil {
		return nil, err
	}
	if len(b) == 2 { // {}
		return extra, nil
	}
	return append(append(b[:len(b)-1:len(b)-1], ','), extra[1:]...), nil
}

// UnmarshalJSON decodes the form written by MarshalJSON.
func (d *StoreData) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw == nil {
		return errors.New("authing: store data is not an object")
	}
	var s storeJSON
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*d = StoreData{UserID: s.UserID, AuthType: s.AuthType, Errors: s.Errors, Actions: s.Actions}
	for k, v := range raw {
		if len(k) > 0 && k[0] == '_' {
			continue
		}
		var str string
		if err := json.Unmarshal(v, &str); err != nil {
			return fmt.Errorf("authing: store value %q is not a string", k)
		}
		if d.Values == nil {
			d.Values = make(map[string]string)
		}
		d.Values[k] = str
	}
	return nil
}
