package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSettingsReference keeps the settings table of docs/configuration.md
// and of the README (between <!-- settings:begin … --> and
// <!-- settings:end -->) equal to what `authing settings` prints.
// UPDATE_DOCS=1 rewrites them:
//
//	UPDATE_DOCS=1 go test ./cmd/authing -run TestSettingsReference
func TestSettingsReference(t *testing.T) {
	ref := settingsReference()
	if out := mustCLI(t, nil, "", "settings"); out != ref {
		t.Fatalf("`authing settings` prints something else than settingsReference():\n%s", out)
	}
	for _, f := range []string{"../../docs/configuration.md", "../../README.md"} {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc := string(raw)
		begin := strings.Index(doc, "<!-- settings:begin")
		end := strings.Index(doc, "<!-- settings:end -->")
		if begin < 0 || end < begin {
			t.Errorf("%s: no <!-- settings:begin … --> … <!-- settings:end --> block", f)
			continue
		}
		body := begin + strings.Index(doc[begin:], "\n") + 1
		want := doc[:body] + ref + doc[end:]
		if want == doc {
			continue
		}
		if os.Getenv("UPDATE_DOCS") == "1" {
			if err := os.WriteFile(f, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote the settings table of %s", filepath.Clean(f))
			continue
		}
		t.Errorf("the settings table of %s is out of date: run UPDATE_DOCS=1 go test ./cmd/authing -run TestSettingsReference", filepath.Clean(f))
	}
}
