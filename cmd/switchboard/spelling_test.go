package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestTerraformSingleDashSpellings(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string // nil: refused
		err  string   // in the refusal
	}{
		{args: []string{"plan", "-out=x.sbplan", "dir"}, want: []string{"plan", "--out=x.sbplan", "dir"}},
		{args: []string{"plan", "-out", "x.sbplan"}, want: []string{"plan", "--out", "x.sbplan"}},
		{args: []string{"plan", "-var", "region=eu", "-var=b=2"}, want: []string{"plan", "--var", "region=eu", "--var=b=2"}},
		{args: []string{"plan", "-var-file=a.sbvars"}, want: []string{"plan", "--var-file=a.sbvars"}},
		{args: []string{"plan", "-no-color"}, want: []string{"plan", "--no-color"}},
		{args: []string{"plan", "-detailed-exitcode"}, want: []string{"plan", "--detailed-exitcode"}},
		{args: []string{"plan", "-target", `glow_provider.a["x"]`, "-target=gateflow_provider.b"}, want: []string{"plan", "--target", `glow_provider.a["x"]`, "--target=gateflow_provider.b"}},
		{args: []string{"apply", "-auto-approve", "-no-color", "p.sbplan"}, want: []string{"apply", "--auto-approve", "--no-color", "p.sbplan"}},
		{args: []string{"validate", "-json", "dir"}, want: []string{"validate", "--json", "dir"}},
		{args: []string{"plan", "-help"}, want: []string{"plan", "--help"}},
		// Shorthands keep working, with their value attached or not.
		{args: []string{"plan", "-o", "p.sbplan"}, want: []string{"plan", "-o", "p.sbplan"}},
		{args: []string{"plan", "-op.sbplan"}, want: []string{"plan", "-op.sbplan"}},
		{args: []string{"plan", "-h"}, want: []string{"plan", "-h"}},
		// A flag's value and what follows -- are not flags.
		{args: []string{"plan", "--title", "-no-color", "-var", "-x=1"}, want: []string{"plan", "--title", "-no-color", "--var", "-x=1"}},
		{args: []string{"plan", "--", "-out=x"}, want: []string{"plan", "--", "-out=x"}},
		// Refused, never read as a shorthand.
		{args: []string{"plan", "-auto-approve"}, err: `unknown flag -auto-approve for "switchboard plan": it has no --auto-approve (switchboard apply has)`},
		{args: []string{"fmt", "-var", "x=1"}, err: `it has no --var (switchboard apply, switchboard plan, switchboard validate have)`},
		{args: []string{"plan", "-output=p.sbplan"}, err: `unknown flag -output=p.sbplan for "switchboard plan": it has no --output`},
		{args: []string{"import", "-out-dir", "x"}, err: `it has no --out-dir`},
		{args: []string{"plan", "-refresh=false"}, err: `it has no --refresh`},
	} {
		got, err := terraformSpellings(newRootCommand(), tc.args)
		switch {
		case tc.want == nil && err == nil:
			t.Errorf("%q: accepted as %q, want refused", tc.args, got)
		case tc.want == nil && !strings.Contains(err.Error(), tc.err):
			t.Errorf("%q: refused with %q, want it to contain %q", tc.args, err, tc.err)
		case tc.want != nil && err != nil:
			t.Errorf("%q: refused: %v", tc.args, err)
		case tc.want != nil && !reflect.DeepEqual(got, tc.want):
			t.Errorf("%q: rewritten to %q, want %q", tc.args, got, tc.want)
		}
	}
}

func TestPlanSingleDashOutWritesThatFile(t *testing.T) {
	newEmulatorWorld(t)
	t.Setenv("OPENAI_TEST_KEY", "sk-single-dash-test-key")
	dir := writeConfigFiles(t, map[string]string{"main.hcl": envVarConfig})
	work := t.TempDir()
	t.Chdir(work)

	code, out, errOut := runSwitchboard(t, "plan", "-no-color", "-detailed-exitcode", "-var", "env=dash", "-target=glow_provider.openai", "-out=x.sbplan", dir)
	if code != 2 {
		t.Fatalf("plan -out=x.sbplan: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "\x1b[") || !strings.Contains(out, "Saved the plan to: x.sbplan") || !strings.Contains(out, `"OpenAI dash"`) {
		t.Errorf("plan output:\n%s", out)
	}
	entries, _ := os.ReadDir(work)
	if len(entries) != 1 || entries[0].Name() != "x.sbplan" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("the working directory holds %q, want only x.sbplan", names)
	}
	if code, shown, errOut := runSwitchboard(t, "show", "-no-color", filepath.Join(work, "x.sbplan")); code != 0 || !strings.Contains(shown, "will be created") {
		t.Errorf("show -no-color: exit %d\n%s%s", code, shown, errOut)
	}

	code, out, errOut = runSwitchboard(t, "apply", "-auto-approve", "-no-color", filepath.Join(work, "x.sbplan"))
	if code != 0 || !strings.Contains(out, "Apply complete!") {
		t.Errorf("apply -auto-approve -no-color: exit %d\n%s%s", code, out, errOut)
	}

	code, _, errOut = runSwitchboard(t, "plan", "-auto-approve", dir)
	if code != 1 || !strings.Contains(errOut, "Error: unknown flag -auto-approve") || !strings.Contains(errOut, "switchboard apply has") {
		t.Errorf("plan -auto-approve: exit %d, %q", code, errOut)
	}
}
