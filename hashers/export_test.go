package hashers

import "fmt"

// EncodeWithSalt encodes with a chosen salt, so that tests can compare with
// Django's output for the same salt.
func EncodeWithSalt(h Hasher, password, salt string) (string, error) {
	switch h := h.(type) {
	case PBKDF2SHA256:
		return h.algo().encode(password, salt)
	case PBKDF2SHA1:
		return h.algo().encode(password, salt)
	case Argon2:
		return h.encodeSalt(password, []byte(salt)), nil
	case Scrypt:
		return h.encodeSalt(password, salt)
	}
	return "", fmt.Errorf("no salted encoder for %T", h)
}
