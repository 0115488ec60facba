package uuidv4

import (
	"crypto/rand"
	"encoding/hex"
)

// New returns a random (version 4, RFC 9562 variant) UUID in canonical form,
// for example "0f8e2a3c-4b5d-4e6f-8a9b-0c1d2e3f4a5b".
func New() string {
	var b [16]byte
	rand.Read(b[:])         // never fails: crypto/rand panics on an unusable source
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant 10xx
	return format(b)
}

// Canonical reports whether s is a UUID of any version, in the hyphenated
// form (any letter case) or as 32 hex digits (Django's UUIDField accepts
// both), and returns it in canonical lowercase hyphenated form.
func Canonical(s string) (string, bool) {
	var hexDigits [32]byte
	switch len(s) {
	case 32:
		copy(hexDigits[:], s)
	case 36:
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return "", false
		}
		copy(hexDigits[0:8], s[0:8])
		copy(hexDigits[8:12], s[9:13])
		copy(hexDigits[12:16], s[14:18])
		copy(hexDigits[16:20], s[19:23])
		copy(hexDigits[20:32], s[24:36])
	default:
		return "", false
	}
	var b [16]byte
	if _, err := hex.Decode(b[:], hexDigits[:]); err != nil {
		return "", false
	}
	return format(b), true
}

func format(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}
