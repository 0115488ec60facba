package uuidv4_test

import (
	"regexp"
	"testing"

	"authing.dev/authing/userdb/internal/uuidv4"
)

var v4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := uuidv4.New()
		if !v4.MatchString(id) {
			t.Fatalf("New() = %q, not a canonical v4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("New() repeated %q", id)
		}
		seen[id] = true
		if c, ok := uuidv4.Canonical(id); !ok || c != id {
			t.Fatalf("Canonical(%q) = %q, %v", id, c, ok)
		}
	}
}

func TestCanonical(t *testing.T) {
	const want = "0f8e2a3c-4b5d-4e6f-8a9b-0c1d2e3f4a5b"
	for _, in := range []string{
		want,
		"0F8E2A3C-4B5D-4E6F-8A9B-0C1D2E3F4A5B",
		"0f8e2a3c4b5d4e6f8a9b0c1d2e3f4a5b",
	} {
		if got, ok := uuidv4.Canonical(in); !ok || got != want {
			t.Errorf("Canonical(%q) = %q, %v; want %q, true", in, got, ok, want)
		}
	}
	for _, in := range []string{
		"",
		"not-a-uuid",
		"0f8e2a3c-4b5d-4e6f-8a9b-0c1d2e3f4a5",
		"0f8e2a3c_4b5d-4e6f-8a9b-0c1d2e3f4a5b",
		"0f8e2a3c-4b5d-4e6f-8a9b-0c1d2e3f4a5g",
		"{0f8e2a3c-4b5d-4e6f-8a9b-0c1d2e3f4a5b}",
	} {
		if got, ok := uuidv4.Canonical(in); ok {
			t.Errorf("Canonical(%q) = %q, true; want false", in, got)
		}
	}
}
