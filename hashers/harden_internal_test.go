package hashers

import "testing"

// TestHardenWork mirrors Django's test_pbkdf2_harden_runtime (1 iteration
// stored, 6 configured: 5 more) and test_bcrypt_harden_runtime (cost 4
// stored, 6 configured: 3 more runs).
func TestHardenWork(t *testing.T) {
	enc, err := PBKDF2SHA256{Iterations: 1}.Encode("letmein")
	if err != nil {
		t.Fatal(err)
	}
	if _, n := (PBKDF2SHA256{Iterations: 6}).algo().hardenWork(enc); n != 5 {
		t.Errorf("pbkdf2 1 → 6: %d extra iterations; want 5", n)
	}
	if _, n := (PBKDF2SHA256{Iterations: 1}).algo().hardenWork(enc); n != 0 {
		t.Errorf("pbkdf2 1 → 1: %d extra iterations; want 0", n)
	}
	enc, err = BCrypt{Cost: 4}.Encode("letmein")
	if err != nil {
		t.Fatal(err)
	}
	if _, n := (BCrypt{Cost: 6}).algo().hardenWork(enc); n != 3 {
		t.Errorf("bcrypt 4 → 6: %d extra runs; want 3", n)
	}
	if _, n := (BCrypt{Cost: 4}).algo().hardenWork(enc); n != 0 {
		t.Errorf("bcrypt 4 → 4: %d extra runs; want 0", n)
	}
	if _, n := (BCrypt{Cost: 6}).algo().hardenWork("bcrypt$garbage"); n != 0 {
		t.Errorf("malformed: %d extra runs; want 0", n)
	}
}
