package hashers

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// OWASP's argon2id parameters (Password Storage Cheat Sheet, first option),
// the defaults of Argon2.
const (
	DefaultArgon2MemoryKiB = 19456 // 19 MiB
	DefaultArgon2Time      = 2
	DefaultArgon2Threads   = 1
	DefaultArgon2SaltLen   = 16
	DefaultArgon2KeyLen    = 32
)

// Verification limits of Argon2.
const (
	// DefaultMaxArgon2MemoryKiB is 1 GiB, ten times Django's 100 MiB default.
	DefaultMaxArgon2MemoryKiB = 1 << 20
	// DefaultMaxArgon2Work bounds memory × passes, in KiB: 4 GiB of block
	// writes, about twenty times Django's default of 100 MiB × 2.
	DefaultMaxArgon2Work = 4 << 20
)

// Bounds of the argon2 reference implementation and of this package on
// salt and hash lengths.
const (
	argon2MinSalt = 8
	argon2MinHash = 4
	argon2MaxLen  = 1024
)

// argon2 versions: v=16 is the original 1.0, v=19 (1.3) the current one.
const (
	argon2Version10 = 0x10
	argon2Version13 = 0x13
)

var b64raw = base64.RawStdEncoding.Strict()

// Argon2 is Django's Argon2PasswordHasher, "argon2". It encodes argon2id,
// version 19, in Django's format
//
//	argon2$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// (argon2-cffi's encoding after "argon2": base64 without padding), and
// verifies argon2id and argon2i hashes of version 19 with any parameters
// within the limits.
//
// Hashes of argon2 version 0x10, written without "v=" by argon2-cffi before
// 2016, cannot be verified: golang.org/x/crypto/argon2 implements version
// 0x13 only, and the versions differ both in the initial hash and in how
// later passes combine blocks. Verify returns ErrUnsupported for them, and
// for argon2d, which x/crypto does not offer either.
//
// The zero value uses OWASP's parameters rather than Django's (m=102400,
// t=2, p=8); for Django's, set MemoryKiB: 102400, Time: 2, Threads: 8.
// Django verifies any parameters written in the hash.
type Argon2 struct {
	// Time is the number of passes; zero means DefaultArgon2Time.
	Time uint32
	// MemoryKiB is the memory in KiB; zero means DefaultArgon2MemoryKiB.
	MemoryKiB uint32
	// Threads is the number of lanes; zero means DefaultArgon2Threads.
	Threads uint8
	// SaltLen is the length of new random salts in bytes; zero means
	// DefaultArgon2SaltLen.
	SaltLen int
	// KeyLen is the hash length in bytes; zero means DefaultArgon2KeyLen.
	KeyLen uint32
	// MaxMemoryKiB is the most memory Verify spends; zero means
	// DefaultMaxArgon2MemoryKiB.
	MaxMemoryKiB uint32
	// MaxWork is the largest memory × passes (KiB) Verify accepts; zero
	// means DefaultMaxArgon2Work.
	MaxWork uint64
}

var _ Hasher = Argon2{}

// Algorithm returns "argon2".
func (Argon2) Algorithm() string { return algArgon2 }

func (h Argon2) time() uint32   { return orDefault(h.Time, DefaultArgon2Time) }
func (h Argon2) memory() uint32 { return orDefault(h.MemoryKiB, DefaultArgon2MemoryKiB) }
func (h Argon2) threads() uint8 { return orDefault(h.Threads, DefaultArgon2Threads) }
func (h Argon2) saltLen() int   { return orDefault(h.SaltLen, DefaultArgon2SaltLen) }
func (h Argon2) keyLen() uint32 { return orDefault(h.KeyLen, DefaultArgon2KeyLen) }
func (h Argon2) maxMemory() uint32 {
	return orDefault(h.MaxMemoryKiB, DefaultMaxArgon2MemoryKiB)
}
func (h Argon2) maxWork() uint64 { return orDefault(h.MaxWork, DefaultMaxArgon2Work) }

func orDefault[T int | uint8 | uint32 | uint64](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Params returns the parameters of new hashes as Django writes them:
// "m=19456,t=2,p=1".
func (h Argon2) Params() string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", h.memory(), h.time(), h.threads())
}

// Encode hashes password with argon2id and a fresh random salt.
func (h Argon2) Encode(password string) (string, error) {
	n := h.saltLen()
	if n < argon2MinSalt || n > argon2MaxLen {
		return "", fmt.Errorf("hashers: argon2: salt length %d outside [%d, %d]", n, argon2MinSalt, argon2MaxLen)
	}
	if k := h.keyLen(); k < argon2MinHash || k > argon2MaxLen {
		return "", fmt.Errorf("hashers: argon2: key length %d outside [%d, %d]", k, argon2MinHash, argon2MaxLen)
	}
	if h.memory() < 8*uint32(h.threads()) {
		return "", fmt.Errorf("hashers: argon2: memory below 8 KiB per lane")
	}
	salt := make([]byte, n)
	rand.Read(salt)
	return h.encodeSalt(password, salt), nil
}

// encodeSalt is Encode with a given salt.
func (h Argon2) encodeSalt(password string, salt []byte) string {
	key := argon2.IDKey([]byte(password), salt, h.time(), h.memory(), h.threads(), h.keyLen())
	return fmt.Sprintf("argon2$argon2id$v=%d$%s$%s$%s", argon2Version13, h.Params(),
		b64raw.EncodeToString(salt), b64raw.EncodeToString(key))
}

type argon2Hash struct {
	variant   string
	version   int
	m, t, p   uint32
	salt, key []byte
}

// parse reads the argon2-cffi encoding after Django's "argon2" prefix, as
// the reference decoder does: "$argon2<type>", an optional "$v=<n>" (absent
// means version 0x10), "$m=<n>,t=<n>,p=<n>", then salt and hash in base64
// without padding. The bounds are the reference's (salt ≥ 8 bytes, hash
// ≥ 4 bytes, t ≥ 1, m ≥ 8p) plus this hasher's limits.
func (h Argon2) parse(encoded string) (argon2Hash, error) {
	var a argon2Hash
	if err := checkPrefix(algArgon2, encoded); err != nil {
		return a, err
	}
	f := strings.Split(encoded[len(algArgon2)+1:], "$")
	if len(f) < 4 {
		return a, malformed(algArgon2, "too few fields")
	}
	a.variant, f = f[0], f[1:]
	a.version = argon2Version10
	if v, ok := strings.CutPrefix(f[0], "v="); ok {
		n, ok := parseDecimal32(v)
		if !ok {
			return a, malformed(algArgon2, "bad version")
		}
		a.version, f = int(n), f[1:]
	}
	if len(f) != 3 {
		return a, malformed(algArgon2, "want parameters, salt and hash")
	}
	if !parseArgon2Params(f[0], &a) {
		return a, malformed(algArgon2, "bad parameters")
	}
	var err error
	if a.salt, err = b64raw.DecodeString(f[1]); err != nil || len(a.salt) < argon2MinSalt || len(a.salt) > argon2MaxLen {
		return a, malformed(algArgon2, "bad salt")
	}
	if a.key, err = b64raw.DecodeString(f[2]); err != nil || len(a.key) < argon2MinHash || len(a.key) > argon2MaxLen {
		return a, malformed(algArgon2, "bad hash")
	}
	switch a.variant {
	case "argon2id", "argon2i":
	case "argon2d":
		return a, fmt.Errorf("%w: argon2: argon2d is not implemented by x/crypto", ErrUnsupported)
	default:
		return a, malformed(algArgon2, "unknown variant")
	}
	if a.t < 1 || a.p < 1 || a.m < 8*a.p {
		return a, malformed(algArgon2, "parameters below argon2's minimum")
	}
	if a.m > h.maxMemory() {
		return a, overLimit(algArgon2, "memory %d KiB, limit %d", a.m, h.maxMemory())
	}
	if uint64(a.m)*uint64(a.t) > h.maxWork() {
		return a, overLimit(algArgon2, "memory × passes %d KiB, limit %d", uint64(a.m)*uint64(a.t), h.maxWork())
	}
	return a, nil
}

// parseArgon2Params reads exactly "m=<n>,t=<n>,p=<n>".
func parseArgon2Params(s string, a *argon2Hash) bool {
	f := strings.Split(s, ",")
	if len(f) != 3 {
		return false
	}
	for i, dst := range []*uint32{&a.m, &a.t, &a.p} {
		v, ok := strings.CutPrefix(f[i], "mtp"[i:i+1]+"=")
		if !ok {
			return false
		}
		if *dst, ok = parseDecimal32(v); !ok {
			return false
		}
	}
	return true
}

// parseDecimal32 accepts what the reference decoder's decode_decimal does
// (digits, leading zeros allowed) within uint32.
func parseDecimal32(s string) (uint32, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err == nil
}

// Verify reports whether password matches encoded.
func (h Argon2) Verify(password, encoded string) (bool, error) {
	a, err := h.parse(encoded)
	if err != nil {
		return false, err
	}
	if a.version != argon2Version13 {
		return false, fmt.Errorf("%w: argon2: version 0x%x (x/crypto implements 0x13 only)", ErrUnsupported, a.version)
	}
	if a.p > 255 {
		return false, fmt.Errorf("%w: argon2: %d lanes (x/crypto allows 255)", ErrUnsupported, a.p)
	}
	var key []byte
	switch a.variant {
	case "argon2id":
		key = argon2.IDKey([]byte(password), a.salt, a.t, a.m, uint8(a.p), uint32(len(a.key)))
	default: // argon2i
		key = argon2.Key([]byte(password), a.salt, a.t, a.m, uint8(a.p), uint32(len(a.key)))
	}
	return subtle.ConstantTimeCompare(key, a.key) == 1, nil
}

// MustUpdate reports whether encoded is not argon2id version 19, or has
// less memory, fewer passes, a shorter hash or a shorter salt than h's new
// hashes. The number of lanes is not compared: it does not weaken a hash.
func (h Argon2) MustUpdate(encoded string) bool {
	a, err := h.parse(encoded)
	if err != nil {
		return true
	}
	return a.variant != "argon2id" || a.version != argon2Version13 ||
		a.m < h.memory() || a.t < h.time() ||
		len(a.key) < int(h.keyLen()) || len(a.salt) < h.saltLen()
}
