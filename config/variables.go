package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
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
		if !raw.IsWhollyKnown() {
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
	files := l.parser.Files()
	for _, d := range diags {
		if d.Summary != "Unsupported argument" || d.Subject == nil {
			continue
		}
		f := files[d.Subject.Filename]
		if f == nil {
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
