package hashers

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Hasher is one algorithm.
//
// Verify returns (false, nil) for a wrong password and (false, err) when the
// encoded string cannot be checked; err then wraps ErrMalformed, ErrLimit,
// ErrUnsupported or ErrUnknownAlgorithm. Implementations must be safe for
// concurrent use.
type Hasher interface {
	// Algorithm is Django's name of the algorithm: the text before the first
	// "$" of the hashes it encodes ("pbkdf2_sha256", "argon2", ...).
	Algorithm() string
	// Encode hashes password with a fresh random salt.
	Encode(password string) (string, error)
	// Verify reports whether password matches encoded.
	Verify(password, encoded string) (bool, error)
	// MustUpdate reports whether encoded (of this algorithm) uses parameters
	// weaker than this hasher's. It returns true for a string that it
	// cannot parse.
	MustUpdate(encoded string) bool
}

// Errors returned by Verify, wrapped with detail; compare with errors.Is.
var (
	// ErrUnknownAlgorithm: the hash names no algorithm this package or the
	// Set knows.
	ErrUnknownAlgorithm = errors.New("hashers: unknown algorithm")
	// ErrMalformed: the hash is not in its algorithm's format.
	ErrMalformed = errors.New("hashers: malformed hash")
	// ErrLimit: the hash's cost parameters are above the verifier's limits.
	ErrLimit = errors.New("hashers: hash parameters above limit")
	// ErrUnsupported: the hash is a valid Django format that this package
	// cannot verify (argon2 version 0x10, argon2d, more than 255 lanes).
	ErrUnsupported = errors.New("hashers: unsupported hash variant")
	// ErrPasswordTooLong: BCrypt.Encode refuses passwords over 72 bytes
	// instead of truncating them silently.
	ErrPasswordTooLong = errors.New("hashers: password longer than 72 bytes")
)

// MaxEncodedLen is the longest hash string accepted. Django stores hashes in
// a varchar(128); the margin allows long custom parameters.
const MaxEncodedLen = 1024

// UnusablePrefix starts every unusable password (Django's
// UNUSABLE_PASSWORD_PREFIX).
const UnusablePrefix = "!"

// IsUsable reports whether encoded may verify at all, as Django's
// is_password_usable: only the "!" prefix marks an unusable password.
func IsUsable(encoded string) bool {
	return !strings.HasPrefix(encoded, UnusablePrefix)
}

// MakeUnusable returns "!" followed by 40 random letters and digits, as
// Django's make_password(None).
func MakeUnusable() string {
	return UnusablePrefix + randomString(40)
}

// Django algorithm names.
const (
	algPBKDF2SHA256 = "pbkdf2_sha256"
	algPBKDF2SHA1   = "pbkdf2_sha1"
	algArgon2       = "argon2"
	algBCryptSHA256 = "bcrypt_sha256"
	algBCrypt       = "bcrypt"
	algScrypt       = "scrypt"
)

const djangoModule = "django.contrib.auth.hashers."

// Lookup returns a hasher with default parameters by Django algorithm name
// ("pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "bcrypt",
// "scrypt") or by Django class path
// ("django.contrib.auth.hashers.PBKDF2PasswordHasher", ...).
//
// The argon2 defaults are OWASP's, not Django's; see [Argon2].
func Lookup(name string) (Hasher, error) {
	switch name {
	case algPBKDF2SHA256, djangoModule + "PBKDF2PasswordHasher":
		return PBKDF2SHA256{}, nil
	case algPBKDF2SHA1, djangoModule + "PBKDF2SHA1PasswordHasher":
		return PBKDF2SHA1{}, nil
	case algArgon2, djangoModule + "Argon2PasswordHasher":
		return Argon2{}, nil
	case algBCryptSHA256, djangoModule + "BCryptSHA256PasswordHasher":
		return BCryptSHA256{}, nil
	case algBCrypt, djangoModule + "BCryptPasswordHasher":
		return BCrypt{}, nil
	case algScrypt, djangoModule + "ScryptPasswordHasher":
		return Scrypt{}, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownAlgorithm, name)
}

// builtins returns a fresh hasher of every algorithm, with defaults.
func builtins() []Hasher {
	return []Hasher{PBKDF2SHA256{}, PBKDF2SHA1{}, Argon2{}, BCryptSHA256{}, BCrypt{}, Scrypt{}}
}

// algorithmOf returns the text before the first "$" of encoded, or "" when
// there is no "$".
func algorithmOf(encoded string) string {
	i := strings.IndexByte(encoded, '$')
	if i < 0 {
		return ""
	}
	return encoded[:i]
}

// safeName names alg in an error only if it is one of Django's retired
// algorithms, so that an error never carries a password stored in clear
// (which may contain "$") or a fragment of an unknown hash.
func safeName(alg string) string {
	switch alg {
	case "md5", "sha1", "crypt":
		return fmt.Sprintf("%q (a legacy Django format)", alg)
	}
	return "(unrecognized)"
}

func malformed(alg, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformed, alg, fmt.Sprintf(format, args...))
}

func overLimit(alg, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrLimit, alg, fmt.Sprintf(format, args...))
}

// checkPrefix rejects strings that are too long or of another algorithm.
func checkPrefix(alg, encoded string) error {
	if len(encoded) > MaxEncodedLen {
		return malformed(alg, "longer than %d bytes", MaxEncodedLen)
	}
	if algorithmOf(encoded) != alg {
		return malformed(alg, "not a hash of this algorithm")
	}
	return nil
}

// parseCanonical parses a positive decimal number as Python's "%d" prints
// it: digits only, no sign, no leading zero. Django verifies by re-encoding
// and comparing whole strings, so any other spelling never verifies there.
func parseCanonical(s string) (uint64, bool) {
	if s == "" || len(s) > 19 || s[0] == '0' {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// randomChars is Django's RANDOM_STRING_CHARS.
const randomChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// saltChars is how many characters of randomChars Django's salt() draws:
// ceil(128 / log2(62)) = 22, at least 128 bits.
const saltChars = 22

// randomString returns n characters drawn uniformly from randomChars, as
// Django's get_random_string(n).
func randomString(n int) string {
	const limit = 256 - 256%len(randomChars) // 248: rejection sampling, no bias
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		rand.Read(buf) // never fails: crypto/rand crashes the program instead
		for _, b := range buf {
			if int(b) < limit {
				out = append(out, randomChars[int(b)%len(randomChars)])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}

// weakSalt is Django's must_update_salt for a text salt: fewer than 128 bits
// at log2(62) bits per character, counted in characters as Python does.
func weakSalt(salt string) bool {
	return utf8.RuneCountInString(salt) < saltChars
}

// hardener is implemented by hashers that, like Django's harden_runtime, can
// spend the extra work that a wrong password against a weaker hash of their
// own algorithm would otherwise save.
type hardener interface {
	hardenRuntime(password, encoded string)
}
