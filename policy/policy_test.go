package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/planner/render"
	"github.com/switchboard-hq/switchboard/policy"
)

// terraformNoDeletes is the "no deletes" rule as written for
// `terraform show -json`, unchanged: conftest's package main.
const terraformNoDeletes = `package main

deny contains msg if {
	some rc in input.resource_changes
	"delete" in rc.change.actions
	msg := sprintf("%s: deleting is not allowed", [rc.address])
}
`

// destroyPlan has one update and, with destroy, the delete of a Glow
// provider that two models use.
func destroyPlan(destroy bool) *plan.Plan {
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion,
		CreatedAt:     time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		Owner:         "platform-team",
		Changes: []plan.Change{{
			Address: `glow_provider.openai["prod"]`, Type: "glow_provider", Name: "openai", ProviderName: "OpenAI", ID: "prv_1",
			Actions:         []plan.Action{plan.ActionUpdate},
			Before:          map[string]any{"id": "prv_1", "name": "OpenAI", "description": "a", "keys": map[string]any{"primary": map[string]any{"vault": "secret/llm/openai#api_key", "version": 3.0, "key_id": "key_1"}}},
			After:           map[string]any{"id": "prv_1", "name": "OpenAI", "description": "b", "keys": map[string]any{"primary": map[string]any{"vault": "secret/llm/openai#api_key", "version": 3.0}}},
			BeforeSensitive: map[string]any{"keys": map[string]any{"primary": true}},
			AfterSensitive:  map[string]any{"keys": map[string]any{"primary": true}},
			Fields:          []plan.FieldChange{{Field: "description", Kind: plan.FieldScalar, Before: "a", After: "b"}},
		}},
	}
	if destroy {
		p.Changes = append(p.Changes, plan.Change{
			Address: "glow_provider.legacy", Type: "glow_provider", Name: "legacy", ProviderName: "Legacy", ID: "prv_2",
			Actions:         []plan.Action{plan.ActionDelete},
			Before:          map[string]any{"id": "prv_2", "name": "Legacy"},
			BeforeSensitive: map[string]any{},
			ActionReason:    plan.ReasonRemoved,
			ModelUsageCount: 2, InUseBy: []string{"mdl_chat", "mdl_embed"},
		})
	}
	p.Summarize()
	return p
}

func writePolicies(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func evaluate(t *testing.T, dir string, p *plan.Plan, declared map[string]string) *render.PolicyReport {
	t.Helper()
	set, err := policy.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := set.Evaluate(context.Background(), render.NewJSONPlan(p, render.JSONOptions{DeclaredAt: declared}), policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A rule written for Terraform's JSON plan finds the delete in a
// Switchboard plan, through the embedded OPA, and nothing in a plan
// without one.
func TestTerraformRuleWorksUnchanged(t *testing.T) {
	dir := writePolicies(t, map[string]string{"terraform.rego": terraformNoDeletes})
	r := evaluate(t, dir, destroyPlan(true), nil)
	if len(r.Denies) != 1 || r.Denies[0].Message != "glow_provider.legacy: deleting is not allowed" || r.Denies[0].Rule != "data.main.deny" {
		t.Fatalf("denies %+v, want the delete of glow_provider.legacy", r.Denies)
	}
	if r.Denies[0].Address != "glow_provider.legacy" {
		t.Errorf("the message names glow_provider.legacy, but the finding is about %q", r.Denies[0].Address)
	}
	if r := evaluate(t, dir, destroyPlan(false), nil); len(r.Denies) != 0 || len(r.Warnings) != 0 {
		t.Errorf("a plan without a delete: %+v", r)
	}
}

// The document decodes as a Terraform plan with HashiCorp's own types, the
// ones tools built for `terraform show -json` use.
func TestJSONIsATerraformPlan(t *testing.T) {
	var b bytes.Buffer
	if err := render.WriteJSON(&b, render.NewJSONPlan(destroyPlan(true), render.JSONOptions{DeclaredAt: map[string]string{`glow_provider.openai["prod"]`: "main.hcl:3"}})); err != nil {
		t.Fatal(err)
	}
	var tf tfjson.Plan
	if err := json.Unmarshal(b.Bytes(), &tf); err != nil {
		t.Fatalf("not a Terraform plan: %v\n%s", err, b.String())
	}
	if len(tf.ResourceChanges) != 2 {
		t.Fatalf("%d resource changes", len(tf.ResourceChanges))
	}
	upd, del := tf.ResourceChanges[0], tf.ResourceChanges[1]
	for _, c := range []struct {
		field     string
		got, want any
	}{
		{"Mode", upd.Mode, tfjson.ManagedResourceMode},
		{"Type", upd.Type, "glow_provider"},
		{"Name", upd.Name, "openai"},
		{"Index", upd.Index, "prod"},
		{"ProviderName", upd.ProviderName, "glow"},
	} {
		if c.got != c.want {
			t.Errorf("update: %s = %#v, want %#v", c.field, c.got, c.want)
		}
	}
	if !upd.Change.Actions.Update() || upd.Change.After.(map[string]any)["description"] != "b" {
		t.Errorf("update change: %+v", upd.Change)
	}
	if mask := upd.Change.AfterSensitive.(map[string]any); mask["keys"].(map[string]any)["primary"] != true {
		t.Errorf("the key is not marked sensitive: %v", mask)
	}
	if !del.Change.Actions.Delete() {
		t.Errorf("delete: actions = %v, want delete", del.Change.Actions)
	}
	if del.Change.After != nil {
		t.Errorf("delete: after = %#v, want nil", del.Change.After)
	}
	if del.Change.AfterSensitive != false {
		t.Errorf("delete: after_sensitive = %#v, want false", del.Change.AfterSensitive)
	}
	if del.Index != nil {
		t.Errorf("delete: index = %#v, want nil", del.Index)
	}
	if len(tf.PlannedValues.RootModule.Resources) != 1 || tf.PlannedValues.RootModule.Resources[0].Address != upd.Address {
		t.Errorf("planned_values: %+v", tf.PlannedValues.RootModule.Resources)
	}
	var doc struct {
		Switchboard struct {
			FormatVersion string `json:"format_version"`
		} `json:"switchboard"`
		ResourceChanges []struct {
			Switchboard struct {
				DeclaredAt string `json:"declared_at"`
				ID         string `json:"id"`
			} `json:"switchboard"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Switchboard.FormatVersion != render.JSONFormatVersion || doc.ResourceChanges[0].Switchboard.DeclaredAt != "main.hcl:3" || doc.ResourceChanges[1].Switchboard.ID != "prv_2" {
		t.Errorf("switchboard fields: %+v", doc)
	}
}

// A glow_provider create does not know its id until apply: after_unknown
// says so, as Terraform does for computed attributes.
func TestCreateIDIsUnknown(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{{Address: "glow_provider.a", Type: "glow_provider", Name: "a", Actions: []plan.Action{plan.ActionCreate}, After: map[string]any{"name": "A"}}}}
	rc := render.NewJSONPlan(p, render.JSONOptions{}).ResourceChanges[0]
	if rc.Change.AfterUnknown["id"] != true || rc.Change.BeforeSensitive != false || rc.Change.Before != nil {
		t.Errorf("create: %+v", rc.Change)
	}
}

// The conftest convention: deny, violation and warn (and their _suffix
// forms) in any package; strings and {"msg", "address"} objects; a
// string naming a planned address is about that object, which gives it
// its block's file:line.
func TestConvention(t *testing.T) {
	dir := writePolicies(t, map[string]string{
		"a.rego": `package team.a

deny_in_use contains {"msg": "in use", "address": rc.address} if {
	some rc in input.resource_changes
	rc.switchboard.model_usage_count > 0
}

warn contains sprintf("check %s please", [rc.address]) if {
	some rc in input.resource_changes
	rc.change.actions == ["update"]
}

# Neither a convention name nor a rule with a ref head: ignored.
helper := 1
`,
		"nested/b.rego": `package b

violation contains "not about any object" if { true }

warn_nothing contains msg if {
	some rc in input.resource_changes
	rc.type == "nothing"
	msg := "never"
}
`,
		"b_test.rego": `package b_test

this is not rego, and tests are not evaluated by plan --policy
`,
		".hidden/c.rego": `not rego either`,
	})
	declared := map[string]string{`glow_provider.openai["prod"]`: "main.hcl:3", "glow_provider.legacy": ""}
	r := evaluate(t, dir, destroyPlan(true), declared)
	if r.Files != 2 {
		t.Errorf("%d policy files, want 2", r.Files)
	}
	// In the order of the files' names, then of the rules in each.
	want := []render.PolicyFinding{
		{Rule: "data.team.a.deny_in_use", Message: "in use", Address: "glow_provider.legacy"},
		{Rule: "data.b.violation", Message: "not about any object"},
	}
	if !equalFindings(r.Denies, want) {
		t.Errorf("denies:\n%+v\nwant\n%+v", r.Denies, want)
	}
	wantWarn := []render.PolicyFinding{{Rule: "data.team.a.warn", Message: `check glow_provider.openai["prod"] please`, Address: `glow_provider.openai["prod"]`, DeclaredAt: "main.hcl:3"}}
	if !equalFindings(r.Warnings, wantWarn) {
		t.Errorf("warnings:\n%+v\nwant\n%+v", r.Warnings, wantWarn)
	}
}

func equalFindings(a, b []render.PolicyFinding) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A policy that does not parse or compile is reported with its file and
// line, and so is a call to a built-in that reaches the network or the
// environment.
func TestErrorsNameFileAndLine(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"parse":       {"package p\n\ndeny contains msg if {\n\tmsg := \n}\n", "bad.rego:5"},
		"v0 syntax":   {"package p\n\ndeny[msg] {\n\tmsg := \"x\"\n}\n", "bad.rego:3"},
		"type":        {"package p\n\ndeny contains msg if {\n\tmsg := concat(1, 2)\n}\n", "bad.rego:4"},
		"http.send":   {"package p\n\ndeny contains msg if {\n\tr := http.send({\"method\": \"get\", \"url\": \"http://127.0.0.1:1\"})\n\tmsg := r.body\n}\n", "bad.rego:4"},
		"opa.runtime": {"package p\n\ndeny contains msg if {\n\tmsg := opa.runtime().env.GLOW_TOKEN\n}\n", "bad.rego:4"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writePolicies(t, map[string]string{"bad.rego": tc.src})
			_, err := policy.Load(dir)
			var pe *policy.Error
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *policy.Error", err)
			}
			if want := filepath.Join(dir, tc.want); !strings.Contains(err.Error(), want) {
				t.Errorf("%v\ndoes not name %s", err, want)
			}
		})
	}
}

// Bounds: an evaluation that runs past its time is stopped with an error;
// a file over the size limit is refused before it is parsed; a directory
// without a rule of the convention is an error, not a silent pass.
func TestBounds(t *testing.T) {
	slow := writePolicies(t, map[string]string{"slow.rego": `package p

deny contains "never" if {
	some i in numbers.range(1, 100000)
	some j in numbers.range(1, 100000)
	i == j + 1000000
}
`})
	set, err := policy.Load(slow)
	if err != nil {
		t.Fatal(err)
	}
	_, err = set.Evaluate(context.Background(), render.NewJSONPlan(destroyPlan(false), render.JSONOptions{}), policy.Options{Timeout: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "took longer than 50ms") {
		t.Errorf("got %v, want the evaluation stopped at its time limit", err)
	}

	big := writePolicies(t, map[string]string{"big.rego": "package p\n# " + strings.Repeat("x", policy.MaxFileSize) + "\n"})
	if _, err := policy.Load(big); err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Errorf("got %v, want the file refused for its size", err)
	}

	none := writePolicies(t, map[string]string{"p.rego": "package p\n\nallow := true\n"})
	if _, err := policy.Load(none); err == nil || !strings.Contains(err.Error(), "no deny, violation or warn rule") {
		t.Errorf("got %v", err)
	}
	if _, err := policy.Load(filepath.Join(none, "missing")); err == nil {
		t.Error("a missing directory was accepted")
	}
}

// Data files are loaded at the path of their directory, as `opa test`
// loads them, so that a policy and its tests see the same data.
func TestDataFiles(t *testing.T) {
	dir := writePolicies(t, map[string]string{
		"data.json":      `{"limits": {"max": 1}}`,
		"sub/data.json":  `{"names": ["x"]}`,
		"sub/other.json": `{"more": true}`,
		"p.rego": `package p

deny contains sprintf("%v %v %v", [data.limits.max, data.sub.names, data.sub.more]) if { true }
`,
	})
	r := evaluate(t, dir, destroyPlan(false), nil)
	if len(r.Denies) != 1 || r.Denies[0].Message != `1 ["x"] true` {
		t.Errorf("denies %+v", r.Denies)
	}
	clash := writePolicies(t, map[string]string{"a.json": `{"x": 1}`, "b.json": `{"x": 2}`, "p.rego": "package p\n\ndeny contains 1 if false\n"})
	if _, err := policy.Load(clash); err == nil || !strings.Contains(err.Error(), "data.x is set twice") {
		t.Errorf("got %v", err)
	}
}

// A message must be a string or an object with msg: anything else is an
// error of the policy, not a silent pass.
func TestBadMessages(t *testing.T) {
	dir := writePolicies(t, map[string]string{"p.rego": "package p\n\ndeny contains {\"message\": \"typo\"} if true\n"})
	set, err := policy.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set.Evaluate(context.Background(), render.NewJSONPlan(destroyPlan(false), render.JSONOptions{}), policy.Options{}); err == nil || !strings.Contains(err.Error(), `without a string "msg"`) {
		t.Errorf("got %v", err)
	}
}

// The shipped policies' own Rego tests pass, run as `opa test
// examples/policies` runs them.
func TestExamplePoliciesRegoTests(t *testing.T) {
	results, err := tester.Run(context.Background(), filepath.Join("..", "examples", "policies"))
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 9 {
		t.Errorf("%d Rego tests, want the shipped ones (at least 9)", len(results))
	}
	for _, r := range results {
		if !r.Pass() {
			t.Errorf("%s.%s: %s (%s)", r.Package, r.Name, r.Error, r.Location)
		}
	}
}

// The shipped policies, against a plan that breaks each of them, and one
// that breaks none.
func TestExamplePolicies(t *testing.T) {
	dir := filepath.Join("..", "examples", "policies")
	bad := &plan.Plan{Changes: []plan.Change{
		{Address: "glow_provider.legacy", Type: "glow_provider", Name: "legacy", ProviderName: "Legacy", Actions: []plan.Action{plan.ActionDelete},
			Before: map[string]any{"name": "Legacy"}, ModelUsageCount: 1, InUseBy: []string{"mdl_chat"}},
		{Address: "glow_provider.old", Type: "glow_provider", Name: "old", ProviderName: "Old", Actions: []plan.Action{plan.ActionDelete}, Before: map[string]any{"name": "Old"}},
		{Address: "glow_provider.prod", Type: "glow_provider", Name: "prod", Actions: []plan.Action{plan.ActionCreate},
			After: map[string]any{"departments": []any{"prod"}, "endpoints": []any{"https://llm.evil.example/v1"},
				"keys": map[string]any{"primary": map[string]any{"vault": "secret/llm/openai#api_key", "version": 1.0}}}},
	}}
	r := evaluate(t, dir, bad, map[string]string{"glow_provider.prod": "main.hcl:7"})
	got := map[string]string{}
	for _, f := range r.Denies {
		got[f.Rule] = f.Address + " " + f.DeclaredAt
	}
	want := map[string]string{
		"data.switchboard.in_use.deny":          "glow_provider.legacy ",
		"data.switchboard.endpoints.deny":       "glow_provider.prod main.hcl:7",
		"data.switchboard.production_keys.deny": "glow_provider.prod main.hcl:7",
	}
	if len(r.Denies) != 3 || len(got) != 3 {
		t.Errorf("denies %+v", r.Denies)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if len(r.Warnings) != 1 || r.Warnings[0].Address != "glow_provider.old" {
		t.Errorf("warnings %+v", r.Warnings)
	}

	good := &plan.Plan{Changes: []plan.Change{{Address: "glow_provider.prod", Type: "glow_provider", Name: "prod", Actions: []plan.Action{plan.ActionCreate},
		After: map[string]any{"departments": []any{"prod"}, "endpoints": []any{"https://api.openai.com/v1"},
			"keys": map[string]any{"a": map[string]any{"vault": "secret/llm/openai#api_key"}, "b": map[string]any{"vault": "secret/llm/openai#api_key_2"}}}}}}
	if r := evaluate(t, dir, good, nil); len(r.Denies) != 0 || len(r.Warnings) != 0 {
		t.Errorf("a compliant plan: %+v", r)
	}
}
