package config

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	yaml "github.com/zclconf/go-cty-yaml"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// The functions that read files of the configuration directory. They
// follow file()'s rules (configRelativePath, readSource): a relative path
// inside the directory, a regular file, bounded, read once and kept in
// Config.Files, so that a saved plan replays exactly what they read.

// fileBytesFunc is a function of a file's bytes (filebase64, filesha256):
// unlike file(), the content need not be UTF-8.
func (l *loader) fileBytesFunc(f func([]byte) string) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			b, err := l.readFileArg(args[0].AsString())
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "%s", err)
			}
			return cty.StringVal(f(b)), nil
		},
	})
}

func (l *loader) readFileArg(given string) ([]byte, error) {
	name, err := configRelativePath(given, l.dir)
	if err != nil {
		return nil, err
	}
	b, err := l.readSource(name, MaxFileFunctionSize)
	if err != nil {
		return nil, fmt.Errorf("%q %s", given, err)
	}
	return b, nil
}

// fileExistsFunc is Terraform's fileexists. A file that exists is read
// (and must be small enough for file()), so that it is in Config.Files and
// a saved plan, replayed from those files, finds it too.
func (l *loader) fileExistsFunc() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			given := args[0].AsString()
			name, err := configRelativePath(given, l.dir)
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "%s", err)
			}
			if _, ok := l.read[name]; !ok {
				if _, err := fs.Lstat(l.fsys, name); errors.Is(err, fs.ErrNotExist) {
					return cty.False, nil
				}
			}
			if _, err := l.readSource(name, MaxFileFunctionSize); err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "%q %s", given, err)
			}
			return cty.True, nil
		},
	})
}

// templateFileFunc is Terraform's templatefile(path, vars): the file, read
// as file() reads it, is an HCL template that may refer to the keys of
// vars and call the configuration's functions, except templatefile itself.
func (l *loader) templateFileFunc(fns map[string]function.Function) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{
			{Name: "path", Type: cty.String},
			{Name: "vars", Type: cty.DynamicPseudoType, AllowMarked: true},
		},
		Type: function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			given := args[0].AsString()
			vars, varsMarks := args[1].Unmark()
			ty := vars.Type()
			if !ty.IsMapType() && !ty.IsObjectType() {
				return cty.NilVal, function.NewArgErrorf(1, "vars must be a map or an object")
			}
			if vars.IsNull() {
				return cty.NilVal, function.NewArgErrorf(1, "vars must not be null")
			}
			if !vars.IsWhollyKnown() {
				return cty.DynamicVal, nil
			}
			ctxVars := map[string]cty.Value{}
			for it := vars.ElementIterator(); it.Next(); {
				k, v := it.Element()
				name := k.AsString()
				if !hclsyntax.ValidIdentifier(name) {
					return cty.NilVal, function.NewArgErrorf(1, "invalid template variable name %q: must start with a letter, followed by letters, digits, underscores or dashes", name)
				}
				ctxVars[name] = v.WithMarks(varsMarks)
			}
			src, err := l.readFileArg(given)
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "%s", err)
			}
			tmpl, diags := hclsyntax.ParseTemplate(src, given, hcl.InitialPos)
			if diags.HasErrors() {
				return cty.NilVal, function.NewArgErrorf(0, "%s", diags.Error())
			}
			var missing []string
			for _, tr := range tmpl.Variables() {
				if _, ok := ctxVars[tr.RootName()]; !ok {
					missing = append(missing, fmt.Sprintf("%q, referenced at %s", tr.RootName(), rangeString(tr.SourceRange())))
				}
			}
			if len(missing) > 0 {
				sort.Strings(missing)
				return cty.NilVal, function.NewArgErrorf(1, "vars map does not contain key %s", missing[0])
			}
			inner := make(map[string]function.Function, len(fns))
			for name, f := range fns {
				inner[name] = f
			}
			inner["templatefile"] = noRecursiveTemplateFile
			val, diags := tmpl.Value(&hcl.EvalContext{Variables: ctxVars, Functions: inner})
			if diags.HasErrors() {
				return cty.NilVal, errors.New(diags.Error())
			}
			return val, nil
		},
	})
}

var noRecursiveTemplateFile = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "path", Type: cty.String}, {Name: "vars", Type: cty.DynamicPseudoType}},
	Type:   function.StaticReturnType(cty.DynamicPseudoType),
	Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
		return cty.NilVal, errors.New("cannot call templatefile from inside a template that templatefile renders")
	},
})

func addYAMLFunctions(fns map[string]function.Function) {
	fns["yamldecode"] = yaml.YAMLDecodeFunc
	fns["yamlencode"] = yaml.YAMLEncodeFunc
}
