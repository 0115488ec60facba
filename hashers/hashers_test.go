package hashers_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"authing.dev/authing/hashers"
)

// cheap hashers: the formats of the defaults at a fraction of their cost.
var cheap = []hashers.Hasher{
	hashers.PBKDF2SHA256{Iterations: 1000},
	hashers.PBKDF2SHA1{Iterations: 1000},
	hashers.Argon2{MemoryKiB: 64, Time: 1},
	hashers.BCryptSHA256{Cost: 4},
	hashers.BCrypt{Cost: 4},
	hashers.Scrypt{WorkFactor: 16, BlockSize: 8, Parallelism: 1},
}

// cheapSet verifies every format with a cheap dummy hash.
var cheapSet = hashers.NewSet(hashers.PBKDF2SHA256{Iterations: 1000})

func TestHasher_RoundTrip(t *testing.T) {
	passwords := []string{"lètmein", "", " ", "пароль with spaces", strings.Repeat("x", 72)}
	for _, h := range cheap {
		t.Run(h.Algorithm(), func(t *testing.T) {
			for _, pw := range passwords {
				enc, err := h.Encode(pw)
				if err != nil {
					t.Fatalf("Encode(%q): %v", pw, err)
				}
				if got := strings.SplitN(enc, "$", 2)[0]; got != h.Algorithm() {
					t.Errorf("Encode(%q) = %q: algorithm %q, want %q", pw, enc, got, h.Algorithm())
				}
				if ok, err := h.Verify(pw, enc); !ok || err != nil {
					t.Errorf("Verify(%q, own hash) = %v, %v", pw, ok, err)
				}
				// Change the first byte: raw bcrypt ignores bytes after 72.
				if ok, err := h.Verify("z"+pw, enc); ok || err != nil {
					t.Errorf("Verify(%q, hash of %q) = %v, %v; want false, nil", "z"+pw, pw, ok, err)
				}
				if h.MustUpdate(enc) {
					t.Errorf("MustUpdate(own fresh hash) = true")
				}
			}
			a, _ := h.Encode("same")
			b, _ := h.Encode("same")
			if a == b {
				t.Errorf("two hashes of one password are equal: salts are not random")
			}
		})
	}
}

// TestHasher_Defaults pins the parameters of each zero value (Django's, and
// OWASP's for argon2) through MustUpdate on hashes just below and at them,
// without hashing at full cost.
func TestHasher_Defaults(t *testing.T) {
	const (
		salt   = "abcdefghijklmnopqrstuv" // 22 characters: strong enough
		b64_32 = "r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps="
		b64_20 = "pMzU1zNPcydf6wjnJFbiVKwgULc="
		bc53   = "c2B.cDnxFnoh1txdvztL2eveWtZ5Q0A6HOK0JA4wRxfMhW60hE2dS"
		sc64   = "Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw=="
		a16    = "$YWJjZGVmZ2hpamtsbW5vcA$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps"
	)
	tests := []struct {
		h         hashers.Hasher
		below, at string
	}{
		{hashers.PBKDF2SHA256{}, "pbkdf2_sha256$1499999$" + salt + "$" + b64_32, "pbkdf2_sha256$1500000$" + salt + "$" + b64_32},
		{hashers.PBKDF2SHA1{}, "pbkdf2_sha1$1499999$" + salt + "$" + b64_20, "pbkdf2_sha1$1500000$" + salt + "$" + b64_20},
		{hashers.Argon2{}, "argon2$argon2id$v=19$m=19455,t=2,p=1" + a16, "argon2$argon2id$v=19$m=19456,t=2,p=1" + a16},
		{hashers.Argon2{}, "argon2$argon2id$v=19$m=19456,t=1,p=1" + a16, "argon2$argon2id$v=19$m=19456,t=2,p=1" + a16},
		{hashers.BCryptSHA256{}, "bcrypt_sha256$$2b$11$" + bc53, "bcrypt_sha256$$2b$12$" + bc53},
		{hashers.BCrypt{}, "bcrypt$$2b$11$" + bc53, "bcrypt$$2b$12$" + bc53},
		{hashers.Scrypt{}, "scrypt$8192$s$8$5$" + sc64, "scrypt$16384$s$8$5$" + sc64},
		{hashers.Scrypt{}, "scrypt$16384$s$7$5$" + sc64, "scrypt$16384$s$8$5$" + sc64},
		{hashers.Scrypt{}, "scrypt$16384$s$8$4$" + sc64, "scrypt$16384$s$8$5$" + sc64},
	}
	for _, tt := range tests {
		if !tt.h.MustUpdate(tt.below) {
			t.Errorf("%s: MustUpdate(%s) = false; want true", tt.h.Algorithm(), tt.below)
		}
		if tt.h.MustUpdate(tt.at) {
			t.Errorf("%s: MustUpdate(%s) = true; want false", tt.h.Algorithm(), tt.at)
		}
	}
}

// TestHasher_Formats checks the shape of what each encoder writes.
func TestHasher_Formats(t *testing.T) {
	want := map[string]string{
		"pbkdf2_sha256": `^pbkdf2_sha256\$1000\$[A-Za-z0-9]{22}\$[A-Za-z0-9+/]{43}=$`,
		"pbkdf2_sha1":   `^pbkdf2_sha1\$1000\$[A-Za-z0-9]{22}\$[A-Za-z0-9+/]{27}=$`,
		"argon2":        `^argon2\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`,
		"bcrypt_sha256": `^bcrypt_sha256\$\$2b\$04\$[./A-Za-z0-9]{53}$`,
		"bcrypt":        `^bcrypt\$\$2b\$04\$[./A-Za-z0-9]{53}$`,
		"scrypt":        `^scrypt\$16\$[A-Za-z0-9]{22}\$8\$1\$[A-Za-z0-9+/]{86}==$`,
	}
	for _, h := range cheap {
		enc, err := h.Encode("lètmein")
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(want[h.Algorithm()]).MatchString(enc) {
			t.Errorf("%s: Encode = %q; want match for %s", h.Algorithm(), enc, want[h.Algorithm()])
		}
	}
}

func TestBCrypt_EncodeTooLong(t *testing.T) {
	_, err := hashers.BCrypt{Cost: 4}.Encode(strings.Repeat("x", 73))
	if !errors.Is(err, hashers.ErrPasswordTooLong) {
		t.Errorf("BCrypt.Encode(73 bytes) err = %v; want ErrPasswordTooLong", err)
	}
	// bcrypt_sha256 hashes a 64-byte digest: any length is fine.
	enc, err := hashers.BCryptSHA256{Cost: 4}.Encode(strings.Repeat("x", 1000))
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := (hashers.BCryptSHA256{}).Verify(strings.Repeat("x", 999), enc); ok {
		t.Error("bcrypt_sha256 verified a shorter password")
	}
}

func TestVerify_Malformed(t *testing.T) {
	const (
		b64_32 = "r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps="
		bc53   = "c2B.cDnxFnoh1txdvztL2eveWtZ5Q0A6HOK0JA4wRxfMhW60hE2dS"
		sc64   = "Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw=="
	)
	tests := []struct {
		name, encoded string
		want          error
	}{
		{"no dollar", "88a434c88cca4e900f7874cd98123f43", hashers.ErrUnknownAlgorithm},
		{"md5", "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3", hashers.ErrUnknownAlgorithm},
		{"unsalted sha1", "sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b", hashers.ErrUnknownAlgorithm},
		{"lolcat", "lolcat$salt$hash", hashers.ErrUnknownAlgorithm},
		{"case", "PBKDF2_SHA256$1000$salt$" + b64_32, hashers.ErrUnknownAlgorithm},
		{"only algorithm", "pbkdf2_sha256$", hashers.ErrMalformed},
		{"pbkdf2 3 fields", "pbkdf2_sha256$1000$" + b64_32, hashers.ErrMalformed},
		{"pbkdf2 zero iterations", "pbkdf2_sha256$0$salt$" + b64_32, hashers.ErrMalformed},
		{"pbkdf2 leading zero", "pbkdf2_sha256$01000$salt$" + b64_32, hashers.ErrMalformed},
		{"pbkdf2 sign", "pbkdf2_sha256$+1000$salt$" + b64_32, hashers.ErrMalformed},
		{"pbkdf2 negative", "pbkdf2_sha256$-1$salt$" + b64_32, hashers.ErrMalformed},
		{"pbkdf2 huge", "pbkdf2_sha256$99999999999999999999999$salt$" + b64_32, hashers.ErrMalformed},
		{"pbkdf2 empty salt", "pbkdf2_sha256$1000$$" + b64_32, hashers.ErrMalformed},
		{"pbkdf2 short hash", "pbkdf2_sha256$1000$salt$abc=", hashers.ErrMalformed},
		{"pbkdf2 sha1 hash length", "pbkdf2_sha1$1000$salt$" + b64_32, hashers.ErrMalformed},
		{"too long", "pbkdf2_sha256$1000$" + strings.Repeat("s", 2000) + "$" + b64_32, hashers.ErrMalformed},
		{"argon2 no fields", "argon2$", hashers.ErrMalformed},
		{"argon2 variant", "argon2$argon2x$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", hashers.ErrMalformed},
		{"argon2 param order", "argon2$argon2id$v=19$t=1,m=64,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", hashers.ErrMalformed},
		{"argon2 extra param", "argon2$argon2id$v=19$m=64,t=1,p=1,x=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", hashers.ErrMalformed},
		{"argon2 t=0", "argon2$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", hashers.ErrMalformed},
		{"argon2 p=0", "argon2$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", hashers.ErrMalformed},
		{"argon2 m<8p", "argon2$argon2id$v=19$m=15,t=1,p=2$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", hashers.ErrMalformed},
		{"argon2 m overflow", "argon2$argon2id$v=19$m=4294967296,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", hashers.ErrMalformed},
		{"argon2 short salt", "argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdA$YC9+jJCrQhs5R6db7LlN8Q", hashers.ErrMalformed},
		{"argon2 padded salt", "argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ=$YC9+jJCrQhs5R6db7LlN8Q", hashers.ErrMalformed},
		{"argon2 short hash", "argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$YC8", hashers.ErrMalformed},
		{"argon2 extra field", "argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q$x", hashers.ErrMalformed},
		{"argon2 bad version", "argon2$argon2id$v=x$m=64,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", hashers.ErrMalformed},
		{"argon2 version 20", "argon2$argon2id$v=20$m=64,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", hashers.ErrUnsupported},
		{"argon2d", "argon2$argon2d$v=19$m=32,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$KeOx6Cp99uhO7LlFvwzGHaQfLVXoxbFMNdRyZ949C2s", hashers.ErrUnsupported},
		{"argon2 256 lanes", "argon2$argon2id$v=19$m=2048,t=1,p=256$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", hashers.ErrUnsupported},
		{"bcrypt short", "bcrypt_sha256$$2b$04$c2B.cDnx", hashers.ErrMalformed},
		{"bcrypt no empty field", "bcrypt_sha256$2b$04$" + bc53 + "x", hashers.ErrMalformed},
		{"bcrypt 2x", "bcrypt$$2x$04$" + bc53, hashers.ErrMalformed},
		{"bcrypt 2 no minor", "bcrypt$$2$04$" + bc53 + "x", hashers.ErrMalformed},
		{"bcrypt cost 3", "bcrypt$$2b$03$" + bc53, hashers.ErrMalformed},
		{"bcrypt cost letters", "bcrypt$$2b$1a$" + bc53, hashers.ErrMalformed},
		{"bcrypt bad char", "bcrypt$$2b$04$" + strings.Replace(bc53, ".", "!", 1), hashers.ErrMalformed},
		{"scrypt 5 fields", "scrypt$16384$seasalt$8$" + sc64, hashers.ErrMalformed},
		{"scrypt 7 fields", "scrypt$16384$seasalt$8$1$x$" + sc64, hashers.ErrMalformed},
		{"scrypt N not power of 2", "scrypt$16383$seasalt$8$1$" + sc64, hashers.ErrMalformed},
		{"scrypt N=1", "scrypt$1$seasalt$8$1$" + sc64, hashers.ErrMalformed},
		{"scrypt r=0", "scrypt$16384$seasalt$0$1$" + sc64, hashers.ErrMalformed},
		{"scrypt empty salt", "scrypt$16384$$8$1$" + sc64, hashers.ErrMalformed},
		{"scrypt short hash", "scrypt$16384$seasalt$8$1$" + b64_32, hashers.ErrMalformed},
	}
	s := cheapSet
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, pw := range []string{"lètmein", "secret", ""} {
				ok, upgrade, err := s.Verify(pw, tt.encoded)
				if ok || upgrade || !errors.Is(err, tt.want) {
					t.Fatalf("Verify = %v, %v, %v; want false, false, %v", ok, upgrade, err, tt.want)
				}
			}
		})
	}
}

// TestVerify_ErrorsHideHashes: error text is for logs, and a hash column
// may hold a password in clear.
func TestVerify_ErrorsHideHashes(t *testing.T) {
	for _, enc := range []string{"hunter2", "hunter2$x", "pbkdf2_sha256$1000$hunter2$short"} {
		_, _, err := cheapSet.Verify("x", enc)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Verify(%q) err = %v; want an error without the stored text", enc, err)
		}
	}
	// Django's retired algorithms are named, to tell the operator why.
	_, _, err := cheapSet.Verify("x", "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3")
	if err == nil || !strings.Contains(err.Error(), `"md5"`) {
		t.Errorf("md5 hash: err = %v; want it to name md5", err)
	}
}

func TestVerify_Limits(t *testing.T) {
	const (
		b64_32 = "r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps="
		bc53   = "c2B.cDnxFnoh1txdvztL2eveWtZ5Q0A6HOK0JA4wRxfMhW60hE2dS"
		sc64   = "Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw=="
		a      = "$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q"
	)
	over := []struct{ name, encoded string }{
		{"pbkdf2 10000001", "pbkdf2_sha256$10000001$seasalt$" + b64_32},
		{"pbkdf2_sha1 19 digits", "pbkdf2_sha1$9999999999999999999$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PU="},
		{"argon2 2 GiB", "argon2$argon2id$v=19$m=2097152,t=1,p=1" + a},
		{"argon2 memory x passes", "argon2$argon2id$v=19$m=1048576,t=5,p=1" + a},
		{"argon2 max uint32 passes", "argon2$argon2i$v=19$m=64,t=4294967295,p=1" + a},
		{"bcrypt cost 17", "bcrypt_sha256$$2b$17$" + bc53},
		{"bcrypt cost 31", "bcrypt$$2b$31$" + bc53},
		{"scrypt N=2^21", "scrypt$2097152$seasalt$8$1$" + sc64},
		{"scrypt p huge", "scrypt$16384$seasalt$8$1073741824$" + sc64},
		{"scrypt overflow", "scrypt$4611686018427387904$seasalt$4611686018427387904$1$" + sc64},
	}
	s := cheapSet
	for _, tt := range over {
		t.Run(tt.name, func(t *testing.T) {
			ok, _, err := s.Verify("lètmein", tt.encoded)
			if ok || !errors.Is(err, hashers.ErrLimit) {
				t.Errorf("Verify = %v, %v; want false, ErrLimit", ok, err)
			}
		})
	}
	// At the limit is accepted (the hash is wrong, so false without error).
	atLimit := []struct {
		name    string
		h       hashers.Hasher
		encoded string
	}{
		{"pbkdf2 max 2000", hashers.PBKDF2SHA256{MaxIterations: 2000}, "pbkdf2_sha256$2000$seasalt$" + b64_32},
		{"argon2 max 64 KiB", hashers.Argon2{MaxMemoryKiB: 64, MaxWork: 128}, "argon2$argon2id$v=19$m=64,t=2,p=1" + a},
		{"bcrypt max 4", hashers.BCrypt{MaxCost: 4}, "bcrypt$$2b$04$" + bc53},
		{"scrypt max 1 MiB", hashers.Scrypt{MaxWork: 1 << 20}, "scrypt$1024$seasalt$8$1$" + sc64},
	}
	for _, tt := range atLimit {
		t.Run(tt.name, func(t *testing.T) {
			if ok, err := tt.h.Verify("lètmein", tt.encoded); ok || err != nil {
				t.Errorf("at limit: Verify = %v, %v; want false, nil", ok, err)
			}
			// One step over, through the same hasher.
			over := strings.NewReplacer("$2000$", "$2001$", "t=2", "t=3", "$04$", "$05$", "$1024$", "$2048$").Replace(tt.encoded)
			if _, err := tt.h.Verify("lètmein", over); !errors.Is(err, hashers.ErrLimit) {
				t.Errorf("over limit: err = %v; want ErrLimit", err)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	tests := []struct{ name, algorithm string }{
		{"pbkdf2_sha256", "pbkdf2_sha256"},
		{"django.contrib.auth.hashers.PBKDF2PasswordHasher", "pbkdf2_sha256"},
		{"pbkdf2_sha1", "pbkdf2_sha1"},
		{"django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher", "pbkdf2_sha1"},
		{"argon2", "argon2"},
		{"django.contrib.auth.hashers.Argon2PasswordHasher", "argon2"},
		{"bcrypt_sha256", "bcrypt_sha256"},
		{"django.contrib.auth.hashers.BCryptSHA256PasswordHasher", "bcrypt_sha256"},
		{"bcrypt", "bcrypt"},
		{"django.contrib.auth.hashers.BCryptPasswordHasher", "bcrypt"},
		{"scrypt", "scrypt"},
		{"django.contrib.auth.hashers.ScryptPasswordHasher", "scrypt"},
	}
	for _, tt := range tests {
		h, err := hashers.Lookup(tt.name)
		if err != nil || h.Algorithm() != tt.algorithm {
			t.Errorf("Lookup(%q) = %v, %v; want algorithm %q", tt.name, h, err, tt.algorithm)
		}
	}
	for _, name := range []string{"", "md5", "django.contrib.auth.hashers.MD5PasswordHasher", "myproject.hashers.MyPBKDF2PasswordHasher", "PBKDF2_SHA256"} {
		if _, err := hashers.Lookup(name); !errors.Is(err, hashers.ErrUnknownAlgorithm) {
			t.Errorf("Lookup(%q) err = %v; want ErrUnknownAlgorithm", name, err)
		}
	}
}

func TestUnusable(t *testing.T) {
	u := hashers.MakeUnusable()
	if !regexp.MustCompile(`^![A-Za-z0-9]{40}$`).MatchString(u) {
		t.Errorf("MakeUnusable() = %q", u)
	}
	if u == hashers.MakeUnusable() {
		t.Error("two unusable passwords are equal")
	}
	for enc, want := range map[string]bool{u: false, "!": false, "": true, "pbkdf2_sha256$1$s$h": true} {
		if got := hashers.IsUsable(enc); got != want {
			t.Errorf("IsUsable(%q) = %v; want %v", enc, got, want)
		}
	}
}
