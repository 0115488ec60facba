package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Chromium returns the path of the Chromium binary for browser tests:
// AUTHING_TEST_CHROMIUM when set (a path or a name on PATH), else the first
// of chromium, chromium-browser, google-chrome found on PATH. When there is
// none the test is skipped on a developer's machine and fails in CI, where
// scripts/browser.sh (run by scripts/test.sh) installs Debian's chromium.
// AUTHING_TEST_CHROMIUM=off skips deliberately (not allowed in CI).
func Chromium(t testing.TB) string {
	t.Helper()
	names := []string{"chromium", "chromium-browser", "google-chrome"}
	switch v := os.Getenv("AUTHING_TEST_CHROMIUM"); v {
	case "off":
		if CI() {
			t.Fatal("AUTHING_TEST_CHROMIUM=off is not allowed when CI is set")
		}
		t.Skip("AUTHING_TEST_CHROMIUM=off: skipping a browser test")
	case "":
	default:
		names = []string{v}
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if CI() {
		t.Fatalf("no Chromium (%v) on PATH; CI must install it (scripts/browser.sh)", names)
	}
	t.Skipf("no Chromium (%v) on PATH: run scripts/browser.sh or set AUTHING_TEST_CHROMIUM to run this test", names)
	return ""
}
