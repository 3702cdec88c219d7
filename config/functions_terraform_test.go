package config

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// consoleResult is what `terraform console` printed for jsonencode(Expr):
// JSON is the JSON text of the value, or Error the summary of the error
// it reported.
type consoleResult struct {
	Expr  string `json:"expr"`
	JSON  string `json:"json,omitempty"`
	Error string `json:"error,omitempty"`
}

const (
	functionsDir      = "testdata/functions"
	functionsRecorded = functionsDir + "/terraform_console.json"
)

// TestFunctionsMatchTerraform evaluates every expression of
// testdata/functions/expressions.txt with the configuration's functions
// and compares it with what Terraform printed for it. The results were
// recorded from the real `terraform console` (offline, in a copy of
// testdata/functions/dir) with SWITCHBOARD_RECORD_TERRAFORM=1 and a
// terraform on PATH; the test without it only reads the recording.
func TestFunctionsMatchTerraform(t *testing.T) {
	exprs := readExpressions(t)
	switch os.Getenv("SWITCHBOARD_RECORD_TERRAFORM") {
	case "1":
		recordTerraformConsole(t, exprs, nil)
	case "missing":
		// Only the expressions not recorded yet: a full recording runs
		// terraform some 200 times.
		recordTerraformConsole(t, exprs, readRecorded(t))
	}
	b, err := os.ReadFile(functionsRecorded)
	if err != nil {
		t.Fatalf("%v (record it with SWITCHBOARD_RECORD_TERRAFORM=1)", err)
	}
	var recorded []consoleResult
	if err := json.Unmarshal(b, &recorded); err != nil {
		t.Fatal(err)
	}
	byExpr := map[string]consoleResult{}
	for _, r := range recorded {
		byExpr[r.Expr] = r
	}
	dir, err := filepath.Abs(filepath.Join(functionsDir, "dir"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, expr := range exprs {
		if dev, ok := terraformDeviations[expr]; ok {
			l := &loader{dir: dir, fsys: root.FS(), read: map[string][]byte{}, secrets: map[string]struct{}{}, opts: LoadOptions{Env: noEnv}}
			got, gotErr := evalJSON(l, expr)
			switch {
			case dev.err != "" && !strings.Contains(gotErr, dev.err):
				t.Errorf("%s: error %q (value %s), want an error containing %q, deliberately unlike Terraform 1.11: %s", expr, gotErr, got, dev.err, dev.why)
			case dev.err == "" && gotErr != "":
				t.Errorf("%s: error %q, want %s, deliberately unlike Terraform 1.11: %s", expr, gotErr, dev.json, dev.why)
			case dev.err == "" && got != dev.json:
				t.Errorf("%s = %s, want %s, deliberately unlike Terraform 1.11: %s", expr, got, dev.json, dev.why)
			}
			continue
		}
		want, ok := byExpr[expr]
		if !ok {
			t.Errorf("%s: not recorded; record with SWITCHBOARD_RECORD_TERRAFORM=1", expr)
			continue
		}
		l := &loader{dir: dir, fsys: root.FS(), read: map[string][]byte{}, secrets: map[string]struct{}{}, opts: LoadOptions{Env: noEnv}}
		got, gotErr := evalJSON(l, expr)
		switch {
		case want.Error != "" && gotErr == "":
			t.Errorf("%s = %s; Terraform: error %q", expr, got, want.Error)
		case want.Error == "" && gotErr != "":
			t.Errorf("%s: error %q; Terraform: %s", expr, gotErr, want.JSON)
		case want.Error == "" && got != want.JSON:
			t.Errorf("%s = %s; Terraform: %s", expr, got, want.JSON)
		}
	}
}

// terraformDeviations are the expressions where Switchboard deliberately
// differs from what Terraform 1.11 printed, with the result it gives.
var terraformDeviations = map[string]struct{ json, err, why string }{
	`element(["a", "b", "c"], -1)`: {json: `"c"`, why: "Terraform 1.11 panics (its cty predates negative indices); later Terraform and cty count from the end"},
	`fileset("../", "*")`:          {err: `"../" leads out of the configuration directory`, why: "the file functions read only inside the configuration directory, which a saved plan embeds"},
}

func readRecorded(t *testing.T) map[string]consoleResult {
	t.Helper()
	out := map[string]consoleResult{}
	b, err := os.ReadFile(functionsRecorded)
	if err != nil {
		return out
	}
	var recorded []consoleResult
	if err := json.Unmarshal(b, &recorded); err != nil {
		t.Fatal(err)
	}
	for _, r := range recorded {
		out[r.Expr] = r
	}
	return out
}

func readExpressions(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(functionsDir, "expressions.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // opened to read: closing it reports nothing to act on
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// evalJSON evaluates jsonencode(expr), as the recording did, and returns
// the JSON text or the error's summary.
func evalJSON(l *loader, expr string) (string, string) {
	e, diags := hclsyntax.ParseExpression([]byte("jsonencode("+expr+")"), "expr", hcl.InitialPos)
	if diags.HasErrors() {
		return "", diags.Error()
	}
	// path.module is the directory as Load was given it, as in a
	// configuration.
	dir := cty.StringVal(l.dir)
	vars := map[string]cty.Value{"path": cty.ObjectVal(map[string]cty.Value{"module": dir, "root": dir})}
	v, diags := e.Value(&hcl.EvalContext{Functions: l.functions(), Variables: vars})
	if diags.HasErrors() {
		return "", diags.Error()
	}
	v, _ = v.UnmarkDeep()
	if v.Type() != cty.String || v.IsNull() || !v.IsKnown() {
		return "", "jsonencode returned " + v.GoString()
	}
	return v.AsString(), ""
}

// recordTerraformConsole runs the real terraform console once for each
// expression, in a copy of the template directory, and writes what it
// printed to the recording.
func recordTerraformConsole(t *testing.T, exprs []string, keep map[string]consoleResult) {
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatalf("SWITCHBOARD_RECORD_TERRAFORM=1 needs terraform on PATH: %v", err)
	}
	work := t.TempDir()
	if err := os.CopyFS(work, os.DirFS(filepath.Join(functionsDir, "dir"))); err != nil {
		t.Fatal(err)
	}
	// An empty CLI configuration: nothing of this machine's is used, and
	// terraform does not warn that there is none.
	if err := os.WriteFile(filepath.Join(work, ".terraformrc"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := make([]consoleResult, 0, len(exprs))
	for _, expr := range exprs {
		if r, ok := keep[expr]; ok {
			out = append(out, r)
			continue
		}
		cmd := exec.Command(tf, "console")
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_CLI_CONFIG_FILE="+filepath.Join(work, ".terraformrc"))
		cmd.Stdin = strings.NewReader("jsonencode(" + expr + ")\n")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		runErr := cmd.Run()
		r := consoleResult{Expr: expr}
		if runErr != nil {
			r.Error = consoleErrorSummary(stderr.String())
			if r.Error == "" {
				t.Fatalf("terraform console %s: %v\n%s", expr, runErr, stderr.String())
			}
		} else {
			printed := strings.TrimSpace(stdout.String())
			lit, diags := hclsyntax.ParseExpression([]byte(printed), "console", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatalf("terraform console %s printed %q: %v", expr, printed, diags)
			}
			v, diags := lit.Value(nil)
			if diags.HasErrors() || v.Type() != cty.String {
				t.Fatalf("terraform console %s printed %q, not a string", expr, printed)
			}
			r.JSON = v.AsString()
		}
		out = append(out, r)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(functionsRecorded, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// consoleErrorSummary is the summary of the first error terraform printed,
// with the detail's first line when it names the failing call.
func consoleErrorSummary(stderr string) string {
	stderr = ansiEscape.ReplaceAllString(stderr, "")
	summary := ""
	for _, line := range strings.Split(stderr, "\n") {
		line = strings.TrimSpace(strings.TrimLeft(line, "│╷╵ "))
		if s, ok := strings.CutPrefix(line, "Error: "); ok && summary == "" {
			summary = s
		} else if summary != "" && (strings.HasPrefix(line, "Call to function") || strings.HasPrefix(line, "Invalid value for")) {
			return summary + ": " + line
		}
	}
	return summary
}

var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestImpureFunctionsRefused: Terraform's functions whose result changes
// between runs or machines are refused, saying why, not unknown.
func TestImpureFunctionsRefused(t *testing.T) {
	l := &loader{read: map[string][]byte{}, secrets: map[string]struct{}{}, opts: LoadOptions{Env: noEnv}}
	for _, expr := range []string{"timestamp()", "plantimestamp()", "uuid()", `bcrypt("x")`, `abspath(".")`, `pathexpand("~/x")`} {
		_, err := evalJSON(l, expr)
		if !strings.Contains(err, expr[:strings.IndexByte(expr, '(')]+"() is not available in Switchboard") || !strings.Contains(err, "plan") && !strings.Contains(err, "relative") {
			t.Errorf("%s: %q", expr, err)
		}
	}
}
