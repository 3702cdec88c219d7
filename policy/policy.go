// Package policy evaluates Rego policies, with OPA embedded, against the
// JSON plan (render.JSONPlan): `switchboard plan --policy DIR`.
//
// The convention is conftest's (docs/policy.md): in any package of the
// directory's *.rego files, rules named deny, violation or warn, or starting
// with deny_, violation_ or warn_, give messages; a deny or a violation
// fails the plan, a warning is printed. A message is a string, or an object
// with "msg" and optionally "address", which names the object the message is
// about; a string naming a planned address is about that object. The
// report gives each message the file:line of that object's block.
//
// Policies are code from the repository and the plan is built from live
// data, so both are bounded: the size and number of files, the time of an
// evaluation, the number of messages. Policies get no network and no
// environment (http.send, net.lookup_ip_addr and opa.runtime are not
// available), so that a policy cannot send the plan elsewhere or print a
// credential of the run.
package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/switchboard-hq/switchboard/planner/render"
)

// Limits on what a policy directory and an evaluation may take.
const (
	// MaxFiles bounds the *.rego and *.json files of a directory.
	MaxFiles = 1000
	// MaxFileSize bounds one file; MaxTotalSize all of them.
	MaxFileSize  = 1 << 20
	MaxTotalSize = 16 << 20
	// MaxInputSize bounds the JSON plan given as input.
	MaxInputSize = 256 << 20
	// MaxMessages bounds the messages kept of each level; the rest are
	// counted in one last message.
	MaxMessages = 10000
	// DefaultTimeout bounds one evaluation of every rule.
	DefaultTimeout = 30 * time.Second
)

// unavailable are the built-in functions a policy cannot call: they reach
// the network or the environment of the run.
var unavailable = []string{"http.send", "net.lookup_ip_addr", "opa.runtime"}

// Set is a directory of policies, parsed and compiled.
type Set struct {
	dir      string
	files    int
	compiler *ast.Compiler
	caps     *ast.Capabilities
	store    storage.Store
	rules    []rule
}

// rule is one deny, violation or warn rule of a package.
type rule struct {
	ref  ast.Ref
	name string // data.PACKAGE.RULE
	deny bool
}

// Error is a policy directory that cannot be used: each message names the
// file and line where it can.
type Error struct {
	Dir      string
	Messages []string
}

func (e *Error) Error() string {
	return fmt.Sprintf("policies in %s: %s", e.Dir, strings.Join(e.Messages, "; "))
}

// Load reads every *.rego file under dir (except *_test.rego, which are
// the policies' own tests for `opa test`) and every *.json file, which is
// data at the path of its directory as `opa test DIR` loads it, and
// compiles them. Hidden files and directories are skipped.
func Load(dir string) (*Set, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, &Error{Dir: dir, Messages: []string{err.Error()}}
	}
	defer root.Close()

	l := &loader{dir: dir, fsys: root.FS(), caps: capabilities(), modules: map[string]*ast.Module{}, data: map[string]any{}}
	if err := fs.WalkDir(l.fsys, ".", l.visit); err != nil {
		l.msgs = append(l.msgs, err.Error())
	}
	if len(l.msgs) > 0 {
		return nil, &Error{Dir: dir, Messages: l.msgs}
	}
	if len(l.modules) == 0 {
		return nil, &Error{Dir: dir, Messages: []string{"no *.rego policy files"}}
	}

	compiler := ast.NewCompiler().WithCapabilities(l.caps).WithEnablePrintStatements(false)
	compiler.Compile(l.modules)
	if compiler.Failed() {
		return nil, &Error{Dir: dir, Messages: regoErrors(compiler.Errors)}
	}
	s := &Set{dir: dir, files: len(l.modules), compiler: compiler, caps: l.caps, store: inmem.NewFromObject(l.data),
		rules: conventionRules(l.modules)}
	if len(s.rules) == 0 {
		return nil, &Error{Dir: dir, Messages: []string{"no deny, violation or warn rule in any package"}}
	}
	return s, nil
}

// loader gathers the policy and data files of a directory as Load walks
// it. A file that cannot be used adds a message and the walk goes on, so
// that one run reports every such file; a bound on all files together
// ends the walk.
type loader struct {
	dir     string
	fsys    fs.FS
	caps    *ast.Capabilities
	msgs    []string
	modules map[string]*ast.Module // by the file's name as shown
	data    map[string]any
	total   int64
	count   int
}

// visit is the fs.WalkDirFunc: it skips hidden files and directories and
// files that are neither policy nor data, and reads the rest.
func (l *loader) visit(name string, d fs.DirEntry, err error) error {
	if err != nil {
		l.msgs = append(l.msgs, err.Error())
		return nil
	}
	if name != "." && strings.HasPrefix(d.Name(), ".") {
		if d.IsDir() {
			return fs.SkipDir
		}
		return nil
	}
	isRego := strings.HasSuffix(name, ".rego") && !strings.HasSuffix(name, "_test.rego")
	isData := strings.HasSuffix(name, ".json")
	if d.IsDir() || !(isRego || isData) {
		return nil
	}
	display := filepath.Join(l.dir, filepath.FromSlash(name))
	if l.count++; l.count > MaxFiles {
		return fmt.Errorf("more than %d policy and data files", MaxFiles)
	}
	src, ok, err := l.read(name, display, d)
	if !ok {
		return err
	}
	if isRego {
		l.addModule(display, src)
	} else {
		l.addData(name, display, src)
	}
	return nil
}

// read reads one file within the bounds on its size and on all files'. It
// answers ok false when the file cannot be used (with a message added) or
// the bound on all files is passed (with the error that ends the walk).
func (l *loader) read(name, display string, d fs.DirEntry) (src []byte, ok bool, err error) {
	info, err := d.Info()
	if err != nil {
		l.msgs = append(l.msgs, err.Error())
		return nil, false, nil
	}
	if !info.Mode().IsRegular() {
		l.msgs = append(l.msgs, display+": not a regular file")
		return nil, false, nil
	}
	if info.Size() > MaxFileSize {
		l.msgs = append(l.msgs, fmt.Sprintf("%s: %d bytes, more than the %d a policy or data file may have", display, info.Size(), MaxFileSize))
		return nil, false, nil
	}
	if l.total += info.Size(); l.total > MaxTotalSize {
		return nil, false, fmt.Errorf("more than %d bytes of policy and data files", MaxTotalSize)
	}
	src, err = fs.ReadFile(l.fsys, name)
	if err != nil {
		l.msgs = append(l.msgs, err.Error())
		return nil, false, nil
	}
	// The file may have grown since its size was read.
	if len(src) > MaxFileSize {
		l.msgs = append(l.msgs, fmt.Sprintf("%s: more than %d bytes", display, MaxFileSize))
		return nil, false, nil
	}
	return src, true, nil
}

// addModule parses a policy file.
func (l *loader) addModule(display string, src []byte) {
	m, err := ast.ParseModuleWithOpts(display, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1, Capabilities: l.caps})
	if err != nil {
		l.msgs = append(l.msgs, regoErrors(err)...)
		return
	}
	l.modules[display] = m
}

// addData merges a data file at the path of its directory.
func (l *loader) addData(name, display string, src []byte) {
	var doc any
	if err := util.UnmarshalJSON(src, &doc); err != nil {
		l.msgs = append(l.msgs, fmt.Sprintf("%s: %v", display, err))
		return
	}
	if err := merge(l.data, path.Dir(name), doc); err != nil {
		l.msgs = append(l.msgs, fmt.Sprintf("%s: %v", display, err))
	}
}

// conventionRules are the deny, violation and warn rules of the modules,
// each once, in the order of the modules' file names.
func conventionRules(modules map[string]*ast.Module) []rule {
	var rules []rule
	seen := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(modules)) {
		m := modules[name]
		for _, r := range m.Rules {
			ref := r.Head.Ref()
			if len(ref) != 1 {
				continue
			}
			n := ref[0].Value.String()
			deny, ok := level(n)
			if !ok {
				continue
			}
			full := m.Package.Path.Append(ast.StringTerm(n))
			if seen[full.String()] {
				continue
			}
			seen[full.String()] = true
			rules = append(rules, rule{ref: full, name: full.String(), deny: deny})
		}
	}
	return rules
}

// level says whether a rule name is one of the convention's, and whether
// it denies.
func level(name string) (deny, ok bool) {
	for _, p := range []string{"deny", "violation"} {
		if name == p || strings.HasPrefix(name, p+"_") {
			return true, true
		}
	}
	if name == "warn" || strings.HasPrefix(name, "warn_") {
		return false, true
	}
	return false, false
}

// capabilities are OPA's own, less the built-ins a policy may not call.
func capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	caps.Builtins = slices.DeleteFunc(slices.Clone(caps.Builtins), func(b *ast.Builtin) bool {
		return slices.Contains(unavailable, b.Name)
	})
	caps.AllowNet = []string{}
	return caps
}

// regoErrors gives OPA's errors one line each, "FILE:LINE: message", the
// way OPA prints them.
func regoErrors(err error) []string {
	var errs ast.Errors
	if !errors.As(err, &errs) {
		return []string{err.Error()}
	}
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// merge puts doc at the slash-separated dir of data, as OPA's loader does
// with a data file: an object is merged key by key, and a key two files
// set is an error.
func merge(data map[string]any, dir string, doc any) error {
	node := data
	var parts []string
	if dir != "." {
		parts = strings.Split(dir, "/")
	}
	if len(parts) == 0 {
		obj, ok := doc.(map[string]any)
		if !ok {
			return errors.New("a data file at the top of the directory must hold an object")
		}
		return mergeObject(node, obj, "data")
	}
	for _, p := range parts[:len(parts)-1] {
		next, ok := node[p].(map[string]any)
		if !ok {
			if _, taken := node[p]; taken {
				return fmt.Errorf("data.%s is set twice", p)
			}
			next = map[string]any{}
			node[p] = next
		}
		node = next
	}
	last := parts[len(parts)-1]
	if obj, ok := doc.(map[string]any); ok {
		existing, ok := node[last].(map[string]any)
		if !ok {
			if _, taken := node[last]; taken {
				return fmt.Errorf("data.%s is set twice", strings.Join(parts, "."))
			}
			existing = map[string]any{}
			node[last] = existing
		}
		return mergeObject(existing, obj, "data."+strings.Join(parts, "."))
	}
	if _, taken := node[last]; taken {
		return fmt.Errorf("data.%s is set twice", strings.Join(parts, "."))
	}
	node[last] = doc
	return nil
}

func mergeObject(dst, src map[string]any, at string) error {
	for k, v := range src {
		if prev, ok := dst[k]; ok {
			a, aok := prev.(map[string]any)
			b, bok := v.(map[string]any)
			if !aok || !bok {
				return fmt.Errorf("%s.%s is set twice", at, k)
			}
			if err := mergeObject(a, b, at+"."+k); err != nil {
				return err
			}
			continue
		}
		dst[k] = v
	}
	return nil
}

// Files is the number of policy files the set holds.
func (s *Set) Files() int { return s.files }

// Options tune an evaluation.
type Options struct {
	// Timeout bounds the evaluation; 0 is DefaultTimeout.
	Timeout time.Duration
}

// Evaluate runs every rule of the set against the plan document and
// returns their messages, each with the object it is about and where that
// object is declared.
func (s *Set) Evaluate(ctx context.Context, doc *render.JSONPlan, opts Options) (*render.PolicyReport, error) {
	if doc.Switchboard.Policy != nil {
		// The document must be what policies see, not their last result.
		d := *doc
		d.Switchboard.Policy = nil
		doc = &d
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if buf.Len() > MaxInputSize {
		return nil, fmt.Errorf("the plan is %d bytes of JSON, more than the %d policies are given", buf.Len(), MaxInputSize)
	}
	input, err := ast.ValueFromReader(&buf)
	if err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	declared := make(map[string]string, len(doc.ResourceChanges))
	for _, rc := range doc.ResourceChanges {
		declared[rc.Address] = rc.Switchboard.DeclaredAt
	}
	report := &render.PolicyReport{Dir: s.dir, Files: s.files, Denies: []render.PolicyFinding{}, Warnings: []render.PolicyFinding{}}
	for _, r := range s.rules {
		rs, err := rego.New(
			rego.ParsedQuery(ast.NewBody(ast.NewExpr(ast.NewTerm(r.ref)))),
			rego.Compiler(s.compiler),
			rego.Store(s.store),
			rego.ParsedInput(input),
			rego.Capabilities(s.caps),
		).Eval(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("policies in %s: evaluating %s took longer than %s", s.dir, r.name, timeout)
			}
			return nil, fmt.Errorf("policies in %s: %s: %w", s.dir, r.name, err)
		}
		if len(rs) == 0 || len(rs[0].Expressions) == 0 {
			continue // undefined: the rule gives nothing
		}
		findings, err := messages(r.name, rs[0].Expressions[0].Value)
		if err != nil {
			return nil, fmt.Errorf("policies in %s: %w", s.dir, err)
		}
		for i := range findings {
			f := &findings[i]
			if f.Address == "" {
				f.Address = mentioned(f.Message, declared)
			}
			f.DeclaredAt = declared[f.Address]
		}
		if r.deny {
			report.Denies = append(report.Denies, findings...)
		} else {
			report.Warnings = append(report.Warnings, findings...)
		}
	}
	report.Denies = bounded(report.Denies)
	report.Warnings = bounded(report.Warnings)
	return report, nil
}

// messages reads a rule's value the way conftest does: a set (or array)
// of strings or of objects with "msg", a single string, or a boolean
// (true gives a message naming the rule).
func messages(rule string, v any) ([]render.PolicyFinding, error) {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case bool:
		if x {
			return []render.PolicyFinding{{Rule: rule, Message: rule + " is true"}}, nil
		}
		return nil, nil
	default:
		items = []any{x}
	}
	out := make([]render.PolicyFinding, 0, len(items))
	for _, it := range items {
		switch m := it.(type) {
		case string:
			out = append(out, render.PolicyFinding{Rule: rule, Message: m})
		case map[string]any:
			msg, ok := m["msg"].(string)
			if !ok {
				return nil, fmt.Errorf("%s gave an object without a string \"msg\": a message is a string or {\"msg\": ..., \"address\": ...}", rule)
			}
			f := render.PolicyFinding{Rule: rule, Message: msg}
			if a, ok := m["address"]; ok {
				s, ok := a.(string)
				if !ok {
					return nil, fmt.Errorf("%s gave an \"address\" that is not a string", rule)
				}
				f.Address = s
			}
			out = append(out, f)
		default:
			return nil, fmt.Errorf("%s gave a %T: a message is a string or {\"msg\": ..., \"address\": ...}", rule, it)
		}
	}
	return out, nil
}

// bounded keeps MaxMessages findings and says how many more there were.
func bounded(fs []render.PolicyFinding) []render.PolicyFinding {
	if len(fs) <= MaxMessages {
		return fs
	}
	more := len(fs) - MaxMessages
	fs = fs[:MaxMessages]
	return append(fs, render.PolicyFinding{Rule: fs[0].Rule, Message: fmt.Sprintf("… and %d more messages", more)})
}

// addressStarts are how the addresses of a plan begin.
var addressStarts = []string{"glow_provider.", "gateflow_provider.", "undeclared."}

// mentioned finds the longest planned address a message names, or "".
// Addresses may carry a key in brackets with quotes; a message that quotes
// the address as Rego's sprintf("%v") or a JSON string does is read too.
func mentioned(msg string, planned map[string]string) string {
	best := ""
	for _, start := range addressStarts {
		for i := 0; i < len(msg); {
			j := strings.Index(msg[i:], start)
			if j < 0 {
				break
			}
			at := i + j
			if at > 0 && isWordByte(msg[at-1]) {
				i = at + len(start)
				continue
			}
			for _, cand := range candidates(msg[at:]) {
				if _, ok := planned[cand]; ok && len(cand) > len(best) {
					best = cand
				}
			}
			i = at + len(start)
		}
	}
	return best
}

// candidates are the prefixes of s that may be an address: up to each
// "]" within reach, and the bare TYPE.NAME (or undeclared.TYPE) before it.
func candidates(s string) []string {
	end := 0
	for end < len(s) && (isWordByte(s[end]) || s[end] == '.') {
		end++
	}
	out := []string{s[:end]}
	if end < len(s) && s[end] == '[' {
		// A key is a quoted string; cut at every "]" within 1 KiB, since
		// the key itself may contain one.
		for k := end + 1; k < len(s) && k < end+1024; k++ {
			if s[k] == ']' {
				out = append(out, s[:k+1], strings.ReplaceAll(s[:k+1], `\"`, `"`))
			}
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
