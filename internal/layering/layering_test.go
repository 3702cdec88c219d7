package layering

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/switchboard-hq/switchboard"

// layers is the module's architecture, bottom-up, with package paths
// relative to the module. A package may import the packages of the layers
// below its own and no other package of the module: not one of its own
// layer, not one above. README.md's Layout table shows the same layers,
// leaves first. A new package must be placed here, or the test fails.
var layers = [][]string{
	// Leaves: no import of the module. Anything may use them.
	// api/gateflow/catalogue is Gateflow's provider table, data only.
	{"sensitive", "internal/version", "internal/english", "internal/childproc",
		"emulator/store", "emulator/contract", "secrets/vaulttest", "internal/layering",
		"api/gateflow/catalogue", "internal/golden", "internal/expect", "internal/startheap"},
	// Where a secret lives (a vault() reference, a key's recorded origin,
	// the key-name codec, the vault block's settings): shared by config,
	// secrets, the planner's objects, crud and the Terraform provider.
	{"secretref"},
	// HCL into the desired configuration, offline: below every client and
	// Vault, so that config knows Gateflow only by its catalogue and an
	// import of api/gateflow (or api/glow, or secrets) fails here.
	{"config"},
	// What both service clients share with their callers.
	{"api", "redact"},
	{"api/transport", "api/apitest"},
	// The clients of the three services: Glow, Gateflow, Vault.
	{"api/glow", "api/gateflow"},
	{"secrets"},
	// The typed objects both sides of a plan are converted into. crud, the
	// per-object operations that the applier and the Terraform provider
	// share, takes them as its old and new objects, as decK's crud does.
	{"planner/objects"},
	{"applier/crud"},
	// The planner, from its plan model up.
	{"planner/plan"},
	{"planner/diff", "planner/dump", "planner/planfile", "planner/render"},
	{"policy"},
	{"planner"},
	{"applier"},
	{"importer"},
	// The emulator serves the APIs; only tests, the CLI and the
	// measurement tools run it.
	{"emulator"},
	{"emulator/emulatortest"},
	{"terraform-provider/provider"},
	{"cmd/switchboard/views"},
	{"cmd/switchboard", "cmd/terraform-provider-switchboard"},
	// Tools that run the built binaries against the emulator and Vault.
	{"bench", "soak"},
}

// exceptions are imports the layers do not allow but today's code has.
// Each must still be needed: the test fails on one the code no longer
// makes, so that it is removed with the import.
var exceptions = map[edge]string{}

type edge struct{ from, to string }

func (e edge) String() string { return e.from + " → " + e.to }

// check returns a sentence for each import of imports (a package's
// module-relative path to those of the module it imports) that the layers
// and exceptions do not allow, for each package the layers do not place,
// and for each exception no import needs.
func check(imports map[string][]string, layers [][]string, exceptions map[edge]string) []string {
	rank := map[string]int{}
	var problems []string
	for i, l := range layers {
		for _, p := range l {
			if _, dup := rank[p]; dup {
				problems = append(problems, fmt.Sprintf("%s is in two layers", p))
			}
			rank[p] = i
		}
	}
	used := map[edge]bool{}
	for _, from := range slices.Sorted(maps.Keys(imports)) {
		rf, ok := rank[from]
		if !ok {
			problems = append(problems, fmt.Sprintf("package %s is in no layer: add it to layers (and to README.md's Layout table)", from))
			continue
		}
		for _, to := range imports[from] {
			rt, ok := rank[to]
			e := edge{from, to}
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("package %s (imported by %s) is in no layer", to, from))
			case rt < rf:
			case exceptions[e] != "":
				used[e] = true
			case rt == rf:
				problems = append(problems, fmt.Sprintf("%s: both are in layer %d, whose packages may not import each other", e, rf))
			default:
				problems = append(problems, fmt.Sprintf("%s points up: %s is in layer %d, above %s's layer %d", e, to, rt, from, rf))
			}
		}
	}
	for p := range rank {
		if _, ok := imports[p]; !ok {
			problems = append(problems, fmt.Sprintf("layers name %s, which is not a package of the module: remove it", p))
		}
	}
	for e := range exceptions {
		if !used[e] {
			problems = append(problems, fmt.Sprintf("exception %s is not needed any more (or is a downward import): remove it", e))
		}
	}
	slices.Sort(problems)
	return problems
}

// moduleImports lists the module's packages and their imports of the
// module's own packages, test files excluded: tests may start an emulator
// or a Vault from any layer.
func moduleImports(t *testing.T) map[string][]string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the packages: %v", err)
	}
	cmd := exec.Command(goBin, "list", "-json=ImportPath,Imports", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	rel := func(p string) (string, bool) {
		return strings.CutPrefix(p, module+"/")
	}
	imports := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decoding go list: %v", err)
		}
		from, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		imports[from] = []string{}
		for _, i := range p.Imports {
			if to, ok := rel(i); ok {
				imports[from] = append(imports[from], to)
			}
		}
	}
	if len(imports) < 10 {
		t.Fatalf("go list found %d packages of %s: %v", len(imports), module, imports)
	}
	return imports
}

func TestImportsFollowTheLayers(t *testing.T) {
	for _, p := range check(moduleImports(t), layers, exceptions) {
		t.Error(p)
	}
}

// The checker itself: each kind of violation is reported, and only those.
func TestCheckReportsViolations(t *testing.T) {
	layers := [][]string{{"leaf"}, {"mid", "mid2"}, {"top"}}
	allowed := map[string][]string{"leaf": {}, "mid": {"leaf"}, "mid2": {}, "top": {"mid", "leaf"}}
	if got := check(allowed, layers, nil); len(got) != 0 {
		t.Errorf("downward imports reported: %q", got)
	}
	for _, tc := range []struct {
		name       string
		imports    map[string][]string
		exceptions map[edge]string
		want       string
	}{
		{"upward", map[string][]string{"leaf": {"top"}, "mid": {}, "mid2": {}, "top": {}},
			nil, "leaf → top points up: top is in layer 2, above leaf's layer 0"},
		{"same layer", map[string][]string{"leaf": {}, "mid": {"mid2"}, "mid2": {}, "top": {}},
			nil, "mid → mid2: both are in layer 1"},
		{"unplaced package", map[string][]string{"leaf": {}, "mid": {}, "mid2": {}, "top": {}, "new": {"leaf"}},
			nil, "package new is in no layer"},
		{"stale layer entry", map[string][]string{"leaf": {}, "mid": {}, "top": {}},
			nil, "layers name mid2, which is not a package of the module"},
		{"stale exception", allowed,
			map[edge]string{{"leaf", "top"}: "to be removed"}, "exception leaf → top is not needed any more"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := check(tc.imports, layers, tc.exceptions)
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Errorf("got %q, want one problem containing %q", got, tc.want)
			}
		})
	}
	// An exception allows exactly its upward import.
	up := map[string][]string{"leaf": {"top"}, "mid": {}, "mid2": {}, "top": {}}
	if got := check(up, layers, map[edge]string{{"leaf", "top"}: "to be removed"}); len(got) != 0 {
		t.Errorf("an import with an exception reported: %q", got)
	}
}
