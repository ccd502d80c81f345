// Package deps enforces the import directions of DESIGN.md §2 over every package of the module.
package deps

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/doricdb/doric/"

// rule says which repository packages a package (by path prefix) may import, besides its own
// subtree and internal/ helpers. The most specific prefix wins.
type rule struct {
	prefix string
	allow  []string
}

// Departures from the letter of DESIGN.md §2, on purpose:
//   - the leaves may import api/ (the generated contract types, e.g. commonpb.Type): those are data
//     definitions, not components;
//   - internal/standalone is wiring shared by cmd/doric and the test cluster (cmd's main package
//     cannot be imported), so it may import every role.
//   - compute/partition (partition keys, routing rows to partitions, pruning, AUTO PARTITION
//     names) is a deliberate compute leaf beside types, vector, function and expr: it imports only
//     compute/types and compute/vector, and the frontend may import it, so that the frontend
//     (DDL, pruning, INSERT) and a compute node running Stream Load route rows with the same code.
var rules = []rule{
	{"api", nil},
	{"vault", []string{"api"}},
	{"filecache", []string{"vault", "api"}},
	{"metaservice/kv", []string{"api"}},
	{"metaservice/keys", []string{"api"}},
	{"metaservice", []string{"api", "metaservice"}},
	{"recycler", []string{"api", "vault", "metaservice/kv", "metaservice/keys"}},
	{"compute/types", []string{"api"}},
	{"compute/vector", []string{"api", "compute/types"}},
	{"compute/partition", []string{"compute/types", "compute/vector"}},
	{"compute", []string{"api", "vault", "filecache", "metaservice/client", "compute"}},
	{"frontend", []string{"api", "metaservice/client", "compute/types", "compute/vector", "compute/function", "compute/expr", "compute/partition", "frontend"}},
	{"operator", []string{"api", "metaservice/client", "operator"}},
	{"internal/standalone", []string{""}},
	{"internal", nil},
	{"cmd", []string{""}},
	{"test", []string{""}},
}

// harnesses are test-only packages production code must never import.
var harnesses = []string{"frontend/testcluster", "frontend/logictest", "vault/vaulttest", "metaservice/kv/kvtest"}

func ruleFor(pkg string) (rule, bool) {
	best, found := rule{}, false
	for _, r := range rules {
		if (pkg == r.prefix || strings.HasPrefix(pkg, r.prefix+"/")) && len(r.prefix) >= len(best.prefix) {
			best, found = r, true
		}
	}
	return best, found
}

func under(pkg, prefix string) bool {
	return prefix == "" || pkg == prefix || strings.HasPrefix(pkg, prefix+"/")
}

func isHarness(pkg string) bool {
	for _, h := range harnesses {
		if under(pkg, h) {
			return true
		}
	}
	return strings.HasSuffix(pkg, "test") && !strings.HasPrefix(pkg, "test/")
}

func TestImportDirections(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, mod+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], mod)
		r, ok := ruleFor(pkg)
		if !ok {
			t.Errorf("package %s is outside the layout of DESIGN.md §2", pkg)
			continue
		}
		checked++
		if isHarness(pkg) {
			continue // harnesses may import anything
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			dep := strings.TrimPrefix(imp, mod)
			if isHarness(dep) && !strings.HasPrefix(pkg, "test/") {
				t.Errorf("%s imports the test harness %s", pkg, dep)
				continue
			}
			if under(dep, r.prefix) || under(dep, "internal/buildinfo") || under(dep, "internal/httpserve") {
				continue
			}
			allowed := false
			for _, a := range r.allow {
				if under(dep, a) {
					allowed = true
					break
				}
			}
			if !allowed {
				t.Errorf("%s may not import %s (DESIGN.md §2)", pkg, dep)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d packages checked: go list found too little", checked)
	}
}

func TestRulesCatchViolations(t *testing.T) {
	r, _ := ruleFor("frontend/session")
	for _, bad := range []string{"compute/exec", "metaservice/server", "vault/local"} {
		for _, a := range r.allow {
			if under(bad, a) {
				t.Fatalf("frontend would be allowed to import %s via %q", bad, a)
			}
		}
	}
	// compute/partition is a leaf: the compute rule's wider allowances do not reach it.
	if r, _ := ruleFor("compute/partition"); r.prefix != "compute/partition" || len(r.allow) != 2 {
		t.Fatalf("compute/partition matched rule %q allowing %v", r.prefix, r.allow)
	}
	if r, _ := ruleFor("metaservice/kv/local"); r.prefix != "metaservice/kv" {
		t.Fatalf("metaservice/kv/local matched rule %q", r.prefix)
	}
}
