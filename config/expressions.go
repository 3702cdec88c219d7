package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// evalLocals evaluates the locals in dependency order. A local that cannot
// be evaluated (an error, a cycle) is unknown, which keeps everything that
// uses it from reporting the same problem again.
func (l *loader) evalLocals(order []string) {
	l.localVals = map[string]cty.Value{}
	deps := map[string][]string{}
	// Each local's variables are walked for once, for its dependencies and
	// its evaluation both: a for_each of 100,000 items is one local whose
	// syntax tree a walk takes 0.3 s to cover.
	vars := make(map[string][]hcl.Traversal, len(order))
	for _, name := range order {
		vars[name] = l.locals[name].Expr.Variables()
		for _, t := range vars[name] {
			if t.RootName() != "local" || len(t) < 2 {
				continue
			}
			if a, ok := t[1].(hcl.TraverseAttr); ok && l.locals[a.Name] != nil {
				deps[name] = append(deps[name], a.Name)
			}
		}
	}
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(name string)
	visit = func(name string) {
		switch state[name] {
		case done:
			return
		case visiting:
			// The cycle is the stack from name's first appearance.
			i := len(stack) - 1
			for stack[i] != name {
				i--
			}
			cycle := append(append([]string(nil), stack[i:]...), name)
			refs := make([]string, len(cycle))
			for j, n := range cycle {
				refs[j] = "local." + n
			}
			first := l.locals[name]
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Circular reference between local values",
				Detail:   fmt.Sprintf("The local values refer to each other in a cycle: %s. A local value cannot depend on itself.", strings.Join(refs, " → ")),
				Subject:  first.NameRange.Ptr(),
			})
			for _, n := range cycle {
				l.localVals[n] = cty.DynamicVal
			}
			return
		}
		state[name] = visiting
		stack = append(stack, name)
		for _, d := range deps[name] {
			visit(d)
		}
		stack = stack[:len(stack)-1]
		state[name] = done
		if _, inCycle := l.localVals[name]; inCycle {
			return
		}
		l.ctx.Variables["local"] = objectOf(l.localVals)
		l.localVals[name] = l.evalLocal(l.locals[name].Expr, vars[name])
	}
	for _, name := range order {
		visit(name)
	}
	l.ctx.Variables["local"] = objectOf(l.localVals)
}

// evalLocal is eval of a local's expression, whose variables evalLocals
// has found already; after an error it is evaluateWith's cty.DynamicVal.
func (l *loader) evalLocal(expr hcl.Expression, vars []hcl.Traversal) cty.Value {
	if v, ok := literalOf(expr); ok {
		return v
	}
	val, _ := l.evaluateWith(expr, vars, l.ctx, false)
	l.noteUses(vars, val, "")
	return val
}

// eval checks an expression's references, then evaluates it. ok is false
// when there was an error (reported). Every variable it uses is recorded
// as used (see Variable.CredentialOnly).
func (l *loader) eval(expr hcl.Expression, ctx *hcl.EvalContext, allowEach bool) (cty.Value, bool) {
	if v, ok := literalOf(expr); ok {
		return v, true
	}
	// One walk of the syntax tree serves the check and the uses: an
	// attribute of each of 10,000 providers is evaluated this way.
	vars := l.variablesOf(expr)
	val, ok := l.evaluateWith(expr, vars, ctx, allowEach)
	l.noteUses(vars, val, "")
	return val, ok
}

// evalUnmarked is eval for a caller that needs the value without its
// marks: it returns unmarkDeep's raw value and marks, from the one walk of
// the value that also records the uses.
func (l *loader) evalUnmarked(expr hcl.Expression, ctx *hcl.EvalContext, allowEach bool) (cty.Value, []cty.PathValueMarks, bool) {
	if v, ok := literalOf(expr); ok {
		return v, nil, true
	}
	vars := l.variablesOf(expr)
	val, ok := l.evaluateWith(expr, vars, ctx, allowEach)
	raw, pvm := unmarkDeep(val)
	l.noteUsesMarked(vars, pvm, "")
	return raw, pvm, ok
}

// variablesOf is expr.Variables(), from exprVars when it is kept. Only
// native syntax is kept: its expressions are pointers, where another
// expression (hcl.StaticExpr's) may be a value a map cannot hash.
func (l *loader) variablesOf(expr hcl.Expression) []hcl.Traversal {
	e, native := expr.(hclsyntax.Expression)
	if l.exprVars == nil || !native {
		return expr.Variables()
	}
	vars, ok := l.exprVars[e]
	if !ok {
		vars = e.Variables()
		l.exprVars[e] = vars
	}
	return vars
}

// evaluate is eval without recording uses: for the glow token and the
// gateflow admin_key, which are not uses, and for validations, which
// record theirs without their own variable.
func (l *loader) evaluate(expr hcl.Expression, ctx *hcl.EvalContext, allowEach bool) (cty.Value, bool) {
	return l.evaluateWith(expr, expr.Variables(), ctx, allowEach)
}

// evaluateWith is evaluate with the expression's variables (its
// Variables()) given.
func (l *loader) evaluateWith(expr hcl.Expression, vars []hcl.Traversal, ctx *hcl.EvalContext, allowEach bool) (cty.Value, bool) {
	if diags := l.checkRefs(vars, allowEach); diags.HasErrors() {
		l.diags = append(l.diags, diags...)
		return cty.DynamicVal, false
	}
	val, diags := expr.Value(ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return cty.DynamicVal, false
	}
	return val, true
}

// noteUses records the variables an evaluation depended on, except self:
// those the expression names and those whose mark its result carries.
// Both are needed: a function that takes marked arguments (env(var.name),
// can()) drops their marks, and a local carries its variables' marks to
// the expressions that use it without naming them.
func (l *loader) noteUses(vars []hcl.Traversal, val cty.Value, self string) {
	_, pvm := unmarkDeep(val)
	l.noteUsesMarked(vars, pvm, self)
}

// noteUsesMarked is noteUses given the result's marks (from unmarkDeep),
// for a caller that needs them itself.
func (l *loader) noteUsesMarked(vars []hcl.Traversal, pvm []cty.PathValueMarks, self string) {
	for _, t := range vars {
		if t.RootName() != "var" || len(t) < 2 {
			continue
		}
		if a, ok := t[1].(hcl.TraverseAttr); ok && a.Name != self {
			l.uses[a.Name] = true
		}
	}
	for _, p := range pvm {
		for m := range p.Marks {
			if vm, ok := m.(varMark); ok && vm.Name != self {
				l.uses[vm.Name] = true
			}
		}
	}
}

// checkRefs reports references to things the configuration does not
// declare, in Terraform's words, before HCL reports them less helpfully as
// missing object attributes.
func (l *loader) checkRefs(vars []hcl.Traversal, allowEach bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, t := range vars {
		root := t.RootName()
		var attr string
		if len(t) > 1 {
			if a, ok := t[1].(hcl.TraverseAttr); ok {
				attr = a.Name
			}
		}
		switch root {
		case "var", "local", "each", "path", "module":
			if attr == "" {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid reference",
					Detail:   fmt.Sprintf("The %q object must be followed by an attribute name, like %s.NAME.", root, root),
					Subject:  traversalRange(t),
				})
				continue
			}
		}
		switch root {
		case "var":
			if l.vars[attr] == nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Reference to undeclared input variable",
					Detail:   fmt.Sprintf("An input variable with the name %q has not been declared. This variable can be declared with a variable %q {} block.", attr, attr),
					Subject:  traversalRange(t),
				})
			}
		case "local":
			if l.locals[attr] == nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Reference to undeclared local value",
					Detail:   fmt.Sprintf("A local value with the name %q has not been declared.", attr),
					Subject:  traversalRange(t),
				})
			}
		case "each":
			switch {
			case !allowEach:
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  `Reference to "each" in context without for_each`,
					Detail:   "The \"each\" object can be used only in a glow_provider or gateflow_provider block that sets for_each.",
					Subject:  traversalRange(t),
				})
			case attr != "key" && attr != "value":
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid \"each\" attribute",
					Detail:   fmt.Sprintf("The \"each\" object has no attribute %q: it has each.key and each.value.", attr),
					Subject:  traversalRange(t),
				})
			}
		case "module":
			diags = append(diags, l.moduleRefDiags(attr, traversalRange(t))...)
		case "path":
			if attr != "module" && attr != "root" && attr != "cwd" {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid \"path\" attribute",
					Detail:   fmt.Sprintf("The \"path\" object has no attribute %q: it has path.module, path.root and path.cwd.", attr),
					Subject:  traversalRange(t),
				})
			}
		default:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unsupported reference",
				Detail:   fmt.Sprintf("%q is not something a Switchboard configuration can refer to: expressions may use var.NAME, local.NAME, each.key, each.value and path.module.", root),
				Subject:  traversalRange(t),
			})
		}
	}
	return diags
}

// traversalRange is t's range for a diagnostic's subject, made only when
// there is a diagnostic: checkRefs sees every reference of every instance.
func traversalRange(t hcl.Traversal) *hcl.Range {
	r := t.SourceRange()
	return &r
}

func (l *loader) pathObject() cty.Value {
	cwd, _ := os.Getwd()
	return cty.ObjectVal(map[string]cty.Value{
		"module": cty.StringVal(l.modulePathValue()),
		"root":   cty.StringVal(l.dir),
		"cwd":    cty.StringVal(filepath.ToSlash(cwd)),
	})
}

func objectOf(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}
