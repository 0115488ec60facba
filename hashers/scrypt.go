package hashers

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// Django's ScryptPasswordHasher defaults (parallelism was 1 from Django 4.0
// to 5.0 and is 5 since 5.1, following OWASP).
const (
	DefaultScryptWorkFactor  = 1 << 14
	DefaultScryptBlockSize   = 8
	DefaultScryptParallelism = 5
	scryptKeyLen             = 64
)

// DefaultMaxScryptWork bounds 128·N·r·p, the bytes that scrypt's mixing
// writes (its memory, 128·N·r, times p sequential passes): 1 GiB, about
// thirteen times Django's default of 80 MiB.
const DefaultMaxScryptWork = 1 << 30

// Scrypt is Django's ScryptPasswordHasher, "scrypt", with a 22-character
// salt of letters and digits and a 64-byte key:
//
//	scrypt$<N>$<salt>$<r>$<p>$<base64 of 64 bytes>
//
// Django runs hashlib.scrypt with maxmem=0, which OpenSSL caps at 32 MiB of
// memory (128·N·r), so hashes beyond that did not come from a stock Django;
// Verify accepts them up to MaxWork. The zero value uses Django's defaults.
type Scrypt struct {
	// WorkFactor is N, a power of two; zero means DefaultScryptWorkFactor.
	WorkFactor int
	// BlockSize is r; zero means DefaultScryptBlockSize.
	BlockSize int
	// Parallelism is p; zero means DefaultScryptParallelism.
	Parallelism int
	// MaxWork is the largest 128·N·r·p that Verify accepts; zero means
	// DefaultMaxScryptWork.
	MaxWork int64
}

var _ Hasher = Scrypt{}

// Algorithm returns "scrypt".
func (Scrypt) Algorithm() string { return algScrypt }

func (h Scrypt) n() int { return orDefault(h.WorkFactor, DefaultScryptWorkFactor) }
func (h Scrypt) r() int { return orDefault(h.BlockSize, DefaultScryptBlockSize) }
func (h Scrypt) p() int { return orDefault(h.Parallelism, DefaultScryptParallelism) }
func (h Scrypt) maxWork() uint64 {
	if h.MaxWork <= 0 {
		return DefaultMaxScryptWork
	}
	return uint64(h.MaxWork)
}

// Encode hashes password with a fresh salt.
func (h Scrypt) Encode(password string) (string, error) {
	return h.encodeSalt(password, randomString(saltChars))
}

// encodeSalt is Encode with a given salt.
func (h Scrypt) encodeSalt(password, salt string) (string, error) {
	key, err := scrypt.Key([]byte(password), []byte(salt), h.n(), h.r(), h.p(), scryptKeyLen)
	if err != nil {
		return "", fmt.Errorf("hashers: scrypt: %w", err)
	}
	return fmt.Sprintf("scrypt$%d$%s$%d$%d$%s", h.n(), salt, h.r(), h.p(),
		base64.StdEncoding.EncodeToString(key)), nil
}

type scryptHash struct {
	n, r, p    int
	salt, hash string
}

// parse splits encoded into Django's six fields and bounds the work.
// Numbers must be written as Python's "%d" writes them, since Django
// verifies by re-encoding and comparing whole strings.
func (h Scrypt) parse(encoded string) (scryptHash, error) {
	if err := checkPrefix(algScrypt, encoded); err != nil {
		return scryptHash{}, err
	}
	f := strings.Split(encoded, "$")
	if len(f) != 6 {
		return scryptHash{}, malformed(algScrypt, "want 6 fields")
	}
	var nrp [3]uint64
	for i, s := range []string{f[1], f[3], f[4]} {
		v, ok := parseCanonical(s)
		if !ok {
			return scryptHash{}, malformed(algScrypt, "bad number")
		}
		nrp[i] = v
	}
	n, r, p := nrp[0], nrp[1], nrp[2]
	if n < 2 || n&(n-1) != 0 {
		return scryptHash{}, malformed(algScrypt, "N is not a power of two above 1")
	}
	if f[2] == "" {
		return scryptHash{}, malformed(algScrypt, "empty salt")
	}
	if len(f[5]) != base64.StdEncoding.EncodedLen(scryptKeyLen) {
		return scryptHash{}, malformed(algScrypt, "hash is not %d bytes of base64", scryptKeyLen)
	}
	// 128·n·r·p ≤ max, without overflow: each factor is at most max.
	limit := h.maxWork() / 128
	if n > limit || r > limit/n || p > limit/(n*r) {
		return scryptHash{}, overLimit(algScrypt, "N=%d r=%d p=%d, limit 128·N·r·p ≤ %d", n, r, p, h.maxWork())
	}
	return scryptHash{int(n), int(r), int(p), f[2], f[5]}, nil
}

// Verify reports whether password matches encoded.
func (h Scrypt) Verify(password, encoded string) (bool, error) {
	s, err := h.parse(encoded)
	if err != nil {
		return false, err
	}
	key, err := scrypt.Key([]byte(password), []byte(s.salt), s.n, s.r, s.p, scryptKeyLen)
	if err != nil {
		return false, malformed(algScrypt, "%v", err)
	}
	return subtle.ConstantTimeCompare([]byte(base64.StdEncoding.EncodeToString(key)), []byte(s.hash)) == 1, nil
}

// MustUpdate reports whether N, r or p of encoded is below h's. Like
// Django, it does not judge scrypt salts.
func (h Scrypt) MustUpdate(encoded string) bool {
	s, err := h.parse(encoded)
	if err != nil {
		return true
	}
	return s.n < h.n() || s.r < h.r() || s.p < h.p()
}
