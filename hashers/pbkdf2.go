package hashers

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"
)

// DefaultPBKDF2Iterations is Django's PBKDF2 iteration count for new hashes
// as of Django 6.1 (released August 2026; 6.0 used 1,200,000 and 5.2
// 1,000,000). Django raises it with every feature release.
const DefaultPBKDF2Iterations = 1_500_000

// DefaultMaxPBKDF2Iterations is the largest iteration count verified by
// default: a few seconds of SHA-256 on one core, about seven times Django's
// current default.
const DefaultMaxPBKDF2Iterations = 10_000_000

// PBKDF2SHA256 is Django's PBKDF2PasswordHasher, "pbkdf2_sha256": PBKDF2 with
// HMAC-SHA256, a 22-character salt of letters and digits and a 32-byte key.
// The zero value uses Django's defaults.
type PBKDF2SHA256 struct {
	// Iterations for new hashes; zero means DefaultPBKDF2Iterations.
	Iterations int
	// MaxIterations is the largest count Verify accepts; zero means
	// DefaultMaxPBKDF2Iterations.
	MaxIterations int
}

// PBKDF2SHA1 is Django's PBKDF2SHA1PasswordHasher, "pbkdf2_sha1": as
// PBKDF2SHA256 with HMAC-SHA1 and a 20-byte key, and the same iteration
// count. The zero value uses Django's defaults.
type PBKDF2SHA1 struct {
	// Iterations for new hashes; zero means DefaultPBKDF2Iterations.
	Iterations int
	// MaxIterations is the largest count Verify accepts; zero means
	// DefaultMaxPBKDF2Iterations.
	MaxIterations int
}

var (
	_ Hasher   = PBKDF2SHA256{}
	_ Hasher   = PBKDF2SHA1{}
	_ hardener = PBKDF2SHA256{}
	_ hardener = PBKDF2SHA1{}
)

// Algorithm returns "pbkdf2_sha256".
func (PBKDF2SHA256) Algorithm() string { return algPBKDF2SHA256 }

// Encode hashes password with a fresh salt.
func (h PBKDF2SHA256) Encode(password string) (string, error) {
	return h.algo().encode(password, randomString(saltChars))
}

// Verify reports whether password matches encoded.
func (h PBKDF2SHA256) Verify(password, encoded string) (bool, error) {
	return h.algo().verify(password, encoded)
}

// MustUpdate reports whether encoded has fewer iterations than h or a salt
// of fewer than 128 bits (Django's rule).
func (h PBKDF2SHA256) MustUpdate(encoded string) bool { return h.algo().mustUpdate(encoded) }

func (h PBKDF2SHA256) hardenRuntime(password, encoded string) {
	h.algo().hardenRuntime(password, encoded)
}

func (h PBKDF2SHA256) algo() pbkdf2Algo {
	return pbkdf2Algo{algPBKDF2SHA256, sha256.New, sha256.Size, h.Iterations, h.MaxIterations}
}

// Algorithm returns "pbkdf2_sha1".
func (PBKDF2SHA1) Algorithm() string { return algPBKDF2SHA1 }

// Encode hashes password with a fresh salt.
func (h PBKDF2SHA1) Encode(password string) (string, error) {
	return h.algo().encode(password, randomString(saltChars))
}

// Verify reports whether password matches encoded.
func (h PBKDF2SHA1) Verify(password, encoded string) (bool, error) {
	return h.algo().verify(password, encoded)
}

// MustUpdate reports whether encoded has fewer iterations than h or a salt
// of fewer than 128 bits (Django's rule).
func (h PBKDF2SHA1) MustUpdate(encoded string) bool { return h.algo().mustUpdate(encoded) }

func (h PBKDF2SHA1) hardenRuntime(password, encoded string) {
	h.algo().hardenRuntime(password, encoded)
}

func (h PBKDF2SHA1) algo() pbkdf2Algo {
	return pbkdf2Algo{algPBKDF2SHA1, sha1.New, sha1.Size, h.Iterations, h.MaxIterations}
}

// pbkdf2Algo is the code shared by both PBKDF2 hashers.
type pbkdf2Algo struct {
	name       string
	newHash    func() hash.Hash
	size       int
	iterations int
	max        int
}

func (a pbkdf2Algo) iter() int {
	if a.iterations <= 0 {
		return DefaultPBKDF2Iterations
	}
	return a.iterations
}

func (a pbkdf2Algo) maxIter() int {
	if a.max <= 0 {
		return DefaultMaxPBKDF2Iterations
	}
	return a.max
}

func (a pbkdf2Algo) key(password, salt string, iterations int) (string, error) {
	k, err := pbkdf2.Key(a.newHash, password, []byte(salt), iterations, a.size)
	if err != nil {
		return "", fmt.Errorf("hashers: %s: %w", a.name, err)
	}
	return base64.StdEncoding.EncodeToString(k), nil
}

// encode is Django's PBKDF2PasswordHasher.encode.
func (a pbkdf2Algo) encode(password, salt string) (string, error) {
	if salt == "" || strings.Contains(salt, "$") {
		return "", fmt.Errorf("hashers: %s: salt must be non-empty and without '$'", a.name)
	}
	it := a.iter()
	k, err := a.key(password, salt, it)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s$%d$%s$%s", a.name, it, salt, k), nil
}

type pbkdf2Hash struct {
	iterations int
	salt, hash string
}

// parse splits encoded as Django's decode does (split("$", 3)) and checks
// what Django's verify would implicitly require for a match.
func (a pbkdf2Algo) parse(encoded string) (pbkdf2Hash, error) {
	if err := checkPrefix(a.name, encoded); err != nil {
		return pbkdf2Hash{}, err
	}
	parts := strings.SplitN(encoded, "$", 4)
	if len(parts) != 4 {
		return pbkdf2Hash{}, malformed(a.name, "want 4 fields")
	}
	n, ok := parseCanonical(parts[1])
	if !ok {
		return pbkdf2Hash{}, malformed(a.name, "bad iteration count")
	}
	if n > uint64(a.maxIter()) {
		return pbkdf2Hash{}, overLimit(a.name, "%d iterations, limit %d", n, a.maxIter())
	}
	if parts[2] == "" {
		return pbkdf2Hash{}, malformed(a.name, "empty salt")
	}
	if len(parts[3]) != base64.StdEncoding.EncodedLen(a.size) {
		return pbkdf2Hash{}, malformed(a.name, "hash is not %d bytes of base64", a.size)
	}
	return pbkdf2Hash{int(n), parts[2], parts[3]}, nil
}

func (a pbkdf2Algo) verify(password, encoded string) (bool, error) {
	p, err := a.parse(encoded)
	if err != nil {
		return false, err
	}
	k, err := a.key(password, p.salt, p.iterations)
	if err != nil {
		return false, err
	}
	// Django compares the re-encoded string; the prefix is equal by parse.
	return subtle.ConstantTimeCompare([]byte(k), []byte(p.hash)) == 1, nil
}

func (a pbkdf2Algo) mustUpdate(encoded string) bool {
	p, err := a.parse(encoded)
	if err != nil {
		return true
	}
	return p.iterations < a.iter() || weakSalt(p.salt)
}

// hardenRuntime runs the iterations that a hash weaker than a's default
// saved, as Django's PBKDF2PasswordHasher.harden_runtime.
func (a pbkdf2Algo) hardenRuntime(password, encoded string) {
	if p, extra := a.hardenWork(encoded); extra > 0 {
		a.key(password, p.salt, extra)
	}
}

// hardenWork returns the parsed hash and the iterations it lacks.
func (a pbkdf2Algo) hardenWork(encoded string) (pbkdf2Hash, int) {
	p, err := a.parse(encoded)
	if err != nil {
		return p, 0
	}
	return p, max(a.iter()-p.iterations, 0)
}
