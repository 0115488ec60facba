package hashers

import (
	"fmt"
	"sync"
)

// Set is Django's PASSWORD_HASHERS: the preferred hasher encodes, and every
// known format verifies.
//
// Unlike Django, which verifies only the listed hashers, a Set verifies all
// the formats of this package whether or not they are listed, because
// authing exists to sign in users migrated from Django. The listed hashers
// (the preferred one first, then the others in order) take precedence over
// the built-in ones of the same Algorithm, which is how a deployment sets
// its own limits or adds a format of its own. A Set is safe for concurrent
// use.
type Set struct {
	preferred Hasher
	byAlg     map[string]Hasher

	dummyOnce sync.Once
	dummy     string // a hash of a random password by preferred; "" if Encode failed
}

// NewSet returns a Set that encodes with preferred and also verifies with
// others. A nil preferred means Argon2{}.
func NewSet(preferred Hasher, others ...Hasher) *Set {
	if preferred == nil {
		preferred = Argon2{}
	}
	s := &Set{preferred: preferred, byAlg: make(map[string]Hasher)}
	for _, h := range append([]Hasher{preferred}, others...) {
		if h == nil {
			continue
		}
		if _, dup := s.byAlg[h.Algorithm()]; !dup {
			s.byAlg[h.Algorithm()] = h
		}
	}
	for _, h := range builtins() {
		if _, listed := s.byAlg[h.Algorithm()]; !listed {
			s.byAlg[h.Algorithm()] = h
		}
	}
	return s
}

// NewSetFromNames builds a Set from Django's PASSWORD_HASHERS list, whose
// entries are class paths ("django.contrib.auth.hashers.PBKDF2PasswordHasher")
// or algorithm names ("pbkdf2_sha256"); the first is preferred. An empty
// list gives Default(). An unknown entry is an error wrapping
// ErrUnknownAlgorithm.
func NewSetFromNames(names []string) (*Set, error) {
	if len(names) == 0 {
		return Default(), nil
	}
	hs := make([]Hasher, len(names))
	for i, name := range names {
		h, err := Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("hashers: PASSWORD_HASHERS[%d]: %w", i, err)
		}
		hs[i] = h
	}
	return NewSet(hs[0], hs[1:]...), nil
}

// Default returns a Set that prefers argon2id with OWASP's parameters
// (Argon2{}).
func Default() *Set { return NewSet(Argon2{}) }

// Preferred returns the hasher that encodes.
func (s *Set) Preferred() Hasher { return s.preferred }

// Encode hashes password with the preferred hasher.
func (s *Set) Encode(password string) (string, error) { return s.preferred.Encode(password) }

// Verify reports whether password matches encoded. upgrade is true when ok
// and the hash's algorithm differs from the preferred one or the preferred
// hasher's MustUpdate says so; the caller should then store
// s.Encode(password).
//
// An unusable ("!…") or empty hash gives (false, false, nil). An unknown
// algorithm or a hash that cannot be checked gives false and an error
// wrapping ErrUnknownAlgorithm, ErrMalformed, ErrLimit or ErrUnsupported,
// for the log; never show it to the user. In all these cases Verify spends
// the work of VerifyDummy, so that the answer does not come back faster than
// for a real hash.
func (s *Set) Verify(password, encoded string) (ok, upgrade bool, err error) {
	if encoded == "" || !IsUsable(encoded) {
		s.VerifyDummy(password)
		return false, false, nil
	}
	alg := algorithmOf(encoded)
	h, known := s.byAlg[alg]
	if !known {
		s.VerifyDummy(password)
		return false, false, fmt.Errorf("%w: %s", ErrUnknownAlgorithm, safeName(alg))
	}
	ok, err = h.Verify(password, encoded)
	if err != nil {
		s.VerifyDummy(password)
		return false, false, err
	}
	sameAlg := alg == s.preferred.Algorithm()
	mustUpdate := !sameAlg || s.preferred.MustUpdate(encoded)
	if !ok {
		// As Django's check_password: pad a wrong password against a weaker
		// hash of the preferred algorithm to the preferred cost.
		if sameAlg && mustUpdate {
			if hr, can := s.preferred.(hardener); can {
				hr.hardenRuntime(password, encoded)
			}
		}
		return false, false, nil
	}
	return true, mustUpdate, nil
}

// VerifyDummy does the work of verifying a wrong password against a hash of
// the preferred hasher, and discards the result. Call it when the user is
// unknown or inactive, so that such a sign-in cannot be told apart by its
// timing. The dummy hash is made on first use.
func (s *Set) VerifyDummy(password string) {
	s.dummyOnce.Do(func() {
		// An Encode error leaves dummy empty: there is then no hash to time
		// against, and a preferred hasher that cannot encode fails loudly
		// in Encode anyway.
		s.dummy, _ = s.preferred.Encode(randomString(32))
	})
	if s.dummy != "" {
		s.preferred.Verify(password, s.dummy)
	}
}
