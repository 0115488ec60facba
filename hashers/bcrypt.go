package hashers

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// DefaultBCryptCost is Django's bcrypt work factor (rounds = 12).
const DefaultBCryptCost = 12

// DefaultMaxBCryptCost is the highest work factor verified by default: 16
// is sixteen times the default, a few seconds.
const DefaultMaxBCryptCost = 16

// bcryptMaxPassword is where bcrypt stops reading the password.
const bcryptMaxPassword = 72

// BCryptSHA256 is Django's BCryptSHA256PasswordHasher, "bcrypt_sha256": the
// password's SHA-256 as 64 lowercase hex digits, hashed with bcrypt, so that
// long passwords are not truncated:
//
//	bcrypt_sha256$$2b$12$<22 characters of salt><31 characters of hash>
//
// Verify accepts the $2a$, $2b$ and $2y$ variants, which compute alike.
// The zero value uses Django's defaults.
type BCryptSHA256 struct {
	// Cost is the work factor of new hashes; zero means DefaultBCryptCost.
	Cost int
	// MaxCost is the highest work factor Verify accepts; zero means
	// DefaultMaxBCryptCost.
	MaxCost int
}

// BCrypt is Django's BCryptPasswordHasher, "bcrypt": bcrypt of the raw
// password, which bcrypt reads up to 72 bytes only. Verify truncates longer
// passwords as Python's bcrypt did before version 5 when Django created the
// hash; Encode refuses them with ErrPasswordTooLong. Prefer BCryptSHA256.
// The zero value uses Django's defaults.
type BCrypt struct {
	// Cost is the work factor of new hashes; zero means DefaultBCryptCost.
	Cost int
	// MaxCost is the highest work factor Verify accepts; zero means
	// DefaultMaxBCryptCost.
	MaxCost int
}

var (
	_ Hasher   = BCryptSHA256{}
	_ Hasher   = BCrypt{}
	_ hardener = BCryptSHA256{}
	_ hardener = BCrypt{}
)

// Algorithm returns "bcrypt_sha256".
func (BCryptSHA256) Algorithm() string { return algBCryptSHA256 }

// Encode hashes password with a fresh salt.
func (h BCryptSHA256) Encode(password string) (string, error) {
	return h.algo().encode(password)
}

// Verify reports whether password matches encoded.
func (h BCryptSHA256) Verify(password, encoded string) (bool, error) {
	return h.algo().verify(password, encoded)
}

// MustUpdate reports whether encoded has a lower work factor than h.
func (h BCryptSHA256) MustUpdate(encoded string) bool { return h.algo().mustUpdate(encoded) }

func (h BCryptSHA256) hardenRuntime(password, encoded string) {
	h.algo().hardenRuntime(password, encoded)
}

func (h BCryptSHA256) algo() bcryptAlgo {
	return bcryptAlgo{algBCryptSHA256, true, h.Cost, h.MaxCost}
}

// Algorithm returns "bcrypt".
func (BCrypt) Algorithm() string { return algBCrypt }

// Encode hashes password with a fresh salt; it fails with
// ErrPasswordTooLong beyond 72 bytes.
func (h BCrypt) Encode(password string) (string, error) {
	return h.algo().encode(password)
}

// Verify reports whether the first 72 bytes of password match encoded.
func (h BCrypt) Verify(password, encoded string) (bool, error) {
	return h.algo().verify(password, encoded)
}

// MustUpdate reports whether encoded has a lower work factor than h.
func (h BCrypt) MustUpdate(encoded string) bool { return h.algo().mustUpdate(encoded) }

func (h BCrypt) hardenRuntime(password, encoded string) {
	h.algo().hardenRuntime(password, encoded)
}

func (h BCrypt) algo() bcryptAlgo {
	return bcryptAlgo{algBCrypt, false, h.Cost, h.MaxCost}
}

// bcryptAlgo is the code shared by both bcrypt hashers.
type bcryptAlgo struct {
	name    string
	sha256  bool
	cost    int
	maxCost int
}

func (a bcryptAlgo) costOrDefault() int { return orDefault(a.cost, DefaultBCryptCost) }
func (a bcryptAlgo) max() int           { return orDefault(a.maxCost, DefaultMaxBCryptCost) }

// secret is what Django passes to bcrypt.hashpw.
func (a bcryptAlgo) secret(password string) []byte {
	if a.sha256 {
		sum := sha256.Sum256([]byte(password))
		return []byte(hex.EncodeToString(sum[:]))
	}
	return []byte(password)
}

func (a bcryptAlgo) encode(password string) (string, error) {
	secret := a.secret(password)
	if len(secret) > bcryptMaxPassword {
		return "", fmt.Errorf("%w: %s", ErrPasswordTooLong, a.name)
	}
	cost := a.costOrDefault()
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return "", fmt.Errorf("hashers: %s: cost %d outside [%d, %d]", a.name, cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	data, err := bcrypt.GenerateFromPassword(secret, cost)
	if err != nil {
		return "", fmt.Errorf("hashers: %s: %w", a.name, err)
	}
	// x/crypto writes $2a$; Python's bcrypt, and so Django, writes $2b$. The
	// two differ only for passwords of 256 bytes or more in the original
	// OpenBSD code, never for the ≤ 72 bytes hashed here.
	s, ok := strings.CutPrefix(string(data), "$2a$")
	if !ok {
		return "", fmt.Errorf("hashers: %s: unexpected bcrypt output", a.name)
	}
	return a.name + "$$2b$" + s, nil
}

type bcryptHash struct {
	data string // "$2b$12$..." as bcrypt reads it
	cost int
}

// parse checks the 60-character modular crypt string after "<name>$".
func (a bcryptAlgo) parse(encoded string) (bcryptHash, error) {
	if err := checkPrefix(a.name, encoded); err != nil {
		return bcryptHash{}, err
	}
	data := encoded[len(a.name)+1:]
	if len(data) != 60 || data[0] != '$' || data[1] != '2' || data[3] != '$' || data[6] != '$' {
		return bcryptHash{}, malformed(a.name, "not a bcrypt string")
	}
	if v := data[2]; v != 'a' && v != 'b' && v != 'y' {
		return bcryptHash{}, malformed(a.name, "unknown bcrypt variant")
	}
	c1, c2 := data[4], data[5]
	if c1 < '0' || c1 > '9' || c2 < '0' || c2 > '9' {
		return bcryptHash{}, malformed(a.name, "bad cost")
	}
	cost := int(c1-'0')*10 + int(c2-'0')
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return bcryptHash{}, malformed(a.name, "cost outside [%d, %d]", bcrypt.MinCost, bcrypt.MaxCost)
	}
	for i := 7; i < len(data); i++ {
		if !isBcryptBase64(data[i]) {
			return bcryptHash{}, malformed(a.name, "bad salt or hash character")
		}
	}
	if cost > a.max() {
		return bcryptHash{}, overLimit(a.name, "cost %d, limit %d", cost, a.max())
	}
	return bcryptHash{data, cost}, nil
}

func isBcryptBase64(c byte) bool {
	return c == '.' || c == '/' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

func (a bcryptAlgo) verify(password, encoded string) (bool, error) {
	p, err := a.parse(encoded)
	if err != nil {
		return false, err
	}
	secret := a.secret(password)
	if len(secret) > bcryptMaxPassword {
		secret = secret[:bcryptMaxPassword] // what Python's bcrypt < 5 hashed
	}
	// CompareHashAndPassword recomputes with the stored salt and cost and
	// compares in constant time.
	switch err := bcrypt.CompareHashAndPassword([]byte(p.data), secret); {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, malformed(a.name, "%v", err)
	}
}

func (a bcryptAlgo) mustUpdate(encoded string) bool {
	p, err := a.parse(encoded)
	if err != nil {
		return true
	}
	return p.cost < a.costOrDefault()
}

// hardenRuntime runs bcrypt 2^(cost−stored)−1 more times at the stored
// cost, as Django's BCryptSHA256PasswordHasher.harden_runtime.
func (a bcryptAlgo) hardenRuntime(password, encoded string) {
	p, runs := a.hardenWork(encoded)
	if runs == 0 {
		return
	}
	secret := a.secret(password)
	if len(secret) > bcryptMaxPassword {
		secret = secret[:bcryptMaxPassword]
	}
	for range runs {
		bcrypt.CompareHashAndPassword([]byte(p.data), secret)
	}
}

// hardenWork returns the parsed hash and how many more runs at its cost
// make up for a's higher cost.
func (a bcryptAlgo) hardenWork(encoded string) (bcryptHash, int) {
	p, err := a.parse(encoded)
	if err != nil {
		return p, 0
	}
	diff := a.costOrDefault() - p.cost
	if diff <= 0 || diff > bcrypt.MaxCost {
		return p, 0
	}
	return p, 1<<diff - 1
}
