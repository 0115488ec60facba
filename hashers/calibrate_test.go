package hashers_test

import (
	"errors"
	"testing"
	"time"

	"authing.dev/authing/hashers"
)

// TestCalibrate checks the floors and the shape of the result, not timings:
// a target of 1 ns is below any hash, so OWASP's minimum comes back.
func TestCalibrate(t *testing.T) {
	h, params, err := hashers.Calibrate("argon2", time.Nanosecond)
	if a, ok := h.(hashers.Argon2); err != nil || !ok || params != "m=19456,t=2,p=1" || a.Params() != params {
		t.Errorf("Calibrate(argon2) = %#v, %q, %v; want Argon2 m=19456,t=2,p=1", h, params, err)
	}
	h, params, err = hashers.Calibrate("django.contrib.auth.hashers.PBKDF2PasswordHasher", time.Nanosecond)
	if p, ok := h.(hashers.PBKDF2SHA256); err != nil || !ok || params != "iterations=600000" || p.Iterations != 600000 {
		t.Errorf("Calibrate(PBKDF2PasswordHasher) = %#v, %q, %v; want PBKDF2SHA256 of 600000 iterations", h, params, err)
	}
	if _, _, err := hashers.Calibrate("bcrypt", time.Second); !errors.Is(err, hashers.ErrUnsupported) {
		t.Errorf("bcrypt: err = %v; want ErrUnsupported", err)
	}
	if _, _, err := hashers.Calibrate("md5", time.Second); !errors.Is(err, hashers.ErrUnknownAlgorithm) {
		t.Errorf("md5: err = %v; want ErrUnknownAlgorithm", err)
	}
}
