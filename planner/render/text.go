// Package render prints a plan for people (text, Markdown) and for
// programs (JSON). It reads only the plan model, so a plan read from a file
// renders exactly like the one just computed.
package render

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// NoChanges is the closing line of a plan without changes.
const NoChanges = "No changes. Your configuration matches the live Glow and Gateflow state."

// TextOptions controls the text format.
type TextOptions struct {
	// Color turns on ANSI colours. The caller decides, from the terminal,
	// NO_COLOR and --no-color.
	Color bool
}

// Text writes the plan the way `terraform plan` does.
//
// Every live string is printed through Clean, and the whole output is
// filtered again, so that no control character or bidi override from the
// services reaches the terminal (see escape.go).
func Text(w io.Writer, p *plan.Plan, opts TextOptions) error {
	parts := textParts(p, opts.Color)
	var b strings.Builder
	b.WriteString(parts.head)
	for i := range parts.shown {
		b.WriteString(parts.block(i))
	}
	b.WriteString(parts.tail)
	b.WriteString(parts.summary)
	_, err := io.WriteString(w, terminalSafe(b.String(), opts.Color))
	return err
}

// planText is the text plan in the pieces the Markdown renderer shortens:
// the legend, one block per change (each starting with its blank line),
// the rest (orphans, unmanaged objects, warnings) and the summary line.
// The blocks are rendered when first asked for, so that a comment that
// shows the first hundred of 10,000 changes renders about a hundred.
type planText struct {
	head string
	// shown are the changes that have a block, in order.
	shown   []plan.Change
	blocks  []string
	tail    string
	summary string
	t       *textWriter
}

// block is the text of change i of shown.
func (pt *planText) block(i int) string {
	for len(pt.blocks) <= i {
		pt.t.line(0, "")
		pt.t.change(pt.shown[len(pt.blocks)])
		pt.blocks = append(pt.blocks, pt.t.take())
	}
	return pt.blocks[i]
}

// longerThan reports whether the whole text plan is longer than n bytes,
// rendering only the blocks it needs to tell.
func (pt *planText) longerThan(n int) bool {
	size := len(pt.head) + len(pt.tail) + len(pt.summary)
	for i := range pt.shown {
		if size > n {
			return true
		}
		size += len(pt.block(i))
	}
	return size > n
}

func textParts(p *plan.Plan, color bool) *planText {
	out := &planText{t: &textWriter{color: color}}
	t := &textWriter{color: color}
	used := map[plan.Action]bool{}
	for _, c := range p.Changes {
		if c.Action() != plan.ActionNoOp {
			out.shown = append(out.shown, c)
			used[c.Action()] = true
		}
	}
	if len(out.shown) > 0 {
		t.line(0, "Switchboard compared the configuration with the live Glow and Gateflow state. Resource actions are")
		t.line(0, "indicated with the following symbols:")
		for _, a := range []plan.Action{plan.ActionCreate, plan.ActionUpdate, plan.ActionDelete} {
			if used[a] {
				t.line(2, t.sym(a)+" "+actionWord(a))
			}
		}
		t.line(0, "")
		t.line(0, "Switchboard will perform the following actions:")
		out.head = t.take()
		// The blank line that ends the changes.
		t.line(0, "")
	}
	t.rest(p)
	out.tail = t.take()
	t.line(0, t.paint(ansiBold, SummaryLine(p)))
	out.summary = t.take()
	return out
}

// take returns what was written since the last take.
func (t *textWriter) take() string {
	s := t.b.String()
	t.b.Reset()
	return s
}

// SummaryLine is the plan's last line. Adoptions are counted first, as
// Terraform counts imports, and also in "to change", since apply writes
// their ownership markers; orphans come last.
func SummaryLine(p *plan.Plan) string {
	if !p.HasChanges() {
		return NoChanges
	}
	s := "Plan: "
	if p.Summary.Adopt > 0 {
		s += fmt.Sprintf("%d to adopt, ", p.Summary.Adopt)
	}
	s += fmt.Sprintf("%d to add, %d to change, %d to destroy", p.Summary.Add, p.Summary.Change, p.Summary.Destroy)
	if p.Summary.Orphans > 0 {
		s += fmt.Sprintf(", %d to clean up", p.Summary.Orphans)
	}
	return s + "."
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[31m"
	ansiDim    = "\x1b[2m"
)

type textWriter struct {
	b     strings.Builder
	color bool
}

func (t *textWriter) paint(code, s string) string {
	if !t.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) line(indent int, s string) {
	t.b.WriteString(strings.Repeat(" ", indent))
	t.b.WriteString(s)
	t.b.WriteByte('\n')
}

// sym is an action's symbol, coloured.
func (t *textWriter) sym(a plan.Action) string {
	switch a {
	case plan.ActionCreate:
		return t.paint(ansiGreen, "+")
	case plan.ActionUpdate:
		return t.paint(ansiYellow, "~")
	case plan.ActionDelete:
		return t.paint(ansiRed, "-")
	default:
		return " "
	}
}

// rest prints what follows the changes, up to the summary line.
func (t *textWriter) rest(p *plan.Plan) {
	if len(p.Orphans) > 0 {
		t.line(0, t.paint(ansiBold, "Left behind")+" (made by this configuration, attached to nothing, e.g. by an interrupted apply; apply deletes them last):")
		for _, o := range p.Orphans {
			t.line(2, t.sym(plan.ActionDelete)+" "+describeOrphan(o))
		}
		t.line(0, "")
	}
	if len(p.Unmanaged) > 0 {
		t.line(0, t.paint(ansiBold, "Unmanaged objects")+" (in Glow or Gateflow, not in the configuration; left as they are):")
		for _, u := range p.Unmanaged {
			// Not "-": in the Markdown diff block that would read as a deletion.
			t.line(2, "* "+describeUnmanaged(u))
		}
		t.line(0, "")
	}
	for _, d := range collectWarnings(p) {
		t.diagnostic(d)
	}
}

func adoptionWhy(a *plan.Adoption) string {
	var s string
	switch a.Reason {
	case "id":
		s = "made outside this configuration; the block pins its id"
	case "prune_departments":
		s = "made outside this configuration; prune_departments claims all its departments"
	default:
		s = "made outside this configuration; the block sets adopt = true"
	}
	if a.PreviousOwner != "" {
		s += ", taking it over from " + objects.DescribeOwner(a.PreviousOwner)
	}
	return s
}

func actionWord(a plan.Action) string {
	switch a {
	case plan.ActionCreate:
		return "create"
	case plan.ActionUpdate:
		return "update in-place"
	case plan.ActionDelete:
		return "destroy"
	}
	return string(a)
}

func describeUnmanaged(u plan.Unmanaged) string {
	s := Clean(u.Type) + " " + strconv.Quote(u.ID)
	if u.Name != "" {
		s += fmt.Sprintf(" (name %q", u.Name)
		if len(u.Departments) > 0 {
			s += ", departments " + departmentList(u.Departments)
		}
		s += ")"
	}
	if u.Owner != "" {
		s += ", owned by " + objects.DescribeOwner(u.Owner)
	}
	return s
}

func describeOrphan(o plan.Orphan) string {
	switch o.Kind {
	case plan.OrphanEndpoint:
		return fmt.Sprintf("endpoint %q (%s)", o.ID, Clean(o.URL))
	case plan.OrphanDraft:
		s := fmt.Sprintf("draft %q of provider %q", o.ID, o.ProviderID)
		if o.Name != "" {
			s += fmt.Sprintf(" (%q)", o.Name)
		}
		return s
	default:
		return fmt.Sprintf("%s %q (%q)", Clean(o.Kind), o.ID, o.Name)
	}
}

// collectWarnings lists the plan's warnings, then each change's, in address
// order.
func collectWarnings(p *plan.Plan) []plan.Diagnostic {
	ds := slices.Clone(p.Warnings)
	for _, c := range p.Changes {
		ds = append(ds, c.Warnings...)
	}
	return ds
}

// diagnostic prints a warning in Terraform's box.
func (t *textWriter) diagnostic(d plan.Diagnostic) {
	bar := t.paint(ansiYellow, "│")
	t.line(0, t.paint(ansiYellow, "╷"))
	t.line(0, bar+" "+t.paint(ansiYellow+ansiBold, "Warning: ")+t.paint(ansiBold, Clean(d.Summary)))
	if d.Detail != "" {
		t.line(0, bar)
		// The planner breaks its explanations into lines; every line is
		// inside the box, so a live string cannot start a line of its own.
		for _, l := range strings.Split(d.Detail, "\n") {
			t.line(0, strings.TrimRight(bar+" "+Clean(l), " "))
		}
	}
	t.line(0, t.paint(ansiYellow, "╵"))
	t.line(0, "")
}

func (t *textWriter) change(c plan.Change) {
	a := c.Action()
	addr := Clean(c.Address)
	head := "# " + addr
	if c.PreviousAddress != "" {
		head += " (moved from " + Clean(c.PreviousAddress) + ")"
	}
	switch {
	case a == plan.ActionCreate:
		head += " will be created"
	case a == plan.ActionDelete:
		head += " will be " + t.paint(ansiRed, "destroyed")
	case c.Adopt != nil:
		head += " will be adopted and updated in-place"
	case a == plan.ActionUpdate:
		head += " will be updated in-place"
		if len(c.Rotations) > 0 {
			head += " (secret rotation)"
		}
	}
	t.line(2, t.paint(ansiBold, head))
	switch {
	case c.ActionReason == plan.ReasonRemoved:
		t.line(2, "# (because "+addr+" is not in the configuration)")
	case c.ActionReason == plan.ReasonPruned || strings.HasPrefix(c.Address, objects.UndeclaredPrefix):
		t.line(2, "# (because it is not in the configuration and pruning is on)")
	}
	if c.Adopt != nil {
		t.line(2, "# ("+adoptionWhy(c.Adopt)+"; apply writes this configuration's ownership marker)")
	}
	for _, r := range c.DriftReasons {
		t.line(2, "# (drift: "+Clean(r)+")")
	}
	t.line(2, fmt.Sprintf("%s resource %q %q {", t.sym(a), Clean(c.Type), c.Name))
	switch a {
	case plan.ActionCreate:
		v := c.Values()
		t.object(6, plan.ActionCreate, v.After, v.AfterSensitive)
	case plan.ActionDelete:
		v := c.Values()
		t.object(6, plan.ActionDelete, v.Before, v.BeforeSensitive)
	case plan.ActionUpdate:
		t.update(c)
	}
	t.line(4, "}")
}

// object prints every attribute of a created or destroyed object.
func (t *textWriter) object(indent int, a plan.Action, obj, mask map[string]any) {
	// Like Terraform, which hides null attributes, leave out empty ones:
	// they say nothing a reviewer needs.
	var keys []string
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if !isEmpty(obj[k]) {
			keys = append(keys, k)
		}
	}
	width := 0
	for _, k := range keys {
		width = max(width, len(k))
	}
	for _, k := range keys {
		prefix := fmt.Sprintf("%s %-*s = ", t.sym(a), width, k)
		t.value(indent, prefix, a, obj[k], mask[k])
	}
}

// value prints one attribute or entry: scalars on one line, maps and lists
// as blocks whose entries carry the same action.
func (t *textWriter) value(indent int, prefix string, a plan.Action, v any, mask any) {
	suffix := ""
	if a == plan.ActionDelete {
		suffix = " -> null"
	}
	switch v := v.(type) {
	case map[string]any:
		if isRef(v) && mask == true {
			t.line(indent, prefix+sensitive.Redacted+suffix+t.comment(refString(v)))
			return
		}
		if len(v) == 0 {
			t.line(indent, prefix+"{}"+suffix)
			return
		}
		sub, _ := mask.(map[string]any)
		t.line(indent, prefix+"{")
		keys := slices.Sorted(maps.Keys(v))
		width := 0
		for _, k := range keys {
			width = max(width, len(strconv.Quote(k)))
		}
		for _, k := range keys {
			t.value(indent+4, fmt.Sprintf("%s %-*s = ", t.sym(a), width, strconv.Quote(k)), a, v[k], sub[k])
		}
		t.line(indent+2, "}"+suffix)
	case []any:
		if len(v) == 0 {
			t.line(indent, prefix+"[]"+suffix)
			return
		}
		t.line(indent, prefix+"[")
		for _, e := range v {
			t.line(indent+4, t.sym(a)+" "+scalar(e)+",")
		}
		t.line(indent+2, "]"+suffix)
	default:
		if mask == true {
			t.line(indent, prefix+sensitive.Redacted+suffix)
			return
		}
		t.line(indent, prefix+scalar(v)+suffix)
	}
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

func (t *textWriter) comment(s string) string {
	if s == "" {
		return ""
	}
	return " " + t.paint(ansiDim, "# "+s)
}

func (t *textWriter) update(c plan.Change) {
	width := len("id")
	for _, f := range c.Fields {
		width = max(width, len(f.Field))
	}
	if c.ID != "" {
		t.line(6, fmt.Sprintf("  %-*s = %s", width, "id", strconv.Quote(c.ID)))
	}
	for _, f := range c.Fields {
		prefix := fmt.Sprintf("%s %-*s = ", t.sym(plan.ActionUpdate), width, Clean(f.Field))
		switch f.Kind {
		case plan.FieldScalar:
			t.line(6, prefix+scalar(f.Before)+" -> "+scalar(f.After))
		case plan.FieldSet:
			t.line(6, prefix+"[")
			for _, e := range f.Added {
				t.line(10, t.sym(plan.ActionCreate)+" "+scalar(e)+",")
			}
			for _, e := range f.Removed {
				t.line(10, t.sym(plan.ActionDelete)+" "+scalar(e)+",")
			}
			t.hidden(12, f.Unchanged, "element")
			t.line(8, "]")
		case plan.FieldMap:
			t.line(6, prefix+"{")
			t.entries(f)
			t.hidden(12, f.Unchanged, "element")
			t.line(8, "}")
		}
	}
	shown := len(c.Fields)
	after := c.Values().After
	total := len(after)
	if _, ok := after["id"]; ok {
		total--
	}
	t.hidden(8, total-shown, "attribute")
}

func (t *textWriter) entries(f plan.FieldChange) {
	width := 0
	for _, e := range f.Entries {
		width = max(width, len(strconv.Quote(e.Key)))
	}
	for _, e := range f.Entries {
		prefix := fmt.Sprintf("%s %-*s = ", t.sym(e.Action), width, strconv.Quote(e.Key))
		if f.Sensitive {
			var note string
			switch {
			case e.Rotate:
				note = "rotate: " + Clean(e.Note)
			case e.Action == plan.ActionDelete:
				note = refString(asMap(e.Before))
			default:
				note = refString(asMap(e.After))
			}
			val := sensitive.Redacted
			switch e.Action {
			case plan.ActionUpdate:
				val += " -> " + sensitive.Redacted
			case plan.ActionDelete:
				val += " -> null"
			}
			t.line(10, prefix+val+t.comment(note))
			continue
		}
		switch e.Action {
		case plan.ActionCreate:
			t.line(10, prefix+scalar(e.After))
		case plan.ActionUpdate:
			t.line(10, prefix+scalar(e.Before)+" -> "+scalar(e.After))
		case plan.ActionDelete:
			t.line(10, prefix+scalar(e.Before)+" -> null")
		}
	}
}

func (t *textWriter) hidden(indent, n int, what string) {
	if n <= 0 {
		return
	}
	if n != 1 {
		what += "s"
	}
	t.line(indent, t.paint(ansiDim, fmt.Sprintf("# (%d unchanged %s hidden)", n, what)))
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// isRef reports whether m is a secret reference built by the planner.
func isRef(m map[string]any) bool {
	_, v := m["vault"]
	_, e := m["env"]
	_, o := m["origin"]
	return v || e || o
}

// refString names a secret reference: `vault:PATH#KEY@v3`, `env:NAME`, with
// the live Glow key id when there is one.
func refString(m map[string]any) string {
	var s string
	switch {
	case m["vault"] != nil:
		s = fmt.Sprint("vault:", m["vault"])
		if v, ok := m["version"].(float64); ok && v > 0 {
			s += "@v" + strconv.FormatFloat(v, 'f', -1, 64)
		}
	case m["env"] != nil:
		s = fmt.Sprint("env:", m["env"])
	case m["origin"] != nil:
		s = "unknown origin"
	}
	if id, ok := m["key_id"].(string); ok && id != "" {
		s += " (key " + id + ")"
	}
	return Clean(s)
}

func departmentList(ds []string) string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = Clean(d)
	}
	return strings.Join(out, ", ")
}

// scalar writes a JSON value the way HCL would.
func scalar(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(v)
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case map[string]any:
		if isRef(v) {
			return sensitive.Redacted
		}
		parts := make([]string, 0, len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			parts = append(parts, strconv.Quote(k)+" = "+scalar(v[k]))
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = scalar(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	default:
		return fmt.Sprint(v)
	}
}
