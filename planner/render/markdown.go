package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/switchboard-hq/switchboard/planner/plan"
)

// MarkdownOptions controls the Markdown format.
type MarkdownOptions struct {
	// Title heads the comment; empty gives "Switchboard plan".
	Title string
	// Policy, when set, adds the policy results (plan --policy) after the
	// title.
	Policy *PolicyReport
}

// Markdown writes the plan as a pull-request comment: the outcome first,
// what needs a reviewer's attention (deletions, providers in use, drift),
// the addresses by action, and the full text plan folded away as a diff.
func Markdown(w io.Writer, p *plan.Plan, opts MarkdownOptions) error {
	title := opts.Title
	if title == "" {
		title = "Switchboard plan"
	}
	var b strings.Builder
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }

	if !p.HasChanges() {
		line("## " + title + ": no changes")
	} else {
		line("## " + title + ": " + strings.TrimSuffix(strings.TrimPrefix(SummaryLine(p), "Plan: "), "."))
	}
	line("")
	if opts.Policy != nil {
		_ = PolicyMarkdown(&b, opts.Policy) // a strings.Builder does not fail
	}

	groups := map[plan.Action][]plan.Change{}
	var inUse, drift, adopt []plan.Change
	for _, c := range p.Changes {
		groups[c.Action()] = append(groups[c.Action()], c)
		if c.Adopt != nil {
			adopt = append(adopt, c)
		}
		if c.Action() == plan.ActionDelete && c.ModelUsageCount > 0 {
			inUse = append(inUse, c)
		}
		if c.Drift {
			drift = append(drift, c)
		}
	}

	if del := groups[plan.ActionDelete]; len(del) > 0 {
		line("> [!CAUTION]")
		line(fmt.Sprintf("> **This plan destroys %d %s.** Review the deletions below before applying.", len(del), plural(len(del), "object", "objects")))
		line(">")
		for _, c := range del {
			line("> - " + code(c.Address) + idSuffix(c))
		}
		line("")
	}
	if len(inUse) > 0 {
		line("> [!WARNING]")
		line("> **Providers in use.** Models that use a deleted Glow provider keep its id and break.")
		line(">")
		for _, c := range inUse {
			models := make([]string, len(c.InUseBy))
			for i, m := range c.InUseBy {
				models[i] = code(m)
			}
			s := fmt.Sprintf("> - %s is used by %d %s", code(c.Address), c.ModelUsageCount, plural(c.ModelUsageCount, "model", "models"))
			if len(models) > 0 {
				s += ": " + strings.Join(models, ", ")
			}
			line(s)
		}
		line("")
	}
	if len(adopt) > 0 {
		line("> [!WARNING]")
		line(fmt.Sprintf("> **This plan adopts %d %s made outside this configuration.** From now on this configuration owns %s: removing %s block destroys %s.",
			len(adopt), plural(len(adopt), "provider", "providers"), plural(len(adopt), "it", "them"), plural(len(adopt), "its", "their"), plural(len(adopt), "it", "them")))
		line(">")
		for _, c := range adopt {
			line("> - " + code(c.Address) + idSuffix(c) + ": " + escapeMarkdown(adoptionWhy(c.Adopt)))
		}
		line("")
	}
	if len(drift) > 0 {
		line("> [!NOTE]")
		line("> **Drift.** These objects were changed outside Switchboard; applying reverts them to the configuration.")
		line(">")
		for _, c := range drift {
			line("> - " + code(c.Address) + ": " + escapeMarkdown(strings.Join(c.DriftReasons, "; ")))
		}
		line("")
	}
	if ws := p.Warnings; len(ws) > 0 {
		for _, w := range ws {
			line("> [!WARNING]")
			line("> **" + escapeMarkdown(w.Summary) + "**")
			line("")
		}
	}

	line("**" + SummaryLine(p) + "**")
	line("")

	for _, g := range []struct {
		action plan.Action
		title  string
	}{
		{plan.ActionCreate, "Create"},
		{plan.ActionUpdate, "Update"},
		{plan.ActionDelete, "Destroy"},
	} {
		cs := groups[g.action]
		if len(cs) == 0 {
			continue
		}
		line(fmt.Sprintf("### %s (%d)", g.title, len(cs)))
		line("")
		for _, c := range cs {
			s := "- " + code(c.Address) + idSuffix(c)
			if len(c.Rotations) > 0 {
				s += " — secret rotation"
			}
			if c.Drift {
				s += " — drift"
			}
			line(s)
		}
		line("")
	}
	if len(p.Unmanaged) > 0 {
		line(fmt.Sprintf("<details><summary>Unmanaged objects (%d), left as they are</summary>", len(p.Unmanaged)))
		line("")
		for _, u := range p.Unmanaged {
			line("- " + code(describeUnmanaged(u)))
		}
		line("")
		line("</details>")
		line("")
	}

	var text strings.Builder
	if err := Text(&text, p, TextOptions{}); err != nil {
		return err
	}
	body := diffMarkers(text.String())
	fence := fenceFor(body)
	// GitHub renders a fenced block inside <details> only with a blank line
	// after <summary> and before </details>.
	line("<details><summary>Show the full plan</summary>")
	line("")
	line(fence + "diff")
	b.WriteString(body)
	if !strings.HasSuffix(body, "\n") {
		line("")
	}
	line(fence)
	line("")
	line("</details>")
	_, err := io.WriteString(w, b.String())
	return err
}

// diffMarkers moves each line's action symbol to the first column, where
// GitHub's diff highlighting looks for it: + and - keep their colours and
// ~ becomes !, which the diff grammar marks as changed (as tfcmt does).
func diffMarkers(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		if len(trimmed) < 2 || trimmed[1] != ' ' {
			continue
		}
		indent := l[:len(l)-len(trimmed)]
		switch trimmed[0] {
		case '+', '-':
			lines[i] = trimmed[:1] + indent + trimmed[1:]
		case '~':
			lines[i] = "!" + indent + trimmed[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// fenceFor returns a backtick fence longer than any run of backticks in
// body, so that a description containing ``` cannot end the block early.
func fenceFor(body string) string {
	longest, run := 0, 0
	for _, r := range body {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

func idSuffix(c plan.Change) string {
	if c.ID == "" || strings.Contains(c.Address, c.ID) {
		return ""
	}
	return " (" + code(c.ID) + ")"
}

// code wraps s in a code span that s cannot close.
func code(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.Contains(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;", "|", `\|`, "#", `\#`,
)

func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
