package hashers_test

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"authing.dev/authing/hashers"
)

// plain is a toy Hasher ("plain$<password>") that counts its calls.
type plain struct {
	encodes, verifies *atomic.Int64
}

func newPlain() plain { return plain{new(atomic.Int64), new(atomic.Int64)} }

func (plain) Algorithm() string { return "plain" }

func (p plain) Encode(password string) (string, error) {
	p.encodes.Add(1)
	return "plain$" + password, nil
}

func (p plain) Verify(password, encoded string) (bool, error) {
	p.verifies.Add(1)
	rest, ok := strings.CutPrefix(encoded, "plain$")
	if !ok {
		return false, hashers.ErrMalformed
	}
	return rest == password, nil
}

func (plain) MustUpdate(string) bool { return false }

func TestSet_Upgrade(t *testing.T) {
	mustEncode := func(h hashers.Hasher, pw string) string {
		t.Helper()
		enc, err := h.Encode(pw)
		if err != nil {
			t.Fatal(err)
		}
		return enc
	}
	pb2000 := hashers.PBKDF2SHA256{Iterations: 2000}
	argon := hashers.Argon2{MemoryKiB: 64, Time: 2}
	tests := []struct {
		name      string
		preferred hashers.Hasher
		encoded   string
		want      bool
		password  string // "" means "pw"
	}{
		{"pbkdf2 same iterations", pb2000, mustEncode(pb2000, "pw"), false, ""},
		{"pbkdf2 fewer iterations", pb2000, mustEncode(hashers.PBKDF2SHA256{Iterations: 1000}, "pw"), true, ""},
		{"pbkdf2 more iterations", pb2000, mustEncode(hashers.PBKDF2SHA256{Iterations: 3000}, "pw"), false, ""},
		// Django's salt entropy rule: "seasalt" has fewer than 128 bits.
		{"pbkdf2 weak salt", hashers.PBKDF2SHA256{Iterations: 30000},
			"pbkdf2_sha256$30000$seasalt2$a75qzbogeVhNFeMqhdgyyoqGKpIzYUo651sq57RERew=", true, "lètmein"},
		{"pbkdf2_sha1 under pbkdf2_sha256", pb2000, mustEncode(hashers.PBKDF2SHA1{Iterations: 2000}, "pw"), true, ""},
		{"pbkdf2 under argon2", argon, mustEncode(pb2000, "pw"), true, ""},
		{"argon2 same", argon, mustEncode(argon, "pw"), false, ""},
		{"argon2 more memory", argon, mustEncode(hashers.Argon2{MemoryKiB: 128, Time: 2}, "pw"), false, ""},
		{"argon2 more lanes", argon, mustEncode(hashers.Argon2{MemoryKiB: 64, Time: 2, Threads: 2}, "pw"), false, ""},
		{"argon2 less memory", argon, mustEncode(hashers.Argon2{MemoryKiB: 32, Time: 2}, "pw"), true, ""},
		{"argon2 fewer passes", argon, mustEncode(hashers.Argon2{MemoryKiB: 64, Time: 1}, "pw"), true, ""},
		{"argon2 shorter hash", argon, mustEncode(hashers.Argon2{MemoryKiB: 64, Time: 2, KeyLen: 16}, "pw"), true, ""},
		{"argon2 shorter salt", argon, mustEncode(hashers.Argon2{MemoryKiB: 64, Time: 2, SaltLen: 8}, "pw"), true, ""},
		{"argon2i", hashers.Argon2{MemoryKiB: 32, Time: 1},
			"argon2$argon2i$v=19$m=32,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$nngguUcWRVjaWg5q+VU/4cYgGcFgCr2QHaIzwyGXybA", true, "lètmein"},
		{"bcrypt lower cost", hashers.BCryptSHA256{Cost: 5}, mustEncode(hashers.BCryptSHA256{Cost: 4}, "pw"), true, ""},
		{"bcrypt same cost", hashers.BCryptSHA256{Cost: 4}, mustEncode(hashers.BCryptSHA256{Cost: 4}, "pw"), false, ""},
		{"bcrypt under bcrypt_sha256", hashers.BCryptSHA256{Cost: 4}, mustEncode(hashers.BCrypt{Cost: 4}, "pw"), true, ""},
		{"scrypt lower N", hashers.Scrypt{WorkFactor: 32, Parallelism: 1}, mustEncode(hashers.Scrypt{WorkFactor: 16, Parallelism: 1}, "pw"), true, ""},
		{"scrypt same", hashers.Scrypt{WorkFactor: 16, Parallelism: 1}, mustEncode(hashers.Scrypt{WorkFactor: 16, Parallelism: 1}, "pw"), false, ""},
		// Django 4.0–5.0 hashes (p=1) under Django 5.1's parallelism 5.
		{"scrypt lower p", hashers.Scrypt{WorkFactor: 16}, mustEncode(hashers.Scrypt{WorkFactor: 16, Parallelism: 1}, "pw"), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pw := tt.password
			if pw == "" {
				pw = "pw"
			}
			s := hashers.NewSet(tt.preferred)
			ok, upgrade, err := s.Verify(pw, tt.encoded)
			if !ok || err != nil || upgrade != tt.want {
				t.Errorf("Verify = %v, %v, %v; want true, %v, nil", ok, upgrade, err, tt.want)
			}
			// A wrong password never asks for an upgrade.
			ok, upgrade, err = s.Verify("wrong", tt.encoded)
			if ok || upgrade || err != nil {
				t.Errorf("Verify(wrong) = %v, %v, %v; want false, false, nil", ok, upgrade, err)
			}
		})
	}
}

// TestSet_ConstantWork: every path that ends without verifying a real hash
// spends one verification of the preferred hasher.
func TestSet_ConstantWork(t *testing.T) {
	p := newPlain()
	s := hashers.NewSet(p)
	tests := []struct {
		name, encoded string
		wantErr       error
	}{
		{"unusable", "!" + strings.Repeat("a", 40), nil},
		{"bare unusable", "!", nil},
		{"empty", "", nil},
		{"unknown", "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3", hashers.ErrUnknownAlgorithm},
		{"malformed", "pbkdf2_sha256$x$salt$hash", hashers.ErrMalformed},
		{"over limit", "bcrypt$$2b$31$c2B.cDnxFnoh1txdvztL2eveWtZ5Q0A6HOK0JA4wRxfMhW60hE2dS", hashers.ErrLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := p.verifies.Load()
			ok, upgrade, err := s.Verify("pw", tt.encoded)
			if ok || upgrade || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Verify = %v, %v, %v; want false, false, %v", ok, upgrade, err, tt.wantErr)
			}
			if n := p.verifies.Load() - before; n != 1 {
				t.Errorf("preferred hasher verified %d times; want 1 (the dummy)", n)
			}
		})
	}
	t.Run("Concurrent", func(t *testing.T) {
		q := newPlain()
		s := hashers.NewSet(q)
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() { s.VerifyDummy("pw") })
		}
		wg.Wait()
		if q.encodes.Load() != 1 || q.verifies.Load() != 16 {
			t.Errorf("16 dummies: %d encodes, %d verifies; want 1, 16", q.encodes.Load(), q.verifies.Load())
		}
	})
}

func TestSet_VerifiesEveryFormat(t *testing.T) {
	// A Set that lists only pbkdf2 still verifies argon2, bcrypt and scrypt,
	// unlike Django: users migrated from any Django configuration sign in.
	s, err := hashers.NewSetFromNames([]string{"django.contrib.auth.hashers.PBKDF2PasswordHasher"})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range generatedVectors {
		ok, upgrade, err := s.Verify(v.password, v.encoded)
		if !ok || !upgrade || err != nil {
			t.Errorf("%s: Verify = %v, %v, %v; want true, true, nil", v.name, ok, upgrade, err)
		}
	}
}

func TestSet_ListedHashersTakePrecedence(t *testing.T) {
	// A listed hasher with a higher limit verifies what the built-in refuses.
	enc, err := hashers.PBKDF2SHA256{Iterations: 1001}.Encode("pw")
	if err != nil {
		t.Fatal(err)
	}
	strict := hashers.NewSet(hashers.Argon2{}, hashers.PBKDF2SHA256{MaxIterations: 1000})
	if _, _, err := strict.Verify("pw", enc); !errors.Is(err, hashers.ErrLimit) {
		t.Errorf("listed MaxIterations 1000: err = %v; want ErrLimit", err)
	}
	if ok, _, err := hashers.Default().Verify("pw", enc); !ok || err != nil {
		t.Errorf("built-in: Verify = %v, %v; want true, nil", ok, err)
	}
	// A third-party format verifies once listed, and encodes when preferred.
	p := newPlain()
	withPlain := hashers.NewSet(hashers.Argon2{}, p)
	if ok, upgrade, err := withPlain.Verify("pw", "plain$pw"); !ok || !upgrade || err != nil {
		t.Errorf("listed plain: Verify = %v, %v, %v; want true, true, nil", ok, upgrade, err)
	}
	if _, _, err := hashers.Default().Verify("pw", "plain$pw"); !errors.Is(err, hashers.ErrUnknownAlgorithm) {
		t.Errorf("unlisted plain: err = %v; want ErrUnknownAlgorithm", err)
	}
	preferPlain := hashers.NewSet(p, hashers.Argon2{})
	if enc, err := preferPlain.Encode("pw"); enc != "plain$pw" || err != nil {
		t.Errorf("Encode = %q, %v; want plain$pw", enc, err)
	}
	if ok, upgrade, _ := preferPlain.Verify("pw", "plain$pw"); !ok || upgrade {
		t.Errorf("preferred plain: Verify = %v, upgrade %v; want true, false", ok, upgrade)
	}
}

func TestNewSetFromNames(t *testing.T) {
	// Django's default PASSWORD_HASHERS.
	django := []string{
		"django.contrib.auth.hashers.PBKDF2PasswordHasher",
		"django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
		"django.contrib.auth.hashers.Argon2PasswordHasher",
		"django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
		"django.contrib.auth.hashers.ScryptPasswordHasher",
	}
	tests := []struct {
		names []string
		want  string
	}{
		{django, "pbkdf2_sha256"},
		{[]string{"argon2", "pbkdf2_sha256"}, "argon2"},
		{[]string{"bcrypt_sha256"}, "bcrypt_sha256"},
		{nil, "argon2"},
		{[]string{}, "argon2"},
	}
	for _, tt := range tests {
		s, err := hashers.NewSetFromNames(tt.names)
		if err != nil || s.Preferred().Algorithm() != tt.want {
			t.Errorf("NewSetFromNames(%q): preferred %v, %v; want %s", tt.names, s.Preferred(), err, tt.want)
		}
	}
	_, err := hashers.NewSetFromNames([]string{"argon2", "myproject.hashers.MyPBKDF2PasswordHasher"})
	if !errors.Is(err, hashers.ErrUnknownAlgorithm) || !strings.Contains(err.Error(), "PASSWORD_HASHERS[1]") {
		t.Errorf("unknown entry: err = %v; want ErrUnknownAlgorithm naming PASSWORD_HASHERS[1]", err)
	}
}

func TestDefault(t *testing.T) {
	s := hashers.Default()
	a, ok := s.Preferred().(hashers.Argon2)
	if !ok || a.Params() != "m=19456,t=2,p=1" {
		t.Fatalf("Default preferred = %#v; want Argon2 m=19456,t=2,p=1", s.Preferred())
	}
	if hashers.NewSet(nil).Preferred().Algorithm() != "argon2" {
		t.Error("NewSet(nil) does not prefer argon2")
	}
	enc, err := s.Encode("lètmein")
	if err != nil || !strings.HasPrefix(enc, "argon2$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("Encode = %q, %v", enc, err)
	}
	if ok, upgrade, err := s.Verify("lètmein", enc); !ok || upgrade || err != nil {
		t.Errorf("Verify(own hash) = %v, %v, %v; want true, false, nil", ok, upgrade, err)
	}
}
