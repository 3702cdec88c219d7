package render

import (
	"bytes"
	"cmp"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"

	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
)

// toHTML renders Markdown the way GitHub does for what these tests check:
// CommonMark with GFM, raw HTML passed through.
func toHTML(t *testing.T, md string) string {
	t.Helper()
	var out bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	if err := gm.Convert([]byte(md), &out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func glowObject(i int, depts ...string) map[string]any {
	ds := make([]any, len(depts))
	for j, d := range depts {
		ds[j] = d
	}
	return map[string]any{
		"name":        fmt.Sprintf("Provider %05d", i),
		"description": "Bulk rollout of the model catalogue, one provider per team",
		"departments": ds,
		"endpoints":   []any{fmt.Sprintf("https://p%05d.example.com/v1", i)},
		"keys":        map[string]any{"primary": map[string]any{"vault": "secret/llm/team#api_key", "version": float64(3)}},
		"values":      map[string]any{"region": "westeurope", "timeout_s": "30"},
	}
}

func sensitiveKeys() map[string]any {
	return map[string]any{"keys": map[string]any{"primary": true}}
}

func createChange(i int) plan.Change {
	addr := fmt.Sprintf("glow_provider.team[%q]", fmt.Sprintf("t%05d", i))
	return plan.Change{
		Address: addr, Type: objects.TypeGlowProvider, Name: "team", ProviderName: fmt.Sprintf("Provider %05d", i),
		Actions: []plan.Action{plan.ActionCreate}, After: glowObject(i, "cs"), AfterSensitive: sensitiveKeys(),
		Departments: []string{"cs"},
	}
}

func destroyChange(i int, models int) plan.Change {
	id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
	c := plan.Change{
		Address: fmt.Sprintf("undeclared.glow_provider[%q]", id), Type: objects.TypeGlowProvider, Name: id,
		ProviderName: fmt.Sprintf("Provider %05d", i), ID: id, Actions: []plan.Action{plan.ActionDelete},
		ActionReason: plan.ReasonPruned, Before: glowObject(i, "cs", "math"), BeforeSensitive: sensitiveKeys(),
		Departments: []string{"cs", "math"},
	}
	if models > 0 {
		c.ModelUsageCount = models
		for j := range models {
			mid := fmt.Sprintf("mdl-%05d-%d", i, j)
			c.InUseBy = append(c.InUseBy, mid)
			c.InUseByModels = append(c.InUseByModels, plan.Model{ID: mid, Name: fmt.Sprintf("gpt-%d-team-%05d", j, i)})
		}
		c.Warnings = []plan.Diagnostic{{Summary: c.Address + " is used by models", Detail: "Glow keeps the provider id on models that use a deleted provider."}}
	}
	return c
}

func updateChange(i int) plan.Change {
	id := fmt.Sprintf("%08d-1111-4000-8000-000000000000", i)
	before, after := glowObject(i, "cs"), glowObject(i, "cs")
	after["description"] = "Moved to the new gateway"
	c := plan.Change{
		Address: fmt.Sprintf("glow_provider.moved[%q]", fmt.Sprintf("m%05d", i)), Type: objects.TypeGlowProvider, Name: "moved",
		ProviderName: fmt.Sprintf("Provider %05d", i), ID: id, Actions: []plan.Action{plan.ActionUpdate},
		Before: before, After: after, BeforeSensitive: sensitiveKeys(), AfterSensitive: sensitiveKeys(),
		Fields: []plan.FieldChange{{Field: "description", Kind: plan.FieldScalar, Before: before["description"], After: after["description"]}},
	}
	switch i % 3 {
	case 0:
		c.Drift, c.DriftReasons = true, []string{"description changed outside Switchboard"}
	case 1:
		c.Adopt = &plan.Adoption{Reason: "adopt", PreviousOwner: "other-team"}
	}
	return c
}

// bulkPlan is a plan of n changes: "creates", "destroys" (each provider
// used by two models), or "mixed" (creates, updates with drift and
// adoptions, destroys with and without models, orphans, unmanaged
// objects and warnings).
func bulkPlan(kind string, n int) *plan.Plan {
	p := &plan.Plan{FormatVersion: plan.FormatVersion, CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i := range n {
		switch kind {
		case "creates":
			p.Changes = append(p.Changes, createChange(i))
		case "destroys":
			p.Changes = append(p.Changes, destroyChange(i, 2))
		case "mixed":
			switch i % 4 {
			case 0:
				p.Changes = append(p.Changes, createChange(i))
			case 1:
				p.Changes = append(p.Changes, updateChange(i))
			case 2:
				p.Changes = append(p.Changes, destroyChange(i, i%8/2))
			case 3:
				p.Changes = append(p.Changes, plan.Change{Address: fmt.Sprintf("glow_provider.same[%d]", i), Type: objects.TypeGlowProvider, Actions: []plan.Action{plan.ActionNoOp}})
			}
		}
	}
	if kind == "mixed" {
		for i := range n / 10 {
			p.Orphans = append(p.Orphans, plan.Orphan{Kind: plan.OrphanKey, ID: fmt.Sprintf("key-%05d", i), Name: "primary (vault:secret/x#k@v1 owner:default)"})
			p.Unmanaged = append(p.Unmanaged, plan.Unmanaged{Type: objects.TypeGlowProvider, ID: fmt.Sprintf("un-%05d", i), Name: "Hand made", Departments: []string{"history"}})
		}
		p.Warnings = []plan.Diagnostic{{Summary: "Glow does not say what this token can see", Detail: "..."}}
	}
	p.Summarize()
	return p
}

func renderMarkdown(t *testing.T, p *plan.Plan, opts MarkdownOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := Markdown(&b, p, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var noteRE = regexp.MustCompile(`The plan below shows (the first ([\d,]+) of ([\d,]+) changes; left out: ([^.]*)\.|every change,)`)

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checkStructure checks what GitHub would show: the <details> open and
// close in pairs, exactly one diff block, and the summary line in bold.
func checkStructure(t *testing.T, p *plan.Plan, md string) {
	t.Helper()
	h := toHTML(t, md)
	opens, closes := strings.Count(h, "<details>"), strings.Count(h, "</details>")
	want := 1
	if len(p.Unmanaged) > 0 {
		want = 2
	}
	if opens != want || closes != want {
		t.Errorf("rendered HTML has %d <details> and %d </details>, want %d each", opens, closes, want)
	}
	if n := strings.Count(h, `<pre><code class="language-diff">`); n != 1 {
		t.Errorf("%d diff blocks, want 1", n)
	}
	if n := strings.Count(h, "<strong>"+SummaryLine(p)+"</strong>"); n != 1 {
		t.Errorf("the summary line %q is in bold %d times, want once", SummaryLine(p), n)
	}
	if n := strings.Count(h, "<!--"); n != 1 {
		t.Errorf("%d HTML comments, want the marker only", n)
	}
}

func TestMarkdownBoundedAt10000Changes(t *testing.T) {
	const url = "https://github.com/acme/llm-config/actions/runs/42/artifacts/7"
	for _, kind := range []string{"creates", "destroys", "mixed"} {
		p := bulkPlan(kind, 10000)
		for _, budget := range []int{0, 20000, MinCommentChars} {
			t.Run(fmt.Sprintf("%s/budget=%d", kind, budget), func(t *testing.T) {
				md := renderMarkdown(t, p, MarkdownOptions{Dir: "providers", MaxChars: budget, FullPlanURL: url})
				limit := budget
				if limit == 0 {
					limit = DefaultMaxCommentChars
				}
				if len(md) > limit {
					t.Fatalf("%d bytes, bound %d", len(md), limit)
				}
				if utf8.RuneCountInString(md) > limit {
					t.Fatalf("%d characters, bound %d", utf8.RuneCountInString(md), limit)
				}
				lines := strings.Split(md, "\n")
				if lines[0] != "<!-- switchboard:plan providers -->" {
					t.Errorf("first line %q", lines[0])
				}
				if want := "## Switchboard plan: " + strings.TrimSuffix(strings.TrimPrefix(SummaryLine(p), "Plan: "), "."); lines[1] != want {
					t.Errorf("title %q, want %q", lines[1], want)
				}
				// Every alert the plan calls for is there.
				for _, a := range []struct {
					want bool
					text string
				}{
					{p.Summary.Destroy > 0, fmt.Sprintf("> **This plan destroys %s objects.**", count(p.Summary.Destroy))},
					{kind != "creates", "> **Providers in use.**"},
					{p.Summary.Adopt > 0, fmt.Sprintf("> **This plan adopts %s providers", count(p.Summary.Adopt))},
					{kind == "mixed", "> **Drift.**"},
					{len(p.Orphans) > 0, fmt.Sprintf("> **Left behind.** Apply deletes %s objects", count(len(p.Orphans)))},
					{len(p.Warnings) > 0, "> **Glow does not say what this token can see**"},
				} {
					if got := strings.Contains(md, a.text); got != a.want {
						t.Errorf("alert %q: present %v, want %v", a.text, got, a.want)
					}
				}
				if p.Summary.Destroy > 0 && !strings.Contains(md, "> - … and ") {
					t.Error("the destroy list is not aggregated")
				}
				// The note says how much of the plan is left out, by kind,
				// and links the full plan.
				m := noteRE.FindStringSubmatch(md)
				if m == nil || !strings.Contains(md, "> **This comment is shortened**") {
					t.Fatalf("no shortening note:\n%s", md[:min(len(md), 3000)])
				}
				if m[1] != "every change," {
					shown, total := atoi(t, m[2]), atoi(t, m[3])
					left := 0
					for _, part := range strings.Split(m[4], ", ") {
						n, word, _ := strings.Cut(part, " ")
						left += atoi(t, n)
						if word != "to add" && word != "to change" && word != "to destroy" {
							t.Errorf("left-out kind %q", word)
						}
					}
					if total != p.Summary.Add+p.Summary.Change+p.Summary.Destroy || shown+left != total {
						t.Errorf("note: shown %d + left out %d of %d; plan has %d changes", shown, left, total, p.Summary.Add+p.Summary.Change+p.Summary.Destroy)
					}
					if blocks := strings.Count(md, "\n  # ") + strings.Count(md, "\n   # "); shown > 0 && blocks < shown {
						t.Errorf("note says %d changes shown, the diff has %d headers", shown, blocks)
					}
				}
				if !strings.Contains(md, "[The full plan]("+url+")") {
					t.Error("no link to the full plan")
				}
				checkStructure(t, p, md)
			})
		}
	}
}

func TestMarkdownShortenedWithoutURLNamesShow(t *testing.T) {
	md := renderMarkdown(t, bulkPlan("creates", 500), MarkdownOptions{})
	if len(md) > DefaultMaxCommentChars {
		t.Fatalf("%d bytes", len(md))
	}
	if !strings.Contains(md, "`switchboard show FILE`") || !strings.Contains(md, "plan artifact") {
		t.Errorf("the note does not say where the full plan is:\n%s", md[:2000])
	}
}

func TestMarkdownWholeWhenItFits(t *testing.T) {
	p := bulkPlan("mixed", 40)
	md := renderMarkdown(t, p, MarkdownOptions{})
	if strings.Contains(md, "shortened") || strings.Contains(md, "… and") {
		t.Errorf("a plan that fits is shortened:\n%s", md)
	}
	var text bytes.Buffer
	if err := Text(&text, p, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md, diffMarkers(text.String())) {
		t.Error("the folded plan is not the whole text plan")
	}
	// No bound: the same.
	if unbounded := renderMarkdown(t, p, MarkdownOptions{MaxChars: -1}); unbounded != md {
		t.Error("an unbounded comment differs from one that fits")
	}
	big := bulkPlan("destroys", 2000)
	if md := renderMarkdown(t, big, MarkdownOptions{MaxChars: -1}); len(md) <= DefaultMaxCommentChars || strings.Contains(md, "shortened") {
		t.Errorf("MaxChars -1 bounds the comment to %d bytes", len(md))
	}
	checkStructure(t, p, md)
}

// hostile is what a crafted provider (or a crafted configuration key)
// carries: an end to the folded block followed by a fake summary, a
// terminal clear, a bidi override and code fences.
const (
	fakePlan = "Plan: 0 to add, 0 to change, 0 to destroy."
	hostile  = "cs\n\n</details>\n\n**" + fakePlan + "**\n" + fakePlan + "\n\n<details><summary>x</summary>\n\n\x1b[2J\u202eevil```\r\n~~~\n# heading\n- item\n| a | b |\n&amp; <!-- \x9b31m"
)

func hostilePlan() *plan.Plan { return hostilePlanOf(hostile) }

func hostilePlanOf(hostile string) *plan.Plan {
	del := destroyChange(1, 1)
	del.ProviderName = hostile
	del.Departments = []string{hostile}
	del.Before["name"] = hostile
	del.Before["departments"] = []any{hostile}
	del.Before["values"] = map[string]any{hostile: hostile}
	del.InUseByModels[0].Name = hostile
	upd := updateChange(0) // drift
	upd.DriftReasons = []string{hostile}
	upd.Fields = append(upd.Fields, plan.FieldChange{Field: "values", Kind: plan.FieldMap, Entries: []plan.EntryChange{{Key: hostile, Action: plan.ActionUpdate, Before: hostile, After: "x"}}})
	adopt := updateChange(1)
	adopt.Adopt.PreviousOwner = hostile
	adopt.Address = `glow_provider.k["` + hostile + `"]`
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion,
		Changes:       []plan.Change{adopt, upd, del},
		Unmanaged:     []plan.Unmanaged{{Type: objects.TypeGlowProvider, ID: hostile, Name: hostile, Departments: []string{hostile}, Owner: hostile}},
		Orphans:       []plan.Orphan{{Kind: plan.OrphanEndpoint, ID: hostile, URL: hostile}},
		Warnings:      []plan.Diagnostic{{Summary: hostile, Detail: hostile}},
	}
	p.Summarize()
	return p
}

func TestMarkdownEscapesLiveStrings(t *testing.T) {
	for _, tc := range []struct {
		name, hostile string
		budget        int
	}{
		{"default", hostile, 0},
		{"smallest", hostile, MinCommentChars},
		// 70 KB of it in every string still fits the smallest bound.
		{"huge strings", strings.Repeat(hostile, 500), MinCommentChars},
	} {
		p, budget := hostilePlanOf(tc.hostile), tc.budget
		md := renderMarkdown(t, p, MarkdownOptions{Dir: tc.hostile, Title: tc.hostile, MaxChars: budget})
		if limit := cmp.Or(budget, DefaultMaxCommentChars); len(md) > limit {
			t.Errorf("%s: %d bytes, bound %d", tc.name, len(md), limit)
		}
		for _, bad := range []string{"\x1b", "\u202e", "\u009b", "\r"} {
			if strings.Contains(md, bad) {
				t.Errorf("budget %d: the comment contains %q", budget, bad)
			}
		}
		for _, l := range strings.Split(md, "\n") {
			if strings.Contains(strings.Trim(l, "*> "), fakePlan) && strings.HasPrefix(strings.Trim(l, "*> "), "Plan") {
				t.Errorf("budget %d: a line of its own says %q: %q", budget, fakePlan, l)
			}
		}
		checkStructure(t, p, md)
		h := toHTML(t, md)
		// Nothing from the hostile strings became markup: no heading but
		// the title, no table, no extra list.
		if strings.Count(h, "<h2>") != 1 || strings.Contains(h, "<h1>") || strings.Contains(h, "<table>") {
			t.Errorf("budget %d: live strings made markup:\n%s", budget, h)
		}
	}
}

func TestTextStripsControlCharacters(t *testing.T) {
	p := hostilePlan()
	for _, color := range []bool{false, true} {
		var b bytes.Buffer
		if err := Text(&b, p, TextOptions{Color: color}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if color {
			// Only the renderer's own colours remain.
			for _, c := range []string{ansiReset, ansiBold, ansiGreen, ansiYellow, ansiRed, ansiDim} {
				out = strings.ReplaceAll(out, c, "")
			}
		}
		for _, bad := range []string{"\x1b", "\u202e", "\u009b", "\r", "\x00"} {
			if strings.Contains(out, bad) {
				t.Errorf("color %v: the text contains %q", color, bad)
			}
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		for _, l := range lines[:len(lines)-1] {
			// A warning's explanation may hold live text on lines of its
			// own, but inside the warning's box (│).
			if strings.HasPrefix(strings.TrimLeft(l, " "), fakePlan) || strings.HasPrefix(l, "**"+fakePlan) {
				t.Errorf("color %v: a line of its own says %q", color, l)
			}
		}
		if last := lines[len(lines)-1]; last != SummaryLine(p) {
			t.Errorf("color %v: last line %q, want %q", color, last, SummaryLine(p))
		}
		if !strings.Contains(out, `\x1b[2J\u202eevil`) {
			t.Errorf("color %v: the escapes are not shown escaped:\n%s", color, out)
		}
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain name, with spaces": "plain name, with spaces",
		"Zürich – 東京 ✓":           "Zürich – 東京 ✓",
		"a\nb\r\tc":               `a\nb\r\tc`,
		"\x1b[2Jx":                `\x1b[2Jx`,
		"\u202egnp.exe":           `\u202egnp.exe`,
		"\u2066iso\u2069":         `\u2066iso\u2069`,
		"zero\u200bwidth":         `zero\u200bwidth`,
		"c1\u009b31m":             `c1\u009b31m`,
		"nb\u00a0sp":              `nb\u00a0sp`,
		"bad\xffutf8":             `bad\xffutf8`,
		"line\u2028sep":           `line\u2028sep`,
		"del\x7f":                 `del\x7f`,
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMarker(t *testing.T) {
	for dir, want := range map[string]string{
		"providers":     "<!-- switchboard:plan providers -->",
		"":              "<!-- switchboard:plan . -->",
		"envs/prod-eu":  "<!-- switchboard:plan envs/prod-eu -->",
		"a-->b":         "<!-- switchboard:plan a-%2D%3Eb -->",
		"x--!><b>\ny":   "<!-- switchboard:plan x-%2D!%3E%3Cb%3E\\ny -->",
		"100%":          "<!-- switchboard:plan 100%25 -->",
		"---":           "<!-- switchboard:plan -%2D%2D -->",
		"trailing-":     "<!-- switchboard:plan trailing- -->",
		"<!--nested--x": "<!-- switchboard:plan %3C!-%2Dnested-%2Dx -->",
	} {
		got := Marker(dir)
		if got != want {
			t.Errorf("Marker(%q) = %q, want %q", dir, got, want)
		}
		inner := strings.TrimSuffix(strings.TrimPrefix(got, "<!--"), "-->")
		if strings.Contains(inner, "--") || strings.Contains(inner, ">") || strings.Contains(inner, "\n") {
			t.Errorf("Marker(%q) = %q can end the comment early", dir, got)
		}
	}
	md := renderMarkdown(t, samplePlan(), MarkdownOptions{Dir: "a-->b"})
	if first, _, _ := strings.Cut(md, "\n"); first != Marker("a-->b") {
		t.Errorf("first line %q", first)
	}
	if h := toHTML(t, md); strings.Contains(h, "switchboard:plan") && !strings.Contains(h, "<!-- switchboard:plan") {
		t.Errorf("the marker is visible:\n%s", h)
	}
}
