package render

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/planner/plan"
)

func samplePlan() *plan.Plan {
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion,
		CreatedAt:     time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
		Changes: []plan.Change{{
			Address: "glow_provider.a", Type: "glow_provider", Name: "a", ProviderName: "a", ID: "prv_1",
			Actions: []plan.Action{plan.ActionUpdate},
			Before:  map[string]any{"description": "has ``` fences"}, After: map[string]any{"description": "x"},
			Fields: []plan.FieldChange{{Field: "description", Kind: plan.FieldScalar, Before: "has ``` fences", After: "x"}},
		}},
	}
	p.Summarize()
	return p
}

func TestColorIsSwitchable(t *testing.T) {
	var plain, colored bytes.Buffer
	if err := Text(&plain, samplePlan(), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Text(&colored, samplePlan(), TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("escape codes without colour")
	}
	if !strings.Contains(colored.String(), ansiYellow+"~"+ansiReset) {
		t.Errorf("no coloured symbol:\n%q", colored.String())
	}
	if !strings.HasSuffix(plain.String(), "Plan: 0 to add, 1 to change, 0 to destroy.\n") {
		t.Errorf("closing line:\n%s", plain.String())
	}
}

func TestMarkdownFenceOutlastsContent(t *testing.T) {
	var md bytes.Buffer
	if err := Markdown(&md, samplePlan(), MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	if !strings.Contains(out, "\n````diff\n") || !strings.Contains(out, "\n````\n\n</details>") {
		t.Errorf("fence does not outlast the content's backticks:\n%s", out)
	}
	if !strings.Contains(out, "<details><summary>Show the full plan</summary>\n\n````diff") {
		t.Error("no blank line between <summary> and the fenced block")
	}
	if !strings.Contains(out, "\n!       description = ") {
		t.Errorf("update line not marked for diff highlighting:\n%s", out)
	}
}

func TestNoChanges(t *testing.T) {
	p := &plan.Plan{FormatVersion: plan.FormatVersion}
	var out bytes.Buffer
	if err := Text(&out, p, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if out.String() != NoChanges+"\n" {
		t.Errorf("got %q", out.String())
	}
}
