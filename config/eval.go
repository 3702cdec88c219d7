package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "glow"},
		{Type: "gateflow"},
		{Type: "vault"},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: GlowProviderType, LabelNames: []string{"name"}},
		{Type: GateflowProviderType, LabelNames: []string{"name"}},
	},
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"},
		{Name: "default"},
		{Name: "description"},
		{Name: "sensitive"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true},
		{Name: "error_message", Required: true},
	},
}

// variable is a variable block.
type variable struct {
	name        string
	declRange   hcl.Range
	typ         cty.Type
	defaults    *typeexpr.Defaults
	def         cty.Value // cty.NilVal when there is no default
	defRange    hcl.Range
	sensitive   bool
	validations []*hcl.Block
	// valueRange is where the value was given, when that was a file.
	valueRange *hcl.Range
	// source is Variable.Source for the value given, if any.
	source string
	// setBy names, in precedence order, every place that gave a value
	// (SWITCHBOARD_VAR_x, a var file, --var), for the note saying which
	// one won.
	setBy []string
	// invalid is set when the declaration has an error already reported:
	// its value is unknown, and no further error is reported about it.
	invalid bool
}

// decode reads the blocks of the merged body in file order and fills cfg.
func (l *loader) decode(cfg *Config, body hcl.Body) {
	content, diags := body.Content(rootSchema)
	l.hintVarFiles(diags)
	l.diags = append(l.diags, diags...)

	l.vars = map[string]*variable{}
	l.locals = map[string]*hcl.Attribute{}
	var localOrder []string
	single := map[string]*hcl.Block{}
	var glowBlocks, gateflowBlocks []*hcl.Block
	seenProvider := map[string]*hcl.Block{}
	for _, b := range content.Blocks {
		switch b.Type {
		case "glow", "gateflow", "vault":
			if prev := single[b.Type]; prev != nil {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  fmt.Sprintf("Duplicate %s block", b.Type),
					Detail:   fmt.Sprintf("A %s block was already declared at %s. The configuration takes one.", b.Type, rangeString(prev.DefRange)),
					Subject:  b.DefRange.Ptr(),
				})
				continue
			}
			single[b.Type] = b
		case "variable":
			l.declareVariable(b)
		case "locals":
			attrs, diags := b.Body.JustAttributes()
			l.diags = append(l.diags, diags...)
			for _, a := range sortedAttrs(attrs) {
				if prev := l.locals[a.Name]; prev != nil {
					l.diags = append(l.diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Duplicate local value definition",
						Detail:   fmt.Sprintf("A local value named %q was already defined at %s. Local value names must be unique.", a.Name, rangeString(prev.NameRange)),
						Subject:  a.NameRange.Ptr(),
					})
					continue
				}
				l.locals[a.Name] = a
				localOrder = append(localOrder, a.Name)
			}
		case GlowProviderType, GateflowProviderType:
			if !hclsyntax.ValidIdentifier(b.Labels[0]) {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid provider name",
					Detail:   "A name must start with a letter or underscore and may contain only letters, digits, underscores and dashes.",
					Subject:  b.LabelRanges[0].Ptr(),
				})
				continue
			}
			key := b.Type + "." + b.Labels[0]
			if prev := seenProvider[key]; prev != nil {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  fmt.Sprintf("Duplicate %s block", b.Type),
					Detail:   fmt.Sprintf("A %s named %q was already declared at %s. Each provider block needs a unique name, since its address (%s) identifies it in plans and in the ownership marker.", b.Type, b.Labels[0], rangeString(prev.DefRange), key),
					Subject:  b.DefRange.Ptr(),
				})
				continue
			}
			seenProvider[key] = b
			if b.Type == GlowProviderType {
				glowBlocks = append(glowBlocks, b)
			} else {
				gateflowBlocks = append(gateflowBlocks, b)
			}
		}
	}

	l.evalVariables()
	l.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":  objectOf(l.varValues),
			"path": l.pathObject(),
		},
		Functions: l.functions(),
	}
	l.evalVariableValidations()
	l.evalLocals(localOrder)

	l.decodeProviders(cfg, glowBlocks, gateflowBlocks)
	l.decodeSettings(cfg, single, len(glowBlocks) > 0, len(gateflowBlocks) > 0)
	cfg.Variables = l.variables()
}

func (l *loader) pathObject() cty.Value {
	cwd, _ := os.Getwd()
	return cty.ObjectVal(map[string]cty.Value{
		"module": cty.StringVal(l.dir),
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

func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	// Source order, as written: JustAttributes returns a map.
	sortByRange(out, func(a *hcl.Attribute) hcl.Range { return a.Range })
	return out
}

func sortByRange[T any](s []T, rng func(T) hcl.Range) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && rangeLess(rng(s[j]), rng(s[j-1])); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func rangeLess(a, b hcl.Range) bool {
	if a.Filename != b.Filename {
		return a.Filename < b.Filename
	}
	return a.Start.Byte < b.Start.Byte
}

// rangeString is a position for a message: main.hcl:3,5.
func rangeString(r hcl.Range) string {
	return fmt.Sprintf("%s:%d,%d", r.Filename, r.Start.Line, r.Start.Column)
}

func (l *loader) declareVariable(b *hcl.Block) {
	name := b.Labels[0]
	if !hclsyntax.ValidIdentifier(name) {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid variable name",
			Detail:   "A name must start with a letter or underscore and may contain only letters, digits, underscores and dashes.",
			Subject:  b.LabelRanges[0].Ptr(),
		})
		return
	}
	if prev := l.vars[name]; prev != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate variable declaration",
			Detail:   fmt.Sprintf("A variable named %q was already declared at %s. Variable names must be unique.", name, rangeString(prev.declRange)),
			Subject:  b.DefRange.Ptr(),
		})
		return
	}
	v := &variable{name: name, declRange: b.DefRange, typ: cty.DynamicPseudoType, def: cty.NilVal}
	l.vars[name] = v
	l.varOrder = append(l.varOrder, name)
	content, diags := b.Body.Content(variableSchema)
	l.diags = append(l.diags, diags...)
	if a := content.Attributes["type"]; a != nil {
		ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(a.Expr)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			v.typ, v.defaults = ty, defaults
		} else {
			v.invalid = true
		}
	}
	if a := content.Attributes["sensitive"]; a != nil {
		val, diags := a.Expr.Value(nil)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			if b, err := convert.Convert(val, cty.Bool); err != nil || b.IsNull() {
				l.diags = append(l.diags, typeError(a, "bool required"))
			} else {
				v.sensitive = b.True()
			}
		}
	}
	if a := content.Attributes["description"]; a != nil {
		val, diags := a.Expr.Value(nil)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			if _, err := convert.Convert(val, cty.String); err != nil {
				l.diags = append(l.diags, typeError(a, "string required"))
			}
		}
	}
	if a := content.Attributes["default"]; a != nil {
		val, diags := a.Expr.Value(nil)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			conv, err := l.convertVar(v, val)
			if err != nil {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid default value for variable",
					Detail:   fmt.Sprintf("This default value is not compatible with the variable's type constraint: %s.", err),
					Subject:  a.Expr.Range().Ptr(),
				})
			} else {
				v.def, v.defRange = conv, a.Expr.Range()
			}
		}
		if diags.HasErrors() || v.def == cty.NilVal {
			v.invalid = true
		}
	}
	for _, vb := range content.Blocks {
		_, diags := vb.Body.Content(validationSchema)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			v.validations = append(v.validations, vb)
		}
	}
}

func (l *loader) convertVar(v *variable, val cty.Value) (cty.Value, error) {
	if v.defaults != nil {
		val = v.defaults.Apply(val)
	}
	return convert.Convert(val, v.typ)
}

func typeError(a *hcl.Attribute, want string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Incorrect attribute value type",
		Detail:   fmt.Sprintf("Inappropriate value for attribute %q: %s.", a.Name, want),
		Subject:  a.Expr.Range().Ptr(),
	}
}

// rawVarValue turns a value given as text (--var, SWITCHBOARD_VAR_) into a
// value of the variable's type the way Terraform does: as is for strings,
// numbers and bools (so that --var region=us needs no quotes), as an HCL
// expression for anything else.
func (l *loader) rawVarValue(v *variable, raw, source string) (cty.Value, hcl.Diagnostics) {
	if v.typ.IsPrimitiveType() || v.typ == cty.DynamicPseudoType {
		return cty.StringVal(raw), nil
	}
	if d := checkNesting([]byte(raw), source, false); d != nil {
		return cty.NilVal, hcl.Diagnostics{d}
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), source, hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	return expr.Value(nil)
}

// evalVariables sets every variable's value from its sources, by Terraform's
// precedence: default, then the value a saved plan recorded, then
// SWITCHBOARD_VAR_<name>, then each --var-file in order, then --var.
func (l *loader) evalVariables() {
	given := map[string]cty.Value{}
	sensitiveDiag := func(v *variable, diags hcl.Diagnostics) hcl.Diagnostics {
		if v.sensitive {
			for _, d := range diags {
				hideSnippet(d)
			}
		}
		return diags
	}
	for _, name := range sortedKeys(l.opts.PlannedVars) {
		raw := l.opts.PlannedVars[name]
		v := l.vars[name]
		if v == nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("The saved plan holds a value for a variable named %q, but the configuration declares no such variable. The plan was not made from this configuration.", name),
			})
			continue
		}
		if v.sensitive {
			l.rememberSecret(raw)
		}
		val, err := decodeVariableValue(raw)
		if err != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid planned value for variable",
				Detail:   fmt.Sprintf("The saved plan's value for var.%s cannot be read: %s.", name, err),
			})
			// Reported: not also as a missing value.
			v.invalid = true
			continue
		}
		if v.sensitive {
			l.rememberValue(val)
		}
		given[name] = val
		v.source, v.valueRange = "planned", nil
	}
	for _, name := range l.varOrder {
		v := l.vars[name]
		raw, ok := l.opts.Env("SWITCHBOARD_VAR_" + name)
		if !ok {
			continue
		}
		if v.sensitive {
			l.rememberSecret(raw)
		}
		val, diags := l.rawVarValue(v, raw, "<value for var."+name+" from SWITCHBOARD_VAR_"+name+">")
		l.diags = append(l.diags, sensitiveDiag(v, diags)...)
		if !diags.HasErrors() {
			given[name] = val
			v.source, v.valueRange = "env", nil
			v.setBy = append(v.setBy, "SWITCHBOARD_VAR_"+name)
		}
	}
	for _, name := range l.autoVarFiles() {
		l.readAutoVarFile(name, given, sensitiveDiag)
	}
	for _, path := range l.opts.VarFiles {
		l.readVarFile(path, given, sensitiveDiag)
	}
	for _, name := range sortedKeys(l.opts.Vars) {
		raw := l.opts.Vars[name]
		v := l.vars[name]
		if v == nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("A variable named %q was assigned with --var, but the configuration declares no such variable. Declare it with a variable %q {} block.", name, name),
			})
			continue
		}
		if v.sensitive {
			l.rememberSecret(raw)
		}
		val, diags := l.rawVarValue(v, raw, "<value for var."+name+">")
		l.diags = append(l.diags, sensitiveDiag(v, diags)...)
		if !diags.HasErrors() {
			given[name] = val
			v.source, v.valueRange = "var", nil
			v.setBy = append(v.setBy, "--var")
		}
	}
	l.noteOverrides()

	l.varValues = map[string]cty.Value{}
	var missing []*variable
	for _, name := range l.varOrder {
		v := l.vars[name]
		val, ok := given[name]
		if ok && !val.IsNull() {
			conv, err := l.convertVar(v, val)
			if err != nil {
				d := &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid value for input variable",
					Detail:   fmt.Sprintf("The given value is not suitable for var.%s declared at %s: %s.", name, rangeString(v.declRange), err),
					Subject:  v.valueRange,
				}
				if v.sensitive {
					hideSnippet(d)
				}
				l.diags = append(l.diags, d)
				val = cty.DynamicVal
			} else {
				val = conv
			}
		} else if v.invalid {
			val = cty.DynamicVal
		} else if v.def != cty.NilVal {
			val = v.def
			v.source, v.valueRange = "default", v.defRange.Ptr()
		} else {
			missing = append(missing, v)
			val = cty.DynamicVal
		}
		if v.sensitive {
			l.rememberValue(val)
			val = val.Mark(Sensitive)
		}
		l.varValues[name] = val.Mark(varMark{Name: name, Sensitive: v.sensitive})
	}
	if len(missing) > 0 {
		names := make([]string, len(missing))
		envs := make([]string, len(missing))
		for i, v := range missing {
			names[i] = v.name
			envs[i] = "SWITCHBOARD_VAR_" + v.name
		}
		what := "variable " + quoteList(names) + " is not set and has no default"
		if len(missing) > 1 {
			what = "variables " + quoteList(names) + " are not set and have no default"
		}
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No value for required variables",
			Detail: fmt.Sprintf("The input %s. Set %s with --var NAME=VALUE, a --var-file, or the environment (%s).",
				what, map[bool]string{true: "them", false: "it"}[len(missing) > 1], strings.Join(envs, ", ")),
			Subject: missing[0].declRange.Ptr(),
		})
	}
}

// rememberValue records every string in a sensitive variable's value.
func (l *loader) rememberValue(v cty.Value) {
	v, _ = v.UnmarkDeep()
	_ = cty.Walk(v, func(_ cty.Path, e cty.Value) (bool, error) {
		e, _ = e.Unmark()
		if e.IsKnown() && !e.IsNull() {
			switch e.Type() {
			case cty.String:
				l.rememberSecret(e.AsString())
			case cty.Number:
				l.rememberSecret(e.AsBigFloat().Text('f', -1))
			}
		}
		return true, nil
	})
}

func (l *loader) readVarFile(path string, given map[string]cty.Value, sensitiveDiag func(*variable, hcl.Diagnostics) hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read a variables file",
			Detail:   fmt.Sprintf("%s: %s.", path, describeFileError(err)),
		})
		return
	}
	l.applyVarFile(path, "--var-file "+path, src, given, sensitiveDiag)
}

func (l *loader) applyVarFile(path, label string, src []byte, given map[string]cty.Value, sensitiveDiag func(*variable, hcl.Diagnostics) hcl.Diagnostics) {
	var f *hcl.File
	var diags hcl.Diagnostics
	if d := checkNesting(src, path, strings.HasSuffix(path, ".json")); d != nil {
		diags = hcl.Diagnostics{d}
	} else if strings.HasSuffix(path, ".json") {
		f, diags = l.parser.ParseJSON(src, path)
	} else {
		f, diags = l.parser.ParseHCL(src, path)
	}
	if diags.HasErrors() {
		// The file may hold a sensitive value, and a syntax error's line
		// could be it: no snippets from a broken var file.
		for _, d := range diags {
			hideSnippet(d)
		}
		l.diags = append(l.diags, diags...)
		return
	}
	attrs, diags := f.Body.JustAttributes()
	l.diags = append(l.diags, diags...)
	for _, a := range sortedAttrs(attrs) {
		v := l.vars[a.Name]
		if v == nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("The variables file sets %q, but the configuration declares no such variable.", a.Name),
				Subject:  a.NameRange.Ptr(),
			})
			continue
		}
		val, diags := a.Expr.Value(nil)
		if v.sensitive && !diags.HasErrors() {
			l.rememberValue(val)
		}
		l.diags = append(l.diags, sensitiveDiag(v, diags)...)
		if !diags.HasErrors() {
			given[a.Name] = val
			v.source, v.valueRange = "var-file", a.Expr.Range().Ptr()
			v.setBy = append(v.setBy, label)
		}
	}
}

func (l *loader) evalVariableValidations() {
	for _, name := range l.varOrder {
		v := l.vars[name]
		if !l.varValues[name].IsWhollyKnown() {
			continue // missing or invalid: already reported
		}
		for _, vb := range v.validations {
			content, _ := vb.Body.Content(validationSchema)
			cond := content.Attributes["condition"]
			msgAttr := content.Attributes["error_message"]
			// A variable's own validation is not a use of it: it decides
			// nothing but whether the value is accepted.
			val, ok := l.evaluate(cond.Expr, l.ctx, false)
			l.noteUses(cond.Expr, val, name)
			if !ok {
				continue
			}
			val, _ = val.UnmarkDeep()
			if !val.IsKnown() {
				continue
			}
			b, err := convert.Convert(val, cty.Bool)
			if err != nil || b.IsNull() {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid variable validation result",
					Detail:   "The condition must produce true or false.",
					Subject:  cond.Expr.Range().Ptr(),
				})
				continue
			}
			if b.True() {
				continue
			}
			msg := "The value does not satisfy the validation rule."
			mv, ok := l.evaluate(msgAttr.Expr, l.ctx, false)
			l.noteUses(msgAttr.Expr, mv, name)
			if ok {
				mv, err := convert.Convert(mv, cty.String)
				switch {
				case err != nil || mv.IsNull() || !mv.IsKnown():
				case mv.IsMarked() && mv.HasMark(Sensitive):
					msg = "The error message is derived from a sensitive value and cannot be shown."
				default:
					mv, _ = mv.Unmark()
					msg = mv.AsString()
				}
			}
			subject := v.valueRange
			if subject == nil {
				subject = v.declRange.Ptr()
			}
			d := &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid value for variable",
				Detail:   fmt.Sprintf("%s\n\nThis was checked by the validation rule at %s.", msg, rangeString(cond.Expr.Range())),
				Subject:  subject,
			}
			if v.sensitive {
				hideSnippet(d)
			}
			l.diags = append(l.diags, d)
		}
	}
}

// evalLocals evaluates the locals in dependency order. A local that cannot
// be evaluated (an error, a cycle) is unknown, which keeps everything that
// uses it from reporting the same problem again.
func (l *loader) evalLocals(order []string) {
	l.localVals = map[string]cty.Value{}
	deps := map[string][]string{}
	for _, name := range order {
		for _, t := range l.locals[name].Expr.Variables() {
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
		val, ok := l.eval(l.locals[name].Expr, l.ctx, false)
		if !ok {
			val = cty.DynamicVal
		}
		l.localVals[name] = val
	}
	for _, name := range order {
		visit(name)
	}
	l.ctx.Variables["local"] = objectOf(l.localVals)
}

// eval checks an expression's references, then evaluates it. ok is false
// when there was an error (reported). Every variable it uses is recorded
// as used (see Variable.CredentialOnly).
func (l *loader) eval(expr hcl.Expression, ctx *hcl.EvalContext, allowEach bool) (cty.Value, bool) {
	val, ok := l.evaluate(expr, ctx, allowEach)
	l.noteUses(expr, val, "")
	return val, ok
}

// evaluate is eval without recording uses: for the glow token and the
// gateflow admin_key, which are not uses, and for validations, which
// record theirs without their own variable.
func (l *loader) evaluate(expr hcl.Expression, ctx *hcl.EvalContext, allowEach bool) (cty.Value, bool) {
	if diags := l.checkRefs(expr, allowEach); diags.HasErrors() {
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
func (l *loader) noteUses(expr hcl.Expression, val cty.Value, self string) {
	for _, t := range expr.Variables() {
		if t.RootName() != "var" || len(t) < 2 {
			continue
		}
		if a, ok := t[1].(hcl.TraverseAttr); ok && a.Name != self {
			l.uses[a.Name] = true
		}
	}
	_, pvm := val.UnmarkDeepWithPaths()
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
func (l *loader) checkRefs(expr hcl.Expression, allowEach bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, t := range expr.Variables() {
		rng := t.SourceRange().Ptr()
		root := t.RootName()
		var attr string
		if len(t) > 1 {
			if a, ok := t[1].(hcl.TraverseAttr); ok {
				attr = a.Name
			}
		}
		switch root {
		case "var", "local", "each", "path":
			if attr == "" {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid reference",
					Detail:   fmt.Sprintf("The %q object must be followed by an attribute name, like %s.NAME.", root, root),
					Subject:  rng,
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
					Subject:  rng,
				})
			}
		case "local":
			if l.locals[attr] == nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Reference to undeclared local value",
					Detail:   fmt.Sprintf("A local value with the name %q has not been declared.", attr),
					Subject:  rng,
				})
			}
		case "each":
			switch {
			case !allowEach:
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  `Reference to "each" in context without for_each`,
					Detail:   "The \"each\" object can be used only in a glow_provider or gateflow_provider block that sets for_each.",
					Subject:  rng,
				})
			case attr != "key" && attr != "value":
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid \"each\" attribute",
					Detail:   fmt.Sprintf("The \"each\" object has no attribute %q: it has each.key and each.value.", attr),
					Subject:  rng,
				})
			}
		case "path":
			if attr != "module" && attr != "root" && attr != "cwd" {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid \"path\" attribute",
					Detail:   fmt.Sprintf("The \"path\" object has no attribute %q: it has path.module, path.root and path.cwd.", attr),
					Subject:  rng,
				})
			}
		default:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unsupported reference",
				Detail:   fmt.Sprintf("%q is not something a Switchboard configuration can refer to: expressions may use var.NAME, local.NAME, each.key, each.value and path.module.", root),
				Subject:  rng,
			})
		}
	}
	return diags
}

// indexVaultCalls finds every vault() call written with literal arguments.
// A reference that reaches a key through a local is then still reported at
// the place its vault() call is written.
func (l *loader) indexVaultCalls(files []*hcl.File) {
	l.vaultCalls = map[VaultRef][]hcl.Range{}
	for _, f := range files {
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
			call, ok := n.(*hclsyntax.FunctionCallExpr)
			if !ok || call.Name != "vault" || len(call.Args) < 2 || len(call.Args) > 3 {
				return nil
			}
			var ref VaultRef
			for i, a := range call.Args {
				v, diags := a.Value(nil)
				if diags.HasErrors() || !v.IsKnown() || v.IsNull() {
					return nil
				}
				switch i {
				case 0, 1:
					if v.Type() != cty.String {
						return nil
					}
					if i == 0 {
						ref.Path = v.AsString()
					} else {
						ref.Key = v.AsString()
					}
				case 2:
					if v.Type() != cty.Number {
						return nil
					}
					n, acc := v.AsBigFloat().Int64()
					if acc != 0 || n < 1 || n > 1<<31 {
						return nil
					}
					ref.Version = int(n)
				}
			}
			l.vaultCalls[ref] = append(l.vaultCalls[ref], call.Range())
			return nil
		})
	}
}

// vaultCallRange is where ref's vault() call is written: inside within when
// it is there, else the first call site, else within itself.
func (l *loader) vaultCallRange(ref VaultRef, within hcl.Range) hcl.Range {
	sites := l.vaultCalls[ref]
	for _, r := range sites {
		if r.Filename == within.Filename && r.Start.Byte >= within.Start.Byte && r.End.Byte <= within.End.Byte {
			return r
		}
	}
	if len(sites) > 0 {
		return sites[0]
	}
	return within
}
