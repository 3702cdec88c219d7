package render

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// The comment's policy section stays a few kilobytes however many messages
// there are, and says how many it left to the job log.
func TestPolicyMarkdownIsBounded(t *testing.T) {
	r := &PolicyReport{Dir: "policies", Files: 1, ConfigDir: "providers"}
	for i := range 10000 {
		r.Denies = append(r.Denies, PolicyFinding{Rule: "data.p.deny", Message: strings.Repeat("x", 5000), Address: fmt.Sprintf("glow_provider.p%d", i), DeclaredAt: "main.hcl:1"})
	}
	var b bytes.Buffer
	if err := PolicyMarkdown(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if len(out) > 10000 {
		t.Errorf("%d bytes for the policy section", len(out))
	}
	if !strings.Contains(out, "> - … and 9980 more in the job log.") || strings.Count(out, "`providers/main.hcl:1`") != maxMarkdownFindings {
		t.Errorf("section:\n%s", out)
	}
}

// Text: one line per finding, with the block's path under the
// configuration directory.
func TestPolicyText(t *testing.T) {
	r := &PolicyReport{Dir: "policies", Files: 2, ConfigDir: "providers",
		Denies:   []PolicyFinding{{Rule: "data.main.deny", Message: "no", DeclaredAt: "main.hcl:3"}},
		Warnings: []PolicyFinding{{Rule: "data.main.warn", Message: "hm"}}}
	var b bytes.Buffer
	if err := PolicyText(&b, r); err != nil {
		t.Fatal(err)
	}
	want := "\nPolicy check failed: 1 deny, 1 warning (2 policy files in policies).\n" +
		"  DENY providers/main.hcl:3: no (data.main.deny)\n" +
		"  WARN hm (data.main.warn)\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}
