package hashers_test

import (
	"testing"

	"authing.dev/authing/hashers"
)

// BenchmarkVerify measures one verification with each hasher's default
// parameters, the cost of a sign-in.
func BenchmarkVerify(b *testing.B) {
	for _, h := range []hashers.Hasher{
		hashers.PBKDF2SHA256{}, hashers.PBKDF2SHA1{}, hashers.Argon2{},
		hashers.BCryptSHA256{}, hashers.BCrypt{}, hashers.Scrypt{},
	} {
		b.Run(h.Algorithm(), func(b *testing.B) {
			enc, err := h.Encode("lètmein")
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if ok, err := h.Verify("lètmein", enc); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

// BenchmarkSet_VerifyUnknown is the cost of a malformed or unknown hash:
// one dummy verification with the preferred hasher.
func BenchmarkSet_VerifyUnknown(b *testing.B) {
	s := hashers.Default()
	for b.Loop() {
		s.Verify("lètmein", "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3")
	}
}
