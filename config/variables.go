package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/switchboard-hq/switchboard/sensitive"
)

// variableJSON is the form of Variable.Value. The type is recorded with the
// value because JSON alone cannot tell a list from a set or a map from an
// object, and a number from a string that holds one.
type variableJSON struct {
	Value json.RawMessage `json:"value"`
	Type  json.RawMessage `json:"type"`
}

func encodeVariableValue(val cty.Value) (string, error) {
	val, _ = val.UnmarkDeep()
	ty := val.Type()
	tj, err := ctyjson.MarshalType(ty)
	if err != nil {
		return "", err
	}
	vj, err := ctyjson.Marshal(val, ty)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(variableJSON{Value: vj, Type: tj})
	return string(b), err
}

// decodeVariableValue reads what encodeVariableValue wrote. Its errors
// describe the structure, never the value, which may be a sensitive
// variable's.
func decodeVariableValue(s string) (cty.Value, error) {
	var vj variableJSON
	if err := json.Unmarshal([]byte(s), &vj); err != nil {
		return cty.NilVal, errors.New(`it is not a JSON object with "value" and "type"`)
	}
	if vj.Value == nil || vj.Type == nil {
		return cty.NilVal, errors.New(`it needs both "value" and "type"`)
	}
	ty, err := ctyjson.UnmarshalType(vj.Type)
	if err != nil {
		return cty.NilVal, errors.New("its type is not a type")
	}
	val, err := ctyjson.Unmarshal(vj.Value, ty)
	if err != nil {
		return cty.NilVal, fmt.Errorf("its value is not a %s", ty.FriendlyName())
	}
	return val, nil
}

func describeEncodeError(err error, sensitive bool) string {
	if sensitive {
		return "the value is sensitive, so the reason is not shown"
	}
	return err.Error()
}

// variables is Config.Variables: every declared variable's final value.
func (l *loader) variables() []Variable {
	out := make([]Variable, 0, len(l.varOrder))
	for _, name := range l.varOrder {
		v := l.vars[name]
		val := l.varValues[name]
		raw, _ := val.UnmarkDeep()
		if !whollyKnown(raw) {
			// Only an error (reported) leaves a value unknown, and then
			// there is no Config.
			continue
		}
		enc, err := encodeVariableValue(raw)
		if err != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot record a variable's value",
				Detail:   fmt.Sprintf("The value of var.%s cannot be written as JSON, so no plan could replay it: %s.", name, describeEncodeError(err, v.sensitive)),
				Subject:  v.declRange.Ptr(),
			})
			continue
		}
		out = append(out, Variable{Name: name, Sensitive: v.sensitive, Source: v.source, CredentialOnly: !l.uses[name]})
		if v.sensitive {
			out[len(out)-1].Secret = sensitive.New(enc)
		} else {
			out[len(out)-1].Value = enc
		}
	}
	return out
}

// Variable files of the configuration directory that Load reads without
// being asked, as Terraform reads terraform.tfvars and *.auto.tfvars.
// Their suffix is not .hcl, so that no variable file is ever read as
// configuration.
const (
	DefaultVarFile = "switchboard.sbvars"
	AutoVarSuffix  = ".auto.sbvars"
	// VarFileSuffix is the suffix to give a file for --var-file.
	VarFileSuffix = ".sbvars"
)

// autoVarFiles lists the variable files Load reads by itself, in the
// order they apply: switchboard.sbvars (or .json), then every
// *.auto.sbvars (or .json) by name. None is read when the configuration
// comes from a saved plan's files: the plan recorded the values.
func (l *loader) autoVarFiles() []string {
	if l.opts.FS != nil {
		return nil
	}
	entries, err := fs.ReadDir(l.fsys, ".")
	if err != nil {
		return nil // reported when the configuration files were listed
	}
	var first, auto []string
	for _, e := range entries {
		n := e.Name()
		switch {
		case e.IsDir() || strings.HasPrefix(n, "."):
		case n == DefaultVarFile || n == DefaultVarFile+".json":
			first = append(first, n)
		case strings.HasSuffix(n, AutoVarSuffix) || strings.HasSuffix(n, AutoVarSuffix+".json"):
			auto = append(auto, n)
		}
	}
	sort.Strings(first)
	sort.Strings(auto)
	return append(first, auto...)
}

// readAutoVarFile reads a variable file of the directory through the
// configuration's file system, with a configuration file's checks. It is
// not kept in Config.Files: it may hold a sensitive variable's value, and
// a plan file records variables only as their values or digests.
func (l *loader) readAutoVarFile(name string, given map[string]cty.Value, sensitiveDiag func(*variable, hcl.Diagnostics) hcl.Diagnostics) {
	path := filepath.Join(l.dir, name)
	src, err := readRegular(l.fsys, name, MaxConfigFileSize)
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read a variables file",
			Detail:   fmt.Sprintf("%s %s.", path, err),
		})
		return
	}
	l.applyVarFile(path, name, src, given, sensitiveDiag)
}

// readRegular reads a regular file of at most limit bytes.
func readRegular(fsys fs.FS, name string, limit int64) ([]byte, error) {
	info, err := statRegular(fsys, name)
	if err != nil {
		return nil, err
	}
	if info.Size() > limit {
		return nil, sizeError{limit: limit}
	}
	return readLimited(fsys, name, limit)
}

// noteOverrides warns about each variable given a value in more than one
// place, naming the one that won, so that a value from a forgotten
// SWITCHBOARD_VAR_ or *.auto.sbvars does not go unnoticed.
func (l *loader) noteOverrides() {
	for _, name := range l.varOrder {
		v := l.vars[name]
		if len(v.setBy) < 2 {
			continue
		}
		winner := v.setBy[len(v.setBy)-1]
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Variable set in more than one place",
			Detail: fmt.Sprintf("var.%s is set by %s; the value from %s is used. Later sources win: SWITCHBOARD_VAR_%s, %s, *%s, each --var-file in order, --var.",
				name, joinAnd(v.setBy), winner, name, DefaultVarFile, AutoVarSuffix),
			Subject: v.valueRange,
		})
	}
}

func joinAnd(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// hintVarFiles adds to each "Unsupported argument" in a configuration
// file made only of arguments that it looks like a variable file: every
// *.hcl file of the directory is configuration, and a var file named
// prod.hcl next to it otherwise fails with no clue why.
func (l *loader) hintVarFiles(diags hcl.Diagnostics) {
	files := l.parsed
	for _, d := range diags {
		if d.Summary != "Unsupported argument" || d.Subject == nil {
			continue
		}
		f := files[d.Subject.Filename]
		if f == nil || l.deferredIn[d.Subject.Filename] {
			continue
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok || len(body.Blocks) > 0 {
			continue
		}
		base := filepath.Base(d.Subject.Filename)
		stem := strings.TrimSuffix(base, ".hcl")
		d.Detail += fmt.Sprintf(" %s has only arguments, so it looks like a variable file, but every *.hcl file of the directory is read as configuration. Name it %s%s and pass --var-file %s%s, or name it %s%s to have it read automatically.",
			base, stem, VarFileSuffix, stem, VarFileSuffix, stem, AutoVarSuffix)
	}
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

func (l *loader) declareVariable(b *hcl.Block) {
	name := b.Labels[0]
	if !hclsyntax.ValidIdentifier(name) {
		l.diags = append(l.diags, invalidName("variable", b.LabelRanges[0]))
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
	l.variableArguments(v, content.Attributes)
	for _, vb := range content.Blocks {
		_, diags := vb.Body.Content(validationSchema)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			v.validations = append(v.validations, vb)
		}
	}
}

// variableArguments reads a variable block's type, sensitive, description
// and default. They are constants: a variable cannot refer to anything.
func (l *loader) variableArguments(v *variable, attrs hcl.Attributes) {
	if a := attrs["type"]; a != nil {
		ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(a.Expr)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			v.typ, v.defaults = ty, defaults
		} else {
			v.invalid = true
		}
	}
	if a := attrs["sensitive"]; a != nil {
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
	if a := attrs["description"]; a != nil {
		val, diags := a.Expr.Value(nil)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			if _, err := convert.Convert(val, cty.String); err != nil {
				l.diags = append(l.diags, typeError(a, "string required"))
			}
		}
	}
	if a := attrs["default"]; a != nil {
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
}

func (l *loader) convertVar(v *variable, val cty.Value) (cty.Value, error) {
	if v.defaults != nil {
		val = v.defaults.Apply(val)
	}
	return convert.Convert(val, v.typ)
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
	l.plannedVarValues(given)
	l.moduleArgValues(given)
	l.envVarValues(given)
	for _, name := range l.autoVarFiles() {
		l.readAutoVarFile(name, given, sensitiveDiag)
	}
	for _, path := range l.opts.VarFiles {
		l.readVarFile(path, given, sensitiveDiag)
	}
	l.flagVarValues(given)
	l.noteOverrides()

	l.varValues = map[string]cty.Value{}
	var missing []*variable
	for _, name := range l.varOrder {
		v := l.vars[name]
		val, ok := l.variableValue(v, given)
		if !ok {
			missing = append(missing, v)
		}
		if v.sensitive {
			l.rememberValue(val)
			val = val.Mark(Sensitive)
		}
		l.varValues[name] = val.Mark(varMark{Name: name, Sensitive: v.sensitive})
	}
	if len(missing) > 0 && l.modulePath != "" {
		l.missingModuleArgs(missing)
	} else if len(missing) > 0 {
		l.missingVariables(missing)
	}
}

// sensitiveDiag hides the source line of diagnostics about a sensitive
// variable's value: the line is the value.
func sensitiveDiag(v *variable, diags hcl.Diagnostics) hcl.Diagnostics {
	if v.sensitive {
		for _, d := range diags {
			hideSnippet(d)
		}
	}
	return diags
}

// plannedVarValues takes the values a saved plan recorded.
func (l *loader) plannedVarValues(given map[string]cty.Value) {
	for _, name := range slices.Sorted(maps.Keys(l.opts.PlannedVars)) {
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
}

// envVarValues takes SWITCHBOARD_VAR_<name>.
func (l *loader) envVarValues(given map[string]cty.Value) {
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
}

// flagVarValues takes --var.
func (l *loader) flagVarValues(given map[string]cty.Value) {
	for _, name := range slices.Sorted(maps.Keys(l.opts.Vars)) {
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
}

// variableValue is v's value: the given one converted to its type, else
// its default. It reports false when v has neither.
func (l *loader) variableValue(v *variable, given map[string]cty.Value) (cty.Value, bool) {
	val, ok := given[v.name]
	switch {
	case ok && !val.IsNull():
		conv, err := l.convertVar(v, val)
		if err == nil {
			return conv, true
		}
		d := &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for input variable",
			Detail:   fmt.Sprintf("The given value is not suitable for var.%s declared at %s: %s.", v.name, rangeString(v.declRange), err),
			Subject:  v.valueRange,
		}
		if v.sensitive {
			hideSnippet(d)
		}
		l.diags = append(l.diags, d)
		return cty.DynamicVal, true
	case v.invalid:
		return cty.DynamicVal, true
	case v.def != cty.NilVal:
		v.source, v.valueRange = "default", v.defRange.Ptr()
		return v.def, true
	}
	return cty.DynamicVal, false
}

// missingVariables reports the root module's required variables that no
// source set.
func (l *loader) missingVariables(missing []*variable) {
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

func (l *loader) evalVariableValidations() {
	for _, name := range l.varOrder {
		v := l.vars[name]
		if !whollyKnown(l.varValues[name]) {
			continue // missing or invalid: already reported
		}
		for _, vb := range v.validations {
			content, _ := vb.Body.Content(validationSchema)
			cond := content.Attributes["condition"]
			msgAttr := content.Attributes["error_message"]
			// A variable's own validation is not a use of it: it decides
			// nothing but whether the value is accepted.
			val, ok := l.evaluate(cond.Expr, l.ctx, false)
			l.noteUses(cond.Expr.Variables(), val, name)
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
			msg := l.validationMessage(msgAttr, name)
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

// validationMessage is a failed validation's error_message, unless it
// cannot be shown.
func (l *loader) validationMessage(msgAttr *hcl.Attribute, name string) string {
	mv, ok := l.evaluate(msgAttr.Expr, l.ctx, false)
	l.noteUses(msgAttr.Expr.Variables(), mv, name)
	if !ok {
		return "The value does not satisfy the validation rule."
	}
	mv, err := convert.Convert(mv, cty.String)
	switch {
	case err != nil || mv.IsNull() || !mv.IsKnown():
		return "The value does not satisfy the validation rule."
	case mv.IsMarked() && mv.HasMark(Sensitive):
		return "The error message is derived from a sensitive value and cannot be shown."
	}
	mv, _ = mv.Unmark()
	return mv.AsString()
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
	f, diags := l.parsed.parse(src, path, strings.HasSuffix(path, ".json"))
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
