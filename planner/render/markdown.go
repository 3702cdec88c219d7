package render

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/switchboard-hq/switchboard/internal/english"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
)

// DefaultMaxCommentChars is the default size bound of the Markdown
// comment. GitHub refuses a comment body over 65,536 characters; the bound
// leaves room for what a workflow wraps around the plan (a header, a
// footer, the marker). Sizes are counted in UTF-8 bytes, which are never
// fewer than the characters GitHub counts, whether code points or UTF-16
// units, so the bound holds however they are counted.
const DefaultMaxCommentChars = 60000

// MinCommentChars is the smallest bound the renderer accepts: the title,
// every alert (aggregated) and the summary need a few kilobytes.
const MinCommentChars = 4000

// MarkerPrefix starts the hidden first line of every Markdown plan,
// `<!-- switchboard:plan DIR -->`, by which a workflow finds the comment it
// posted for DIR to update it.
const MarkerPrefix = "<!-- switchboard:plan "

// MarkdownOptions controls the Markdown format.
type MarkdownOptions struct {
	// Title heads the comment; empty gives "Switchboard plan".
	Title string
	// Policy, when set, adds the policy results (plan --policy) after the
	// title.
	Policy *PolicyReport
	// Dir is the configuration directory the marker names.
	Dir string
	// MaxChars bounds the output (UTF-8 bytes); 0 gives
	// DefaultMaxCommentChars, a negative value no bound, and a bound
	// under MinCommentChars is raised to it.
	MaxChars int
	// FullPlanURL is where the whole plan is (the workflow's artifact),
	// linked when the comment is shortened.
	FullPlanURL string
}

// Marker is the hidden first line of the Markdown plan of dir. dir is
// escaped so that it cannot end the HTML comment or the line.
func Marker(dir string) string {
	if dir == "" {
		dir = "."
	}
	return MarkerPrefix + commentText(dir) + " -->"
}

// Markdown writes the plan as a pull-request comment: the hidden marker,
// the outcome, what needs a reviewer's attention (deletions, providers in
// use, adoptions, drift, left-behind objects, warnings), the summary line,
// the addresses by action, the unmanaged objects and the full text plan
// folded away as a diff.
//
// The output stays within opts.MaxChars. The title, the alerts and the
// summary line always come first and whole; when they alone would not fit
// (thousands of destroys), each alert lists its first entries and counts
// the rest. What is left of the bound holds the lists and as much of the
// text plan as fits, and a note says how many changes, of which kinds,
// were left out and where the full plan is.
func Markdown(w io.Writer, p *plan.Plan, opts MarkdownOptions) error {
	m := newMarkdown(p, opts)
	_, err := io.WriteString(w, m.render())
	return err
}

type markdown struct {
	p                           *plan.Plan
	opts                        MarkdownOptions
	budget                      int
	text                        *planText
	groups                      map[plan.Action][]plan.Change
	inUse, drift, adopt, warned []plan.Change
}

func newMarkdown(p *plan.Plan, opts MarkdownOptions) *markdown {
	m := &markdown{p: p, opts: opts, budget: opts.MaxChars, groups: map[plan.Action][]plan.Change{}}
	switch {
	case m.budget == 0:
		m.budget = DefaultMaxCommentChars
	case m.budget > 0 && m.budget < MinCommentChars:
		m.budget = MinCommentChars
	}
	for _, c := range p.Changes {
		m.groups[c.Action()] = append(m.groups[c.Action()], c)
		if c.Adopt != nil {
			m.adopt = append(m.adopt, c)
		}
		inUse := c.Action() == plan.ActionDelete && c.ModelUsageCount > 0
		if inUse {
			m.inUse = append(m.inUse, c)
		}
		if c.Drift {
			m.drift = append(m.drift, c)
		}
		// The in-use warnings are the in-use alert; the others get theirs.
		if len(c.Warnings) > 0 && !inUse {
			m.warned = append(m.warned, c)
		}
	}
	m.text = textParts(p, false)
	return m
}

// unbounded stands for "no limit" in the item caps.
const unbounded = int(^uint(0) >> 1)

func (m *markdown) render() string {
	// The folded text plan is at least as long as its parts (escaping
	// only lengthens it), so a plan whose text alone is over the bound
	// is shortened without building the whole comment.
	if m.budget < 0 || !m.text.longerThan(m.budget) {
		full := m.top(unbounded, nil) + m.lists(unbounded) + m.unmanaged(unbounded) + m.diff(len(m.text.shown), true)
		if m.budget < 0 || len(full) <= m.budget {
			return full
		}
	}

	// Shortened. The alerts come first: the largest per-alert cap that
	// fits, keeping room for the folded plan's frame. The note they end
	// with is fitted for no change block shown, its longest form but for
	// a digit or two, which the last loop absorbs.
	reserve := len(m.diff(0, false)) + len(m.lists(0)) + len(m.unmanaged(0))
	k := fitN(m.maxItems(), m.budget-reserve, func(k int) int { return len(m.top(k, m.leftOut(0))) })
	rest := m.budget - len(m.top(k, m.leftOut(0))) - reserve
	// Then the lists of addresses and the unmanaged objects, each with a
	// share of what is left, and the text plan with the remainder.
	lists := m.lists(fitN(len(m.p.Changes), len(m.lists(0))+max(0, rest/3), func(n int) int { return len(m.lists(n)) }))
	unmanaged := m.unmanaged(fitN(len(m.p.Unmanaged), len(m.unmanaged(0))+max(0, rest/6), func(n int) int { return len(m.unmanaged(n)) }))
	rest = m.budget - len(m.top(k, m.leftOut(0))) - len(m.diff(0, false)) - len(lists) - len(unmanaged)
	shown := 0
	for used := 0; shown < len(m.text.shown); shown++ {
		n := len(m.text.block(shown))
		if used+n > rest {
			break
		}
		used += n
	}
	for {
		out := m.top(k, m.leftOut(shown)) + lists + unmanaged + m.diff(shown, false)
		if len(out) <= m.budget || shown == 0 {
			return out
		}
		shown--
	}
}

// fitN returns the largest n in [0, most] for which size(n) is at most
// limit, or 0 when none is. Sizes grow with n. The search gallops up from
// 1, since the answer is small when the lists are long and each size is
// a rendering of n entries.
func fitN(most, limit int, size func(int) int) int {
	if size(most) <= limit {
		return most
	}
	lo, hi := 0, 1 // size(lo) fits or lo is 0; size(hi) is to be tried
	for hi < most && size(hi) <= limit {
		lo, hi = hi, min(hi*2, most)
	}
	// size(hi) > limit
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if size(mid) <= limit {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// maxItems is the longest alert list.
func (m *markdown) maxItems() int {
	ws := 0
	for _, c := range m.warned {
		ws += len(c.Warnings)
	}
	return max(len(m.p.Changes), len(m.p.Orphans), len(m.p.Warnings), ws, 1)
}

// omission says what the text plan leaves out.
type omission struct {
	shown, total int
	counts       map[plan.Action]int
}

func (m *markdown) leftOut(shown int) *omission {
	o := &omission{shown: shown, total: len(m.text.shown), counts: map[plan.Action]int{}}
	for _, c := range m.text.shown[shown:] {
		o.counts[c.Action()]++
	}
	return o
}

func (o *omission) String() string {
	var parts []string
	for _, a := range []struct {
		action plan.Action
		word   string
	}{{plan.ActionCreate, "to add"}, {plan.ActionUpdate, "to change"}, {plan.ActionDelete, "to destroy"}} {
		if n := o.counts[a.action]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", count(n), a.word))
		}
	}
	if len(parts) == 0 {
		return "no change left out"
	}
	return strings.Join(parts, ", ")
}

// top is the marker, the title, the alerts with at most k entries each,
// the shortening note when there is one, and the summary line.
func (m *markdown) top(k int, left *omission) string {
	var b strings.Builder
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }
	m.heading(line)
	if m.opts.Policy != nil {
		_ = PolicyMarkdown(&b, m.opts.Policy) // a strings.Builder does not fail
	}
	m.destroyAlert(line, k)
	m.inUseAlert(line, k)
	m.adoptAlert(line, k)
	m.driftAlert(line, k)
	m.orphanAlert(line, k)
	m.changeWarningsAlert(line, k)
	m.planWarnings(line, k)
	if left != nil {
		m.shortenedNote(line, k, left)
	}
	line("**" + SummaryLine(m.p) + "**")
	line("")
	return b.String()
}

// heading is the marker and the title with the plan's outcome.
func (m *markdown) heading(line func(string)) {
	line(Marker(m.opts.Dir))
	title := "Switchboard plan"
	if m.opts.Title != "" {
		title = mdText(m.opts.Title)
	}
	if !m.p.HasChanges() {
		line("## " + title + ": no changes")
	} else {
		line("## " + title + ": " + strings.TrimSuffix(strings.TrimPrefix(SummaryLine(m.p), "Plan: "), "."))
	}
	line("")
}

func (m *markdown) destroyAlert(line func(string), k int) {
	del := m.groups[plan.ActionDelete]
	if len(del) == 0 {
		return
	}
	line("> [!CAUTION]")
	line(fmt.Sprintf("> **This plan destroys %s %s.** Review the deletions below before applying.", count(len(del)), english.Plural(len(del), "object", "objects")))
	line(">")
	items(line, del, k, func(c plan.Change) string { return "> - " + code(c.Address) + describeLive(c) },
		func(rest []plan.Change) string { return "> - … and " + byType(rest) })
	line("")
}

func (m *markdown) inUseAlert(line func(string), k int) {
	if len(m.inUse) == 0 {
		return
	}
	line("> [!WARNING]")
	line("> **Providers in use.** Models that use a deleted Glow provider keep its id and break.")
	line(">")
	items(line, m.inUse, k, inUseLine, func(rest []plan.Change) string {
		models := 0
		for _, c := range rest {
			models += c.ModelUsageCount
		}
		return fmt.Sprintf("> - … and %s more %s, used by %s %s", count(len(rest)), english.Plural(len(rest), "provider", "providers"), count(models), english.Plural(models, "model", "models"))
	})
	line("")
}

func (m *markdown) adoptAlert(line func(string), k int) {
	n := len(m.adopt)
	if n == 0 {
		return
	}
	line("> [!WARNING]")
	line(fmt.Sprintf("> **This plan adopts %s %s made outside this configuration.** From now on this configuration owns %s: removing %s block destroys %s.",
		count(n), english.Plural(n, "provider", "providers"), english.Plural(n, "it", "them"), english.Plural(n, "its", "their"), english.Plural(n, "it", "them")))
	line(">")
	items(line, m.adopt, k, func(c plan.Change) string {
		return "> - " + code(c.Address) + idSuffix(c) + ": " + mdText(adoptionWhy(c.Adopt))
	}, func(rest []plan.Change) string { return fmt.Sprintf("> - … and %s more", count(len(rest))) })
	line("")
}

func (m *markdown) driftAlert(line func(string), k int) {
	if len(m.drift) == 0 {
		return
	}
	line("> [!NOTE]")
	line("> **Drift.** These objects were changed outside Switchboard; applying reverts them to the configuration.")
	line(">")
	items(line, m.drift, k, func(c plan.Change) string {
		return "> - " + code(c.Address) + ": " + mdText(strings.Join(c.DriftReasons, "; "))
	}, func(rest []plan.Change) string { return fmt.Sprintf("> - … and %s more", count(len(rest))) })
	line("")
}

func (m *markdown) orphanAlert(line func(string), k int) {
	n := len(m.p.Orphans)
	if n == 0 {
		return
	}
	line("> [!WARNING]")
	line(fmt.Sprintf("> **Left behind.** Apply deletes %s %s this configuration made that nothing uses (e.g. after an interrupted apply).", count(n), english.Plural(n, "object", "objects")))
	line(">")
	items(line, m.p.Orphans, k, func(o plan.Orphan) string { return "> - " + code(describeOrphan(o)) },
		func(rest []plan.Orphan) string { return fmt.Sprintf("> - … and %s more", count(len(rest))) })
	line("")
}

// changeWarningsAlert is one alert for the warnings of every change but
// the in-use deletes, which have theirs.
func (m *markdown) changeWarningsAlert(line func(string), k int) {
	if len(m.warned) == 0 {
		return
	}
	var ds []plan.Diagnostic
	for _, c := range m.warned {
		ds = append(ds, c.Warnings...)
	}
	line("> [!WARNING]")
	line("> **Warnings about changes.**")
	line(">")
	items(line, ds, k, func(d plan.Diagnostic) string { return "> - " + mdText(d.Summary) },
		func(rest []plan.Diagnostic) string { return fmt.Sprintf("> - … and %s more", count(len(rest))) })
	line("")
}

// planWarnings gives each of the plan's own warnings an alert, the first
// k (at least one), and one alert counting the rest.
func (m *markdown) planWarnings(line func(string), k int) {
	ws := m.p.Warnings
	if len(ws) == 0 {
		return
	}
	shown := min(len(ws), max(k, 1))
	for _, w := range ws[:shown] {
		line("> [!WARNING]")
		line("> **" + mdText(w.Summary) + "**")
		line("")
	}
	if rest := len(ws) - shown; rest > 0 {
		line("> [!WARNING]")
		line(fmt.Sprintf("> **… and %s more %s** (in the full plan).", count(rest), english.Plural(rest, "warning", "warnings")))
		line("")
	}
}

// shortenedNote says what the shortened comment leaves out and where the
// full plan is.
func (m *markdown) shortenedNote(line func(string), k int, left *omission) {
	lists := ""
	if m.anyLongerThan(k) {
		lists = fmt.Sprintf(" Each list above names its first %s %s.", count(k), english.Plural(k, "entry", "entries"))
	}
	what := "every change, the lists of addresses after it are shortened"
	if left.shown < left.total {
		what = fmt.Sprintf("the first %s of %s %s; left out: %s", count(left.shown), count(left.total), english.Plural(left.total, "change", "changes"), left)
	}
	line("> [!NOTE]")
	line(fmt.Sprintf("> **This comment is shortened** to fit GitHub's comment size limit.%s The plan below shows %s. %s", lists, what, m.whereFull()))
	line("")
}

// anyLongerThan reports whether an alert has more than k entries.
func (m *markdown) anyLongerThan(k int) bool {
	for _, n := range []int{len(m.groups[plan.ActionDelete]), len(m.inUse), len(m.adopt), len(m.drift), len(m.p.Orphans), len(m.p.Warnings)} {
		if n > k {
			return true
		}
	}
	var ws int
	for _, c := range m.warned {
		ws += len(c.Warnings)
	}
	return ws > k
}

func (m *markdown) whereFull() string {
	if m.opts.FullPlanURL != "" {
		return "[The full plan](" + linkDestination(m.opts.FullPlanURL) + ") is the saved plan file; `switchboard show FILE` prints it."
	}
	return "The full plan is the saved plan file (the workflow's plan artifact): `switchboard show FILE` prints it."
}

// linkDestination percent-encodes what could end a Markdown link
// destination or the line.
func linkDestination(u string) string {
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("<>()[]`\"'\\|*_", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// items writes the first k of xs with one, and a line counting the rest.
func items[T any](line func(string), xs []T, k int, one func(T) string, more func([]T) string) {
	n := min(len(xs), k)
	for _, x := range xs[:n] {
		line(one(x))
	}
	if n < len(xs) {
		line(more(xs[n:]))
	}
}

// byType counts changes by type, as "3 more: 2 glow_provider, 1
// gateflow_provider".
func byType(cs []plan.Change) string {
	counts := map[string]int{}
	for _, c := range cs {
		counts[c.Type]++
	}
	types := make([]string, 0, len(counts))
	for t := range counts {
		types = append(types, t)
	}
	sort.Strings(types)
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = count(counts[t]) + " " + code(t)
	}
	return fmt.Sprintf("%s more: %s", count(len(cs)), strings.Join(parts, ", "))
}

// maxModelsPerLine bounds the models an in-use line names.
const maxModelsPerLine = 10

func inUseLine(c plan.Change) string {
	s := fmt.Sprintf("> - %s%s is used by %s %s", code(c.Address), describeLive(c), count(c.ModelUsageCount), english.Plural(c.ModelUsageCount, "model", "models"))
	models := c.InUseByModels
	if len(models) == 0 {
		for _, id := range c.InUseBy {
			models = append(models, plan.Model{ID: id})
		}
	}
	if len(models) == 0 {
		return s
	}
	names := make([]string, 0, min(len(models), maxModelsPerLine))
	for _, mo := range models[:min(len(models), maxModelsPerLine)] {
		if mo.Name != "" {
			names = append(names, code(mo.Name)+" ("+code(mo.ID)+")")
		} else {
			names = append(names, code(mo.ID))
		}
	}
	s += ": " + strings.Join(names, ", ")
	if len(models) > maxModelsPerLine {
		s += fmt.Sprintf(" and %s more", count(len(models)-maxModelsPerLine))
	}
	return s
}

// describeLive names a destroyed Glow provider: its name, departments and
// id, which its address (a removed block's, or undeclared.…["ID"]) does
// not say. Other changes get their id when the address lacks it.
func describeLive(c plan.Change) string {
	if c.Action() != plan.ActionDelete || c.Type != objects.TypeGlowProvider {
		return idSuffix(c)
	}
	s := " — " + code(c.ProviderName)
	if len(c.Departments) > 0 {
		ds := make([]string, len(c.Departments))
		for i, d := range c.Departments {
			ds[i] = code(d)
		}
		s += " in " + strings.Join(ds, ", ")
	} else {
		s += ", global"
	}
	if c.ID != "" {
		s += " (id " + code(c.ID) + ")"
	}
	return s
}

// lists are the addresses under Create, Update and Destroy, at most k in
// all.
func (m *markdown) lists(k int) string {
	var b strings.Builder
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }
	left := k
	for _, g := range []struct {
		action plan.Action
		title  string
	}{
		{plan.ActionCreate, "Create"},
		{plan.ActionUpdate, "Update"},
		{plan.ActionDelete, "Destroy"},
	} {
		cs := m.groups[g.action]
		if len(cs) == 0 {
			continue
		}
		line(fmt.Sprintf("### %s (%s)", g.title, count(len(cs))))
		line("")
		n := min(len(cs), left)
		left -= n
		items(line, cs, n, func(c plan.Change) string {
			s := "- " + code(c.Address) + describeLive(c)
			if len(c.Rotations) > 0 {
				s += " — secret rotation"
			}
			if c.Drift {
				s += " — drift"
			}
			return s
		}, func(rest []plan.Change) string {
			return fmt.Sprintf("- … and %s more (in the full plan)", count(len(rest)))
		})
		line("")
	}
	return b.String()
}

// unmanaged is the folded list of unmanaged objects, at most k of them.
func (m *markdown) unmanaged(k int) string {
	us := m.p.Unmanaged
	if len(us) == 0 {
		return ""
	}
	var b strings.Builder
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }
	line(fmt.Sprintf("<details><summary>Unmanaged objects (%s), left as they are</summary>", count(len(us))))
	line("")
	items(line, us, k, func(u plan.Unmanaged) string { return "- " + code(describeUnmanaged(u)) },
		func(rest []plan.Unmanaged) string {
			return fmt.Sprintf("- … and %s more (in the full plan)", count(len(rest)))
		})
	line("")
	line("</details>")
	line("")
	return b.String()
}

// diff is the text plan in a folded diff block, with its first n change
// blocks; whole adds the rest of the text plan (orphans, unmanaged objects,
// warnings), a shortened one its summary line only.
func (m *markdown) diff(n int, whole bool) string {
	var body strings.Builder
	body.WriteString(m.text.head)
	for i := range n {
		body.WriteString(m.text.block(i))
	}
	if whole {
		body.WriteString(m.text.tail)
	} else {
		if left := len(m.text.shown) - n; left > 0 {
			body.WriteString("\n")
			fmt.Fprintf(&body, "  # (%s more %s not shown here: this comment is shortened)\n", count(left), english.Plural(left, "change", "changes"))
		}
		body.WriteString("\n")
	}
	body.WriteString(m.text.summary)
	text := diffMarkers(terminalSafe(body.String(), false))
	fence := fenceFor(text)
	var b strings.Builder
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }
	// GitHub renders a fenced block inside <details> only with a blank line
	// after <summary> and before </details>.
	line("<details><summary>Show the full plan</summary>")
	line("")
	line(fence + "diff")
	b.WriteString(text)
	if !strings.HasSuffix(text, "\n") {
		line("")
	}
	line(fence)
	line("")
	line("</details>")
	return b.String()
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

func idSuffix(c plan.Change) string {
	if c.ID == "" || strings.Contains(c.Address, c.ID) {
		return ""
	}
	return " (" + code(c.ID) + ")"
}

// count writes n with thousands separators, as a reviewer reads it.
func count(n int) string {
	s := fmt.Sprint(n)
	if n < 1000 && n > -1000 {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
