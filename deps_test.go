package authing_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyDirection keeps the layout of DESIGN.md true: the root package
// imports the standard library only, and no method, store or user database
// imports a sibling backend.
func TestDependencyDirection(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const mod = "authing.dev/authing"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, "|")
		for _, imp := range strings.Fields(imports) {
			std := !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".")
			switch {
			case pkg == mod && !std:
				t.Errorf("the root package imports %s: it must use the standard library only", imp)
			case under(pkg, mod+"/method/") && (under(imp, mod+"/store/") || under(imp, mod+"/userdb/")):
				t.Errorf("%s imports the backend %s", pkg, imp)
			case (under(pkg, mod+"/store/") || under(pkg, mod+"/userdb/")) && (under(imp, mod+"/method/") || sibling(pkg, imp, mod)):
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
}

func under(pkg, prefix string) bool { return strings.HasPrefix(pkg+"/", prefix) }

// sibling reports an import of another backend of the same kind (store/x →
// store/y, userdb/x → userdb/y); their shared internal helpers are allowed.
func sibling(pkg, imp, mod string) bool {
	for _, kind := range []string{"/store/", "/userdb/"} {
		p, i := strings.TrimPrefix(pkg, mod+kind), strings.TrimPrefix(imp, mod+kind)
		pi, ii := strings.SplitN(p, "/", 2)[0], strings.SplitN(i, "/", 2)[0]
		if p != pkg && i != imp && pi != ii && ii != "internal" {
			return true
		}
	}
	return false
}
