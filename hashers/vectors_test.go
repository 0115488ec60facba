package hashers_test

import (
	"errors"
	"testing"

	"authing.dev/authing/hashers"
)

// A vector is a hash written by Django (or by the Python libraries Django
// calls) and the password it hashes.
type vector struct {
	name     string
	password string
	encoded  string
	slow     bool // checked once, with the right password; skipped with -short
}

// djangoVectors are copied from Django's tests/auth_tests/test_hashers.py;
// the comment on each says which Django release's test file has it. The
// PBKDF2 and scrypt ones were also recomputed with Python's
// hashlib.pbkdf2_hmac and hashlib.scrypt, which Django calls.
var djangoVectors = []vector{
	// Django 5.2, test_pbkdf2 (Django 5.2's default count).
	{"pbkdf2_sha256/1000000", "lètmein", "pbkdf2_sha256$1000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=", true},
	// Django 1.10, test_low_level_pbkdf2 and test_low_level_pbkdf2_sha1.
	{"pbkdf2_sha256/30000", "lètmein", "pbkdf2_sha256$30000$seasalt2$a75qzbogeVhNFeMqhdgyyoqGKpIzYUo651sq57RERew=", false},
	{"pbkdf2_sha1/30000", "lètmein", "pbkdf2_sha1$30000$seasalt2$pMzU1zNPcydf6wjnJFbiVKwgULc=", false},
	// Django 4.1, test_argon2: "Old hashes with version attribute".
	{"argon2i/v19", "secret", "argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", false},
	// Django 4.1, test_argon2_version_upgrade (Django's own parameters).
	{"argon2id/django-defaults", "secret", "argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw", true},
	// Django 4.1, test_scrypt (parallelism 1, the default of Django 4.0 to 5.0).
	{"scrypt/p1", "lètmein", "scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==", true},
	// Django 5.1+, test_scrypt (parallelism 5).
	{"scrypt/p5", "lètmein", "scrypt$16384$seasalt$8$5$ECMIUp+LMxMSK8xB/IVyba+KYGTI7FTnet025q/1f/vBAVnnP3hdYqJuRi+mJn6ji6ze3Fbb7JEFPKGpuEf5vw==", true},
}

// longPassword is the 100-character password of Django's test_bcrypt_sha256.
const longPassword = "VSK0UYV6FFQVZ0KG88DYN9WADAADZO1CTSIVDJUNZSUML6IBX7LN7ZS3R5" +
	"JGB3RGZ7VI7G7DJQ9NI8BQFSRPTG6UWTTVESA5ZPUN"

// generatedVectors: Django's tests have no fixed bcrypt vector (bcrypt salts
// are random there) and no argon2 vector with OWASP parameters, so these
// were produced once with Debian 12's python3-django 3.2.25, python3-bcrypt
// 3.2.2 and python3-argon2 21.1.0, e.g.
//
//	BCryptSHA256PasswordHasher().encode("lètmein", bcrypt.gensalt(4))
//	BCryptPasswordHasher().encode("lètmein", bcrypt.gensalt(4, prefix=b"2a"))
//	class A(Argon2PasswordHasher): time_cost=2; memory_cost=19456; parallelism=1
//	A().encode("lètmein", "seasaltseasaltseasalt1")
//	"argon2" + argon2.low_level.hash_secret(..., type=Type.I).decode()
//
// (the $2y$ hash by passing a salt whose "$2b$" was replaced with "$2y$"),
// and each was checked with Django's check_password.
var generatedVectors = []vector{
	{"bcrypt_sha256/2b", "lètmein", "bcrypt_sha256$$2b$04$c2B.cDnxFnoh1txdvztL2eveWtZ5Q0A6HOK0JA4wRxfMhW60hE2dS", false},
	{"bcrypt_sha256/2a", "lètmein", "bcrypt_sha256$$2a$04$xtspoZiSGZtTfSTfIecE9.jK1kJwHqJwOntJAWE.oD8GRvETfg8Ja", false},
	{"bcrypt_sha256/blank", "", "bcrypt_sha256$$2b$04$DWOXgEma.jBzMaRYVbrZBesaK3bvyhIwMY0DU/B.xGJQz54GfVZLi", false},
	{"bcrypt_sha256/long", longPassword, "bcrypt_sha256$$2b$04$w9B0VQPhlpGiIXMGqUD/xeghyy4je8cjPm/kNScdqyAfLp98Y6fvO", false},
	{"bcrypt/2b", "lètmein", "bcrypt$$2b$04$CVXsG5YZOjmfl7sohbFsG.6cBONX.4JcxvdHbKf5rQQomR4CAKIH.", false},
	{"bcrypt/2a", "lètmein", "bcrypt$$2a$04$7NtM/szHUjZsmoImFunb/OjvabUHjEUO/JIG6O3HCfS02h525E4Da", false},
	{"bcrypt/2y", "lètmein", "bcrypt$$2y$04$VDFa6JdB46GmDiiTQ8kJDOfLK2hwzz10S8oScWN8KOc2TIx8dbgeO", false},
	{"bcrypt/long", longPassword, "bcrypt$$2b$04$2GL8e/O8vwx.uOoWJtOliO1/jCE80kd8qbgwCAkxiRh7I2z4tp37G", false},
	{"argon2id/owasp", "lètmein", "argon2$argon2id$v=19$m=19456,t=2,p=1$c2Vhc2FsdHNlYXNhbHRzZWFzYWx0MQ$nWSa1IANl6+UwUZsC1jF0A", false},
	{"argon2id/p2", "lètmein", "argon2$argon2id$v=19$m=64,t=1,p=2$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$S/VhyK/z2WcW5dxN3xVQIw", false},
	{"argon2id/blank", "", "argon2$argon2id$v=19$m=64,t=1,p=2$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$/vckBJlGLcP0Rd8Wvlag/A", false},
	{"argon2i/t3", "lètmein", "argon2$argon2i$v=19$m=32,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$nngguUcWRVjaWg5q+VU/4cYgGcFgCr2QHaIzwyGXybA", false},
}

func TestVerify_DjangoVectors(t *testing.T) {
	s := hashers.Default()
	for _, v := range append(append([]vector{}, djangoVectors...), generatedVectors...) {
		t.Run(v.name, func(t *testing.T) {
			if v.slow && testing.Short() {
				t.Skip("slow vector")
			}
			ok, _, err := s.Verify(v.password, v.encoded)
			if !ok || err != nil {
				t.Errorf("Verify(right password) = %v, %v; want true, nil", ok, err)
			}
			if v.slow {
				return // wrong passwords are checked on the cheap vectors
			}
			// A changed first byte: bcrypt ignores what follows byte 72.
			ok, _, err = s.Verify("z"+v.password, v.encoded)
			if ok || err != nil {
				t.Errorf("Verify(wrong password) = %v, %v; want false, nil", ok, err)
			}
		})
	}
}

// TestVerify_Long checks Django's truncation rules: bcrypt_sha256 hashes the
// whole password, raw bcrypt (Python's bcrypt < 5) only its first 72 bytes.
func TestVerify_Long(t *testing.T) {
	s := hashers.Default()
	sha := "bcrypt_sha256$$2b$04$w9B0VQPhlpGiIXMGqUD/xeghyy4je8cjPm/kNScdqyAfLp98Y6fvO"
	if ok, _, _ := s.Verify(longPassword[:72], sha); ok {
		t.Error("bcrypt_sha256 verified the password cut at 72 bytes")
	}
	raw := "bcrypt$$2b$04$2GL8e/O8vwx.uOoWJtOliO1/jCE80kd8qbgwCAkxiRh7I2z4tp37G"
	for _, pw := range []string{longPassword[:72], longPassword[:72] + "anything else"} {
		if ok, _, err := s.Verify(pw, raw); !ok || err != nil {
			t.Errorf("bcrypt: Verify(%d bytes sharing the first 72) = %v, %v; want true", len(pw), ok, err)
		}
	}
	if ok, _, _ := s.Verify(longPassword[:71], raw); ok {
		t.Error("bcrypt verified a 71-byte prefix")
	}
}

// TestVerify_Argon2Version10 checks that the pre-2016 argon2 form without
// "v=" (Django 4.1 test_argon2, "Old hashes without version attribute") is
// refused cleanly: x/crypto cannot compute version 0x10.
func TestVerify_Argon2Version10(t *testing.T) {
	old := "argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO" +
		"4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg"
	for _, pw := range []string{"secret", "wrong"} {
		ok, upgrade, err := cheapSet.Verify(pw, old)
		if ok || upgrade || !errors.Is(err, hashers.ErrUnsupported) {
			t.Errorf("Verify(%q) = %v, %v, %v; want false, false, ErrUnsupported", pw, ok, upgrade, err)
		}
	}
	explicit := "argon2$argon2i$v=16$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO" +
		"4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg"
	if _, err := (hashers.Argon2{}).Verify("secret", explicit); !errors.Is(err, hashers.ErrUnsupported) {
		t.Errorf("v=16: err = %v; want ErrUnsupported", err)
	}
}

// TestEncode_MatchesDjango encodes with Django's salts and compares the
// whole string with Django's output.
func TestEncode_MatchesDjango(t *testing.T) {
	tests := []struct {
		name string
		h    hashers.Hasher
		salt string
		want string
	}{
		{"pbkdf2_sha256", hashers.PBKDF2SHA256{Iterations: 30000}, "seasalt2",
			"pbkdf2_sha256$30000$seasalt2$a75qzbogeVhNFeMqhdgyyoqGKpIzYUo651sq57RERew="},
		{"pbkdf2_sha1", hashers.PBKDF2SHA1{Iterations: 30000}, "seasalt2",
			"pbkdf2_sha1$30000$seasalt2$pMzU1zNPcydf6wjnJFbiVKwgULc="},
		{"scrypt", hashers.Scrypt{Parallelism: 1}, "seasalt",
			"scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw=="},
		// argon2-cffi 21.1 wrote 16-byte hashes, hence KeyLen.
		{"argon2id", hashers.Argon2{KeyLen: 16}, "seasaltseasaltseasalt1",
			"argon2$argon2id$v=19$m=19456,t=2,p=1$c2Vhc2FsdHNlYXNhbHRzZWFzYWx0MQ$nWSa1IANl6+UwUZsC1jF0A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hashers.EncodeWithSalt(tt.h, "lètmein", tt.salt)
			if err != nil || got != tt.want {
				t.Errorf("encode = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
