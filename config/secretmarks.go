package config

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// unmarkDeep is val.UnmarkDeepWithPaths without its walk for a value that
// holds no marks: the loader unmarks every argument of every provider
// instance, and the walk built a path and a copy of each value in them.
func unmarkDeep(val cty.Value) (cty.Value, []cty.PathValueMarks) {
	if !val.Type().IsPrimitiveType() {
		if !containsMarked(val) {
			return val, nil
		}
		return val.UnmarkDeepWithPaths()
	}
	raw, marks := val.Unmark()
	if len(marks) == 0 {
		return raw, nil
	}
	return raw, []cty.PathValueMarks{{Path: cty.Path{}, Marks: marks}}
}

// containsMarked is val.ContainsMarked() without cty.Walk (see anyNested).
func containsMarked(val cty.Value) bool {
	return anyNested(val, cty.Value.IsMarked)
}

// whollyKnown is val.IsWhollyKnown() without cty's element iterators (see
// anyNested). The loader asks it of every argument of every provider
// instance and of a for_each's whole value.
func whollyKnown(val cty.Value) bool {
	return !anyNested(val, func(v cty.Value) bool { return !v.IsKnown() })
}

// anyNested reports whether pred holds for val or for any value nested in
// it. cty.Walk builds a path for every value it visits, and cty's element
// iterators sort an object's attribute names each time they enter one,
// allocating the sorted copy: for the 100,000 objects of a for_each that
// was most of the cost of asking whether its value held a secret, and
// asking whether it was wholly known sorted the 100,000 instance keys.
// Objects are walked in their type's attribute order instead, which no
// answer depends on.
func anyNested(val cty.Value, pred func(cty.Value) bool) bool {
	if pred(val) {
		return true
	}
	if val.IsMarked() {
		val, _ = val.Unmark()
	}
	if !val.IsKnown() || val.IsNull() {
		return false
	}
	ty := val.Type()
	switch {
	case ty.IsObjectType():
		for name := range ty.AttributeTypes() {
			if anyNested(val.GetAttr(name), pred) {
				return true
			}
		}
	case ty.IsCollectionType() || ty.IsTupleType():
		for it := val.ElementIterator(); it.Next(); {
			if _, e := it.Element(); anyNested(e, pred) {
				return true
			}
		}
	}
	return false
}

func isSensitive(pvm []cty.PathValueMarks) bool {
	for _, p := range pvm {
		if _, ok := p.Marks[Sensitive]; ok {
			return true
		}
	}
	return false
}

// credentialNote explains, when nonsensitive() kept a credential
// sensitive, why wrapping the value in it did not help.
func credentialNote(pvm []cty.PathValueMarks) string {
	for _, p := range pvm {
		if _, ok := p.Marks[credentialMark{}]; ok {
			return " Here the value is, or holds, a credential this run uses (GLOW_TOKEN, GATEFLOW_ADMIN_KEY, VAULT_TOKEN or another token or admin key it was given): nonsensitive() cannot make a credential of this run printable."
		}
	}
	return ""
}

// secretKind says which sources a secret argument accepts.
type secretKind int

const (
	// keySecret is a Glow key value or a Gateflow credential: vault(), or
	// env() for local work. A variable is refused because its value would
	// sit in a var file or a shell history.
	keySecret secretKind = iota
	// authSecret is the glow token or the gateflow admin_key: also a
	// variable declared sensitive, since these are per-operator and are
	// commonly passed with SWITCHBOARD_VAR_ or --var in CI.
	authSecret
)

// secret turns an evaluated secret argument into a Secret, enforcing where
// it may come from.
func (l *loader) secret(val cty.Value, rng hcl.Range, what string, kind secretKind) (Secret, bool) {
	raw, pvm := unmarkDeep(val)
	var refs []secretref.VaultRef
	var envs, sensVars, plainVars []string
	seen := map[any]bool{}
	for _, p := range pvm {
		for m := range p.Marks {
			if seen[m] {
				continue
			}
			seen[m] = true
			switch m := m.(type) {
			case secretref.VaultRef:
				refs = append(refs, m)
			case envMark:
				envs = append(envs, m.Name)
			case varMark:
				if m.Sensitive {
					sensVars = append(sensVars, "var."+m.Name)
				} else {
					plainVars = append(plainVars, "var."+m.Name)
				}
			}
		}
	}
	if !whollyKnown(raw) {
		return Secret{}, false
	}
	fail := func(summary, detail string) (Secret, bool) {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()})
		return Secret{}, false
	}
	if raw.IsNull() {
		return fail("Missing secret", fmt.Sprintf("The %s is null. Set it to vault(\"secret/path\", \"field\"), or env(\"NAME\") for local work.", what))
	}
	switch {
	case len(refs) > 0:
		sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
		if len(refs) > 1 {
			names := make([]string, len(refs))
			for i, r := range refs {
				names[i] = r.String()
			}
			return fail("Invalid use of vault()", fmt.Sprintf("The %s combines %d vault() references: %s. A secret must be exactly one vault() call.", what, len(refs), strings.Join(names, ", ")))
		}
		ref := refs[0]
		if raw.Type() != cty.String || raw.AsString() != vaultPlaceholder(ref) {
			return fail("Invalid use of vault()", fmt.Sprintf("The %s is derived from %s (through a string template or a function). vault() stands for a secret that is read from Vault only when the configuration is applied, so nothing can be computed from it: set the argument to the vault() call itself.", what, ref))
		}
		ref.Range = l.vaultCallRange(ref, rng)
		if kind == keySecret {
			l.sharedState().prefetch.add(ref)
		}
		return Secret{Ref: &ref, Source: "vault", Range: rng}, true
	case len(envs) > 0:
		s, err := convert.Convert(raw, cty.String)
		if err != nil {
			return fail("Incorrect attribute value type", fmt.Sprintf("The %s must be a string.", what))
		}
		sort.Strings(envs)
		if s.AsString() == "" {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Empty secret from the environment",
				Detail:   fmt.Sprintf("The %s comes from env(%s), which is empty or not set.", what, strings.Join(quoteAll(envs), ", ")),
				Subject:  rng.Ptr(),
			})
		}
		return Secret{Literal: sensitive.New(s.AsString()), Source: "env:" + strings.Join(envs, ","), Range: rng}, true
	case len(sensVars) > 0 && kind == authSecret:
		s, err := convert.Convert(raw, cty.String)
		if err != nil {
			return fail("Incorrect attribute value type", fmt.Sprintf("The %s must be a string.", what))
		}
		sort.Strings(sensVars)
		return Secret{Literal: sensitive.New(s.AsString()), Source: strings.Join(sensVars, ","), Range: rng}, true
	case len(sensVars) > 0 || len(plainVars) > 0:
		if kind == authSecret {
			return fail("Secret from a non-sensitive variable", fmt.Sprintf("The %s comes from %s, which is not declared sensitive = true. Declare it sensitive, or use vault(\"secret/path\", \"field\") or env(\"NAME\").", what, strings.Join(plainVars, ", ")))
		}
		return fail("Secret from a variable", fmt.Sprintf("The %s comes from %s. Keys and credentials must not come from variables, whose values sit in var files and shell histories: use vault(\"secret/path\", \"field\") to read it from Vault when the configuration is applied, or env(\"NAME\") for local work.", what, strings.Join(append(sensVars, plainVars...), ", ")))
	}
	s, ok := fail("Secret written in the configuration", fmt.Sprintf("The %s must not be written in a configuration file. Use vault(\"secret/path\", \"field\") to read it from Vault when the configuration is applied, or env(\"NAME\") for local work.", what))
	// The source line is the secret itself: the diagnostic must not
	// repeat it.
	hideSnippet(l.diags[len(l.diags)-1])
	return s, ok
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

// indexVaultCalls finds every vault() call written with literal arguments.
// A reference that reaches a key through a local is then still reported at
// the place its vault() call is written.
func (l *loader) indexVaultCalls(files []*hcl.File) {
	for _, f := range files {
		if body, ok := f.Body.(*hclsyntax.Body); ok {
			l.indexVaultCallsIn(body)
		}
	}
}

// indexVaultCallsIn is indexVaultCalls for one body.
func (l *loader) indexVaultCallsIn(body *hclsyntax.Body) {
	if l.vaultCalls == nil {
		l.vaultCalls = map[secretref.VaultRef][]hcl.Range{}
	}
	callsInBody(body, func(call *hclsyntax.FunctionCallExpr) {
		if ref, ok := literalVaultRef(call); ok {
			l.vaultCalls[ref] = append(l.vaultCalls[ref], call.Range())
		}
	})
}

// callsInBody calls found for every function call in body. It walks the
// kinds of expression that provider blocks are written with itself, and
// leaves any other kind to hclsyntax.VisitAll, whose walk of every body
// was 0.9 s of a 100,000-provider plan's CPU.
func callsInBody(body *hclsyntax.Body, found func(*hclsyntax.FunctionCallExpr)) {
	for _, a := range body.Attributes {
		callsIn(a.Expr, found)
	}
	for _, b := range body.Blocks {
		callsInBody(b.Body, found)
	}
}

func callsIn(e hclsyntax.Expression, found func(*hclsyntax.FunctionCallExpr)) {
	switch e := e.(type) {
	case *hclsyntax.LiteralValueExpr, *hclsyntax.ScopeTraversalExpr:
	case *hclsyntax.TemplateExpr:
		for _, p := range e.Parts {
			callsIn(p, found)
		}
	case *hclsyntax.TemplateWrapExpr:
		callsIn(e.Wrapped, found)
	case *hclsyntax.FunctionCallExpr:
		found(e)
		for _, a := range e.Args {
			callsIn(a, found)
		}
	case *hclsyntax.TupleConsExpr:
		for _, x := range e.Exprs {
			callsIn(x, found)
		}
	case *hclsyntax.ObjectConsExpr:
		for _, it := range e.Items {
			callsIn(it.KeyExpr, found)
			callsIn(it.ValueExpr, found)
		}
	case *hclsyntax.ObjectConsKeyExpr:
		callsIn(e.Wrapped, found)
	default:
		_ = hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
			if call, ok := n.(*hclsyntax.FunctionCallExpr); ok {
				found(call)
			}
			return nil
		})
	}
}

// literalVaultRef is the reference of a vault() call whose arguments are
// all literals; false for any other call.
func literalVaultRef(call *hclsyntax.FunctionCallExpr) (secretref.VaultRef, bool) {
	if call.Name != "vault" || len(call.Args) < 2 || len(call.Args) > 3 {
		return secretref.VaultRef{}, false
	}
	var ref secretref.VaultRef
	for i, a := range call.Args {
		v, ok := literalValue(a)
		if !ok {
			return secretref.VaultRef{}, false
		}
		switch i {
		case 0, 1:
			if v.Type() != cty.String {
				return secretref.VaultRef{}, false
			}
			if i == 0 {
				ref.Path = v.AsString()
			} else {
				ref.Key = v.AsString()
			}
		case 2:
			if v.Type() != cty.Number {
				return secretref.VaultRef{}, false
			}
			n, acc := v.AsBigFloat().Int64()
			if acc != 0 || n < 1 || n > 1<<31 {
				return secretref.VaultRef{}, false
			}
			ref.Version = int(n)
		}
	}
	return ref, true
}

// literalValue is the value of an argument written as a literal: see
// literal, and anything else that evaluates without an evaluation context.
func literalValue(e hclsyntax.Expression) (cty.Value, bool) {
	if v, ok := literal(e); ok {
		return v, true
	}
	v, diags := e.Value(nil)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() {
		return cty.NilVal, false
	}
	return v, true
}

// vaultCallRange is where ref's vault() call is written: inside within when
// it is there, else the first call site in file order, else within itself.
// The sites are in no order: a body's arguments are a map.
func (l *loader) vaultCallRange(ref secretref.VaultRef, within hcl.Range) hcl.Range {
	sites := l.vaultCalls[ref]
	for _, r := range sites {
		if r.Filename == within.Filename && r.Start.Byte >= within.Start.Byte && r.End.Byte <= within.End.Byte {
			return r
		}
	}
	if len(sites) > 0 {
		return slices.MinFunc(sites, func(a, b hcl.Range) int {
			return cmp.Or(strings.Compare(a.Filename, b.Filename), cmp.Compare(a.Start.Byte, b.Start.Byte))
		})
	}
	return within
}

func (l *loader) rememberSecret(s string) {
	if s != "" {
		l.secrets[s] = struct{}{}
	}
}

// minCredentialLen is the shortest value of GLOW_TOKEN, GATEFLOW_ADMIN_KEY
// or VAULT_TOKEN taken as a credential: a shorter one (a placeholder like
// "x" in a test environment) would make ordinary strings unprintable.
const minCredentialLen = 8

// collectCredentials gathers the credentials of the run before anything is
// evaluated, since nonsensitive() needs them.
func (l *loader) collectCredentials() {
	seen := map[string]bool{}
	add := func(s string) {
		if s == "" || seen[s] {
			return
		}
		seen[s] = true
		l.creds = append(l.creds, s)
		l.rememberSecret(s)
	}
	for _, c := range l.opts.Credentials {
		add(c.Reveal())
	}
	for _, name := range []string{"GLOW_TOKEN", "GATEFLOW_ADMIN_KEY", "VAULT_TOKEN"} {
		if v, ok := l.opts.Env(name); ok && len(v) >= minCredentialLen {
			add(v)
		}
	}
}
