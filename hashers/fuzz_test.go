package hashers_test

import (
	"errors"
	"testing"

	"authing.dev/authing/hashers"
)

// FuzzVerify feeds arbitrary hash strings to a Set whose every hasher has
// tight limits, so that no input can cost more than a few milliseconds: it
// must never panic, and an error must never come with ok or upgrade.
func FuzzVerify(f *testing.F) {
	seeds := []string{
		"", "!", "$", "$$$$$$", "argon2$", "bcrypt$$", "scrypt$$$$$",
		"pbkdf2_sha256$1000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=",
		"pbkdf2_sha1$30000$seasalt2$pMzU1zNPcydf6wjnJFbiVKwgULc=",
		"argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q",
		"argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg",
		"argon2$argon2id$v=19$m=64,t=1,p=2$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$S/VhyK/z2WcW5dxN3xVQIw",
		"bcrypt_sha256$$2b$04$c2B.cDnxFnoh1txdvztL2eveWtZ5Q0A6HOK0JA4wRxfMhW60hE2dS",
		"bcrypt$$2y$04$VDFa6JdB46GmDiiTQ8kJDOfLK2hwzz10S8oScWN8KOc2TIx8dbgeO",
		"scrypt$16$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==",
		"scrypt$4611686018427387904$seasalt$4611686018427387904$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	tight := []hashers.Hasher{
		hashers.PBKDF2SHA256{Iterations: 100, MaxIterations: 2000},
		hashers.PBKDF2SHA1{MaxIterations: 2000},
		hashers.Argon2{MaxMemoryKiB: 256, MaxWork: 1024},
		hashers.BCryptSHA256{MaxCost: 5},
		hashers.BCrypt{MaxCost: 5},
		hashers.Scrypt{MaxWork: 1 << 20},
	}
	s := hashers.NewSet(tight[0], tight[1:]...)
	f.Fuzz(func(t *testing.T, encoded string) {
		ok, upgrade, err := s.Verify("lètmein", encoded)
		if err != nil && (ok || upgrade) {
			t.Fatalf("Verify = %v, %v, %v: an error with a result", ok, upgrade, err)
		}
		if upgrade && !ok {
			t.Fatalf("upgrade without ok")
		}
		if err != nil && !knownError(err) {
			t.Fatalf("error %v wraps none of the package's sentinels", err)
		}
		for _, h := range tight {
			h.MustUpdate(encoded)
		}
	})
}

func knownError(err error) bool {
	for _, e := range []error{hashers.ErrUnknownAlgorithm, hashers.ErrMalformed, hashers.ErrLimit, hashers.ErrUnsupported} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
