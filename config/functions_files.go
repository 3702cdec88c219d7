package config

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

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
			if err := checkTemplateNesting(src); err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "%q %s", given, err)
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

// maxFilesetEntries bounds the directory entries one fileset() call looks
// at, so that a pattern over a huge tree fails rather than runs for long.
const maxFilesetEntries = 100_000

// fileSetFunc is Terraform's fileset(path, pattern): the regular files
// under path (a directory of the configuration) whose path relative to it
// matches pattern, with *, ?, [class], {alt,...} and ** for any number of
// directories. Each file listed is read (within file()'s limits), so that
// Config.Files, and with it a saved plan, holds every file fileset found
// and the same call lists the same files when the plan is replayed.
func (l *loader) fileSetFunc() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}, {Name: "pattern", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Set(cty.String)),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			given, pattern := args[0].AsString(), args[1].AsString()
			base, err := configRelativePath(given, l.dir)
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "%s", err)
			}
			segs, err := fileSetPatterns(pattern)
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(1, "%s", err)
			}
			info, err := fs.Stat(l.fsys, base)
			if err != nil || !info.IsDir() {
				return cty.SetValEmpty(cty.String), nil
			}
			found, err := l.fileSetMatches(given, base, segs)
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "%s", err)
			}
			if len(found) == 0 {
				return cty.SetValEmpty(cty.String), nil
			}
			return cty.SetVal(found), nil
		},
	})
}

// fileSetPatterns expands a fileset pattern's braces and splits each
// alternative into its path segments, checking every segment's syntax
// before any directory is read.
func fileSetPatterns(pattern string) ([][]string, error) {
	patterns, err := expandBraces(pattern)
	if err != nil {
		return nil, err
	}
	var segs [][]string
	for _, p := range patterns {
		s := strings.Split(p, "/")
		for _, seg := range s {
			if _, err := path.Match(seg, ""); err != nil {
				return nil, fmt.Errorf("invalid pattern %q: %s", pattern, err)
			}
		}
		segs = append(segs, s)
	}
	return segs, nil
}

// fileSetMatches walks the directory base (given is how the call named
// it) and reads and returns, relative to base, the regular files matching
// any of the patterns' segments, within maxFilesetEntries.
func (l *loader) fileSetMatches(given, base string, segs [][]string) ([]cty.Value, error) {
	var found []cty.Value
	seen := 0
	err := fs.WalkDir(l.fsys, base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if seen++; seen > maxFilesetEntries {
			return fmt.Errorf("%q holds more than %d entries", given, maxFilesetEntries)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel := strings.TrimPrefix(p, base+"/")
		if base == "." {
			rel = p
		}
		for _, s := range segs {
			if matchSegments(s, strings.Split(rel, "/")) {
				if _, err := l.readSource(p, MaxFileFunctionSize); err != nil {
					return fmt.Errorf("%q %s", p, err)
				}
				found = append(found, cty.StringVal(rel))
				break
			}
		}
		return nil
	})
	return found, err
}

// matchSegments matches a path's segments against a pattern's: "**"
// stands for any number of segments, every other segment is path.Match's.
func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if matchSegments(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

// expandBraces turns a{b,c}d into abd and acd, as fileset's patterns
// allow; braces nest. At most 1,000 patterns come out of one.
func expandBraces(p string) ([]string, error) {
	open := strings.IndexByte(p, '{')
	if open < 0 {
		if strings.ContainsRune(p, '}') {
			return nil, fmt.Errorf("invalid pattern %q: unbalanced }", p)
		}
		return []string{p}, nil
	}
	depth, end := 0, -1
	var alts []string
	start := open + 1
	for i := open; i < len(p) && end < 0; i++ {
		switch p[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				alts = append(alts, p[start:i])
				end = i
			}
		case ',':
			if depth == 1 {
				alts = append(alts, p[start:i])
				start = i + 1
			}
		}
	}
	if end < 0 {
		return nil, fmt.Errorf("invalid pattern %q: unbalanced {", p)
	}
	var out []string
	for _, a := range alts {
		rest, err := expandBraces(p[:open] + a + p[end+1:])
		if err != nil {
			return nil, err
		}
		out = append(out, rest...)
		if len(out) > 1000 {
			return nil, fmt.Errorf("invalid pattern %q: more than 1000 alternatives", p)
		}
	}
	return out, nil
}
