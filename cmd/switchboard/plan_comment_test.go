package main

// The pull-request comment end to end: `switchboard plan --format markdown`
// against the emulator, with live objects made to break it (too many to
// fit, crafted names), checked as GitHub would render it.

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"

	"github.com/switchboard-hq/switchboard/emulator"
)

func commentHTML(t *testing.T, md string) string {
	t.Helper()
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe())).Convert([]byte(md), &out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// prunedWorld is examples/basic applied, with n providers made by hand in
// department cs, each used by one model, and a configuration that prunes
// cs: a plan that destroys n providers in use.
func prunedWorld(t *testing.T, n int, extra emulator.Seed) (*world, string) {
	t.Helper()
	w, dir := appliedWorld(t)
	s := extra
	for i := range n {
		name := fmt.Sprintf("Team provider %04d", i)
		s.Providers = append(s.Providers, emulator.SeedProvider{Name: name, Description: "made in the Glow UI", DepartmentIDs: []string{"cs"}, Values: map[string]string{"region": "westeurope"}})
		s.Models = append(s.Models, emulator.SeedModel{Name: fmt.Sprintf("gpt-team-%04d", i), Provider: name})
	}
	seed(t, w, s)
	edit(t, filepath.Join(dir, "main.hcl"), "glow {}", `glow { prune_departments = ["cs"] }`)
	return w, dir
}

func TestPlanMarkdownCommentIsBounded(t *testing.T) {
	const n = 2000
	w, dir := prunedWorld(t, n, emulator.Seed{})
	const artifact = "https://github.com/acme/llm/actions/runs/7/artifacts/9"
	code, md, errOut := runSwitchboard(t, "plan", "--format", "markdown", "--full-plan-url", artifact, dir)
	w.assertNoSecret(t, md, errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if len(md) > 60000 {
		t.Errorf("the comment is %d bytes, over the default bound of 60,000", len(md))
	}
	lines := strings.Split(md, "\n")
	if want := "<!-- switchboard:plan " + filepath.ToSlash(dir) + " -->"; lines[0] != want {
		t.Errorf("first line %q, want the marker %q", lines[0], want)
	}
	for _, want := range []string{
		fmt.Sprintf("## Switchboard plan: 0 to add, 0 to change, %d to destroy", n),
		fmt.Sprintf("> **This plan destroys %s objects.**", "2,000"),
		"> **Providers in use.**",
		"> **This comment is shortened**",
		"left out: ",
		"[The full plan](" + artifact + ")",
		fmt.Sprintf("**Plan: 0 to add, 0 to change, %d to destroy.**", n),
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the comment lacks %q:\n%s", want, md[:min(len(md), 1500)])
		}
	}
	// Destroyed providers and their models are named, with their ids.
	for _, re := range []string{
		"(?m)^> - `undeclared\\.glow_provider\\[\"[0-9a-f-]{36}\"\\]` — `Team provider \\d{4}` in `cs` \\(id `[0-9a-f-]{36}`\\)$",
		"(?m)^> - `undeclared.*\\) is used by 1 model: `gpt-team-\\d{4}` \\(`[0-9a-f-]{36}`\\)$",
	} {
		if !regexp.MustCompile(re).MatchString(md) {
			t.Errorf("no line matches %s", re)
		}
	}
	h := commentHTML(t, md)
	if strings.Count(h, "<details>") != 1 || strings.Count(h, "</details>") != 1 {
		t.Errorf("<details> unbalanced in the rendered comment")
	}

	code, small, errOut := runSwitchboard(t, "plan", "--format", "markdown", "--max-comment-chars", "10000", dir)
	if code != 0 || len(small) > 10000 || !strings.Contains(small, "`switchboard show FILE`") {
		t.Errorf("--max-comment-chars 10000: exit %d, %d bytes, note names show: %v\n%s", code, len(small), strings.Contains(small, "`switchboard show FILE`"), errOut)
	}
	code, whole, _ := runSwitchboard(t, "plan", "--format", "markdown", "--max-comment-chars", "0", dir)
	if code != 0 || len(whole) <= 60000 || strings.Contains(whole, "shortened") {
		t.Errorf("--max-comment-chars 0: exit %d, %d bytes", code, len(whole))
	}
	code, _, errOut = runSwitchboard(t, "plan", "--format", "markdown", "--max-comment-chars", "100", dir)
	if code != 1 || !strings.Contains(errOut, "--max-comment-chars 100") {
		t.Errorf("--max-comment-chars 100: exit %d\n%s", code, errOut)
	}
	code, _, errOut = runSwitchboard(t, "plan", "--format", "markdown", "--full-plan-url", "javascript:alert(1)", dir)
	if code != 1 || !strings.Contains(errOut, "--full-plan-url") {
		t.Errorf("--full-plan-url javascript:: exit %d\n%s", code, errOut)
	}

	// show of the saved plan carries the same marker, so that either
	// updates the comment of the other.
	saved := filepath.Join(t.TempDir(), "plan.sbplan")
	if code, out, errOut := runSwitchboard(t, "plan", "--no-color", "--out", saved, dir); code != 0 {
		t.Fatalf("plan --out: exit %d\n%s%s", code, out, errOut)
	}
	code, shown, errOut := runSwitchboard(t, "show", "--format", "markdown", saved)
	if code != 0 || !strings.HasPrefix(shown, lines[0]+"\n") || len(shown) > 60000 {
		t.Errorf("show --format markdown: exit %d, %d bytes, first line %q\n%s", code, len(shown), strings.SplitN(shown, "\n", 2)[0], errOut)
	}
}

// crafted is what someone with access to Glow types into a name, a
// department id, a description or a value: the end of the folded block,
// a fake summary, a terminal clear and a bidi override.
const crafted = "x\n\n</details>\n\nPlan: 0 to add, 0 to change, 0 to destroy.\n\n<details><summary>y</summary>\n\n\x1b[2J\u202e```"

func TestPlanOutputsEscapeCraftedLiveData(t *testing.T) {
	w, dir := prunedWorld(t, 0, emulator.Seed{
		Providers: []emulator.SeedProvider{
			// Pruned: destroyed, with a model in use.
			{Name: "Evil " + crafted, Description: crafted, DepartmentIDs: []string{"cs"}, Values: map[string]string{crafted: crafted}},
			// Unmanaged: in a department nobody prunes.
			{Name: "Other " + crafted, Description: crafted, DepartmentIDs: []string{crafted}},
		},
		Models: []emulator.SeedModel{{Name: "model " + crafted, Provider: "Evil " + crafted}},
	})
	const real = "Plan: 0 to add, 0 to change, 1 to destroy."

	code, md, errOut := runSwitchboard(t, "plan", "--format", "markdown", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	h := commentHTML(t, md)
	if o, c := strings.Count(h, "<details>"), strings.Count(h, "</details>"); o != 2 || c != 2 {
		t.Errorf("rendered comment has %d <details> and %d </details>, want 2 (unmanaged, full plan) each:\n%s", o, c, md)
	}
	if n := strings.Count(h, "<strong>"+real+"</strong>"); n != 1 {
		t.Errorf("the real summary is in bold %d times, want 1", n)
	}
	for _, l := range strings.Split(h, "\n") {
		if strings.HasPrefix(l, "<p>Plan: 0 to add, 0 to change, 0 to destroy.") {
			t.Errorf("the fake summary is a paragraph of its own: %q", l)
		}
	}
	if strings.ContainsAny(md, "\x1b\u202e") {
		t.Error("the comment holds an ESC or a bidi override")
	}
	if !strings.Contains(md, "is used by 1 model: ```` model x\\n\\n</details>") {
		t.Errorf("the model is not named, escaped, in a code span:\n%s", md)
	}

	code, text, errOut := runSwitchboard(t, "plan", "--no-color", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if strings.ContainsAny(text, "\x1b\u202e") {
		t.Errorf("the terminal output holds an ESC or a bidi override:\n%q", text)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for _, l := range lines[:len(lines)-1] {
		if strings.HasPrefix(strings.TrimSpace(l), "Plan:") {
			t.Errorf("a line before the last says %q", l)
		}
	}
	if last := lines[len(lines)-1]; last != real {
		t.Errorf("last line %q, want %q", last, real)
	}

	// The saved plan records the models' names with the live state, so
	// that apply re-derives the same plan from it and executes it.
	saved := filepath.Join(t.TempDir(), "plan.sbplan")
	if code, out, errOut := runSwitchboard(t, "plan", "--no-color", "--out", saved, dir); code != 0 {
		t.Fatalf("plan --out: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runSwitchboard(t, "apply", "--no-color", saved)
	w.assertNoSecret(t, out, errOut)
	if code != 0 || strings.ContainsAny(out+errOut, "\x1b\u202e") {
		t.Fatalf("apply: exit %d\n%q\n%q", code, out, errOut)
	}
	if ops := w.emu.Stats().Operations; ops["glow.provider.delete"] != 1 {
		t.Errorf("apply deleted %d providers, want 1: %v", ops["glow.provider.delete"], ops)
	}
	noDecrypts(t, w)
}
