package hashers

import (
	"fmt"
	"time"
)

// Calibration floors: OWASP's minimums, below which Calibrate never goes.
const (
	minPBKDF2SHA256Iterations = 600_000
	minPBKDF2SHA1Iterations   = 1_300_000
	calibrateMaxArgon2Memory  = 256 << 10 // KiB: past 256 MiB a login costs too much memory
)

// Calibrate measures this machine and returns a hasher of algorithm
// ("argon2" or "pbkdf2_sha256"/"pbkdf2_sha1", or their Django class paths)
// whose Encode takes about target, never less than OWASP's minimum
// parameters, with its parameters as text ("m=…,t=…,p=…" or
// "iterations=…"). It doubles argon2 memory (up to 256 MiB, then passes)
// or PBKDF2 iterations until one more doubling would exceed target, and
// gives up doubling once it has spent ten times target. Each step hashes
// once, so run it on an idle machine.
func Calibrate(algorithm string, target time.Duration) (Hasher, string, error) {
	h, err := Lookup(algorithm)
	if err != nil {
		return nil, "", err
	}
	switch h := h.(type) {
	case Argon2:
		a := calibrateArgon2(target)
		return a, a.Params(), nil
	case PBKDF2SHA256:
		h.Iterations = calibrateIterations(minPBKDF2SHA256Iterations, target, func(n int) time.Duration {
			return timeEncode(PBKDF2SHA256{Iterations: n})
		})
		return h, fmt.Sprintf("iterations=%d", h.Iterations), nil
	case PBKDF2SHA1:
		h.Iterations = calibrateIterations(minPBKDF2SHA1Iterations, target, func(n int) time.Duration {
			return timeEncode(PBKDF2SHA1{Iterations: n})
		})
		return h, fmt.Sprintf("iterations=%d", h.Iterations), nil
	}
	return nil, "", fmt.Errorf("%w: calibrate: %s (argon2 and pbkdf2 only)", ErrUnsupported, h.Algorithm())
}

func timeEncode(h Hasher) time.Duration {
	start := time.Now()
	h.Encode("calibrate")
	return time.Since(start)
}

func calibrateArgon2(target time.Duration) Argon2 {
	best := Argon2{}
	budget := time.Now().Add(10 * target)
	if timeEncode(best) >= target {
		return best
	}
	for time.Now().Before(budget) {
		next := best
		if next.memory() < calibrateMaxArgon2Memory {
			next.MemoryKiB = next.memory() * 2
		} else {
			next.Time = next.time() + 1
		}
		if uint64(next.memory())*uint64(next.time()) > DefaultMaxArgon2Work/2 {
			break // stay well inside what a default verifier accepts
		}
		if timeEncode(next) > target {
			break
		}
		best = next
	}
	return best
}

// calibrateIterations doubles from floor while a run stays within target,
// then scales the last count linearly toward target (at most doubling it).
func calibrateIterations(floor int, target time.Duration, run func(int) time.Duration) int {
	budget := time.Now().Add(10 * target)
	n, d := floor, run(floor)
	if d >= target {
		return floor
	}
	for time.Now().Before(budget) && 2*n <= DefaultMaxPBKDF2Iterations/2 {
		d2 := run(2 * n)
		if d2 > target {
			break
		}
		n, d = 2*n, d2
	}
	if d > 0 {
		scaled := int(float64(n) * float64(target) / float64(d))
		scaled = min(scaled, 2*n, DefaultMaxPBKDF2Iterations/2)
		if scaled > n {
			n = scaled / 10_000 * 10_000
		}
	}
	return max(n, floor)
}
