package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/switchboard-hq/switchboard/secretref"
)

// Mark is the type of the cty marks the loader puts on values.
type Mark string

// Sensitive marks a value that must never be printed: the results of vault()
// and env(), and the values of variables declared sensitive. Marks survive
// every expression and function, so a value derived from a secret is
// sensitive too.
const Sensitive Mark = "sensitive"

// envMark records that a value comes from env(Name): a secret argument
// accepts it and says so in Secret.Source.
type envMark struct{ Name string }

// varMark records that a value comes from var.Name, so that a secret
// argument can tell a sensitive variable (acceptable for tokens) from a key
// typed into a var file.
type varMark struct {
	Name      string
	Sensitive bool
}

// secretref.VaultRef values themselves are the marks of vault() results (with an empty
// Range, which the loader fills from the call site): cty marks must be
// comparable, and a secretref.VaultRef is.

// vaultPlaceholder is the string a vault() call evaluates to. It is not the
// secret, which is never read here. A value that is still this exact string
// is the reference itself; any other string carrying the mark was derived
// from it (an interpolation, upper(), substr()) and is refused, since it
// cannot be resolved later. Both cases are in it so that lower() and upper()
// change it.
func vaultPlaceholder(r secretref.VaultRef) string {
	return "<Vault:" + r.Path + "#" + r.Key + "#" + strconv.Itoa(r.Version) + ":ref>"
}

// functions returns the function table: cty's standard library under the
// names Terraform users know, plus env, file and vault. env and vault report
// what they produce to the loader through the callbacks.
func (l *loader) functions() map[string]function.Function {
	fns := map[string]function.Function{
		"abs":             stdlib.AbsoluteFunc,
		"can":             tryfunc.CanFunc,
		"ceil":            stdlib.CeilFunc,
		"chomp":           stdlib.ChompFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        coalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"csvdecode":       stdlib.CSVDecodeFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"floor":           stdlib.FloorFunc,
		"format":          stdlib.FormatFunc,
		"formatdate":      stdlib.FormatDateFunc,
		"formatlist":      stdlib.FormatListFunc,
		"indent":          stdlib.IndentFunc,
		"index":           stdlib.IndexFunc,
		"join":            stdlib.JoinFunc,
		"jsondecode":      stdlib.JSONDecodeFunc,
		"jsonencode":      stdlib.JSONEncodeFunc,
		"keys":            stdlib.KeysFunc,
		"length":          stdlib.LengthFunc,
		"log":             stdlib.LogFunc,
		"lookup":          stdlib.LookupFunc,
		"lower":           stdlib.LowerFunc,
		"max":             stdlib.MaxFunc,
		"merge":           stdlib.MergeFunc,
		"min":             stdlib.MinFunc,
		"parseint":        stdlib.ParseIntFunc,
		"pow":             stdlib.PowFunc,
		"range":           stdlib.RangeFunc,
		"regex":           stdlib.RegexFunc,
		"regexall":        stdlib.RegexAllFunc,
		"replace":         stdlib.ReplaceFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      stdlib.SetProductFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"signum":          stdlib.SignumFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"split":           stdlib.SplitFunc,
		"strlen":          stdlib.StrlenFunc,
		"strrev":          stdlib.ReverseFunc,
		"substr":          stdlib.SubstrFunc,
		"timeadd":         stdlib.TimeAddFunc,
		"title":           stdlib.TitleFunc,
		"tobool":          stdlib.MakeToFunc(cty.Bool),
		"tolist":          stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":           stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber":        stdlib.MakeToFunc(cty.Number),
		"toset":           stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring":        stdlib.MakeToFunc(cty.String),
		"trim":            stdlib.TrimFunc,
		"trimprefix":      stdlib.TrimPrefixFunc,
		"trimspace":       stdlib.TrimSpaceFunc,
		"trimsuffix":      stdlib.TrimSuffixFunc,
		"try":             tryfunc.TryFunc,
		"upper":           stdlib.UpperFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,

		"alltrue":     boolReduceFunc(true),
		"anytrue":     boolReduceFunc(false),
		"startswith":  stringTestFunc(strings.HasPrefix),
		"endswith":    stringTestFunc(strings.HasSuffix),
		"strcontains": stringTestFunc(strings.Contains),

		"sensitive":    sensitiveFunc,
		"nonsensitive": l.nonsensitiveFunc(),
		"env":          l.envFunc(),
		"file":         l.fileFunc(),
		"vault":        l.vaultFunc(),
	}
	l.terraformFunctions(fns)
	return fns
}

// sensitiveFunc is Terraform's sensitive(): it marks a value so that no
// output shows it.
var sensitiveFunc = function.New(&function.Spec{
	Params: []function.Parameter{{
		Name: "value", Type: cty.DynamicPseudoType,
		AllowUnknown: true, AllowNull: true, AllowMarked: true, AllowDynamicType: true,
	}},
	Type: func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return args[0].Mark(Sensitive), nil
	},
})

// credentialMark is put, with Sensitive, on a string nonsensitive() left
// sensitive because it holds a credential of the run, so that the
// diagnostic about it can say why nonsensitive() did not help.
type credentialMark struct{}

// nonsensitiveFunc is Terraform's nonsensitive(): the user states that a
// value derived from env() (a URL, a list of departments) is not a secret,
// so that it may go where a plan prints it. Provenance marks stay: a key
// still knows it came from env(). A string that is, or holds, one of the
// run's credentials stays sensitive wherever it is in the value: a
// configuration can say that its own values are not secret, not that the
// token it runs with is not.
func (l *loader) nonsensitiveFunc() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{
			Name: "value", Type: cty.DynamicPseudoType,
			AllowUnknown: true, AllowNull: true, AllowMarked: true, AllowDynamicType: true,
		}},
		Type: func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v, pvm := args[0].UnmarkDeepWithPaths()
			var sensitivePaths []cty.Path
			kept := make([]cty.PathValueMarks, 0, len(pvm))
			for _, p := range pvm {
				m := make(cty.ValueMarks)
				for k := range p.Marks {
					if k != Sensitive {
						m[k] = struct{}{}
					} else {
						sensitivePaths = append(sensitivePaths, p.Path)
					}
				}
				if len(m) > 0 {
					kept = append(kept, cty.PathValueMarks{Path: p.Path, Marks: m})
				}
			}
			if len(sensitivePaths) > 0 && len(l.creds) > 0 {
				kept = append(kept, l.credentialPaths(v, sensitivePaths)...)
			}
			return v.MarkWithPaths(kept), nil
		},
	})
}

// credentialPaths finds the strings of v that were sensitive (at or below
// one of sensitivePaths) and hold a credential, and marks them again. A
// set's elements cannot carry marks of their own, so a credential in a set
// marks the set.
func (l *loader) credentialPaths(v cty.Value, sensitivePaths []cty.Path) []cty.PathValueMarks {
	var out []cty.PathValueMarks
	_ = cty.Walk(v, func(p cty.Path, e cty.Value) (bool, error) {
		if e.Type() != cty.String || !e.IsKnown() || e.IsNull() || !l.isCredential(e.AsString()) {
			return true, nil
		}
		if !underAny(p, sensitivePaths) {
			return true, nil
		}
		out = append(out, cty.PathValueMarks{
			Path:  markablePath(v, p),
			Marks: cty.NewValueMarks(Sensitive, credentialMark{}),
		})
		return true, nil
	})
	return out
}

// isCredential reports whether s is a credential of the run or holds one.
// Only credentials as long as minCredentialLen are looked for inside
// other strings: a short one would be found in ordinary words.
func (l *loader) isCredential(s string) bool {
	for _, c := range l.creds {
		if s == c || (len(c) >= minCredentialLen && strings.Contains(s, c)) {
			return true
		}
	}
	return false
}

// underAny reports whether p is one of paths or inside one of them.
func underAny(p cty.Path, paths []cty.Path) bool {
	for _, q := range paths {
		if len(q) <= len(p) && p[:len(q)].Equals(q) {
			return true
		}
	}
	return false
}

// markablePath is p cut at the first set it goes through, as a copy (Walk
// reuses its path).
func markablePath(v cty.Value, p cty.Path) cty.Path {
	cur := v
	for i, step := range p {
		if cur.Type().IsSetType() {
			return p[:i].Copy()
		}
		next, err := step.Apply(cur)
		if err != nil {
			return p[:i].Copy()
		}
		cur = next
	}
	return p.Copy()
}

// stringArg reads a string argument that may carry marks: the arguments of
// env() and vault() name a secret, they are not one, so where they come from
// (a variable, another env()) does not matter.
func stringArg(v cty.Value) (string, bool) {
	v, _ = v.UnmarkDeep()
	if !v.IsKnown() || v.IsNull() {
		return "", false
	}
	return v.AsString(), true
}

func (l *loader) envFunc() function.Function {
	return function.New(&function.Spec{
		Description: "The value of an environment variable, marked sensitive; empty when it is not set.",
		Params: []function.Parameter{{
			Name: "name", Type: cty.String, AllowMarked: true, AllowUnknown: true,
		}},
		Type: function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name, ok := stringArg(args[0])
			if !ok {
				return cty.UnknownVal(cty.String).Mark(Sensitive), nil
			}
			if name == "" || strings.ContainsAny(name, "=\x00") {
				return cty.NilVal, function.NewArgErrorf(0, "an environment variable name must be non-empty and contain no '=' or NUL")
			}
			val, _ := l.opts.Env(name)
			l.rememberSecret(val)
			return cty.StringVal(val).WithMarks(cty.NewValueMarks(Sensitive, envMark{Name: name})), nil
		},
	})
}

// fileFunc is file(path): the content of a file of the configuration
// directory. It reads through the configuration's file system, so a saved
// plan that embeds what it read replays it from memory, and it reads only
// regular files inside the directory: an absolute path, a ".." or a
// symbolic link leading out, a device or a named pipe (which would block)
// is refused before anything is opened.
func (l *loader) fileFunc() function.Function {
	return function.New(&function.Spec{
		Description: "The content of a file, relative to the configuration directory.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			// The errors name the path, which the user wrote: no value of
			// any secret is in it.
			given := args[0].AsString()
			b, err := l.readFileArg(given)
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "%s", err)
			}
			if !utf8.Valid(b) {
				return cty.NilVal, function.NewArgErrorf(0, "%q is not valid UTF-8", given)
			}
			return cty.StringVal(string(b)), nil
		},
	})
}

// configRelativePath turns a path file() was given into the slash path
// of a file inside the configuration directory dir. A path under dir as
// Load was given it is taken relative to dir, since Terraform users write
// file("${path.module}/x"), and path.module is dir.
func configRelativePath(p, dir string) (string, error) {
	if p == "" {
		return "", errors.New("the path is empty")
	}
	rel := filepath.ToSlash(p)
	if d := path.Clean(filepath.ToSlash(dir)); d != "." && d != "/" && path.Clean(rel) == d {
		// path.module itself: fileset(path.module, "*.yaml").
		rel = "."
	} else if d != "." && d != "/" && strings.HasPrefix(rel, d+"/") {
		rel = strings.TrimLeft(rel[len(d):], "/")
	} else if filepath.IsAbs(p) || strings.HasPrefix(p, "/") || filepath.VolumeName(p) != "" {
		return "", fmt.Errorf("%q is an absolute path; file() reads only files inside the configuration directory, given relative to it", p)
	}
	name := path.Clean(rel)
	if name == ".." || strings.HasPrefix(name, "../") || !fs.ValidPath(name) {
		return "", fmt.Errorf("%q leads out of the configuration directory; file() reads only files inside it", p)
	}
	return name, nil
}

func describeFileError(err error) string {
	switch {
	case os.IsNotExist(err):
		return "no such file"
	case os.IsPermission(err):
		return "permission denied"
	}
	return "not a readable file"
}

func (l *loader) vaultFunc() function.Function {
	return function.New(&function.Spec{
		Description: "A reference to a field of a Vault KV secret, resolved when the configuration is applied.",
		Params: []function.Parameter{
			{Name: "path", Type: cty.String, AllowMarked: true, AllowUnknown: true},
			{Name: "key", Type: cty.String, AllowMarked: true, AllowUnknown: true},
		},
		VarParam: &function.Parameter{Name: "version", Type: cty.Number, AllowMarked: true, AllowUnknown: true},
		Type:     function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if len(args) > 3 {
				return cty.NilVal, function.NewArgErrorf(3, "vault() takes a path, a key and an optional version")
			}
			path, ok1 := stringArg(args[0])
			key, ok2 := stringArg(args[1])
			ref := secretref.VaultRef{Path: path, Key: key}
			known := ok1 && ok2
			if len(args) == 3 {
				v, _ := args[2].UnmarkDeep()
				switch {
				case !v.IsKnown():
					known = false
				case v.IsNull():
					return cty.NilVal, function.NewArgErrorf(2, "the version must be a whole number of at least 1")
				default:
					bf := v.AsBigFloat()
					n, acc := bf.Int64()
					if !bf.IsInt() || acc != 0 || n < 1 || n > 1<<31 {
						return cty.NilVal, function.NewArgErrorf(2, "the version must be a whole number of at least 1")
					}
					ref.Version = int(n)
				}
			}
			if !known {
				return cty.UnknownVal(cty.String).Mark(Sensitive), nil
			}
			if err := checkVaultPath(path); err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "%s", err)
			}
			if key == "" {
				return cty.NilVal, function.NewArgErrorf(1, "the key must name a field of the secret, like \"api_key\"")
			}
			l.usedVault = true
			return cty.StringVal(vaultPlaceholder(ref)).WithMarks(cty.NewValueMarks(Sensitive, ref)), nil
		},
	})
}

func checkVaultPath(p string) error {
	mount, rest, ok := strings.Cut(p, "/")
	if !ok || mount == "" || rest == "" || strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
		return fmt.Errorf("the path must be a KV mount followed by the secret's path, like \"secret/llm/openai\" (as for `vault kv get`)")
	}
	return nil
}

// boolReduceFunc is Terraform's alltrue (all=true) or anytrue: cty's
// standard library has no equivalent, and validation conditions over a
// collection need them.
func boolReduceFunc(all bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			result := all
			for it := args[0].ElementIterator(); it.Next(); {
				_, v := it.Element()
				if !v.IsKnown() {
					return cty.UnknownVal(cty.Bool), nil
				}
				if v.IsNull() {
					if all {
						return cty.False, nil
					}
					continue
				}
				if v.True() != all {
					result = !all
				}
			}
			return cty.BoolVal(result), nil
		},
	})
}

// stringTestFunc is Terraform's startswith, endswith and strcontains.
func stringTestFunc(test func(s, sub string) bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "string", Type: cty.String}, {Name: "substr", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(test(args[0].AsString(), args[1].AsString())), nil
		},
	})
}

// coalesceFunc is Terraform's coalesce, which, unlike cty's, also skips
// empty strings: coalesce(var.name, "default") is how users write a
// fallback for an unset string.
var coalesceFunc = function.New(&function.Spec{
	VarParam: &function.Parameter{Name: "vals", Type: cty.DynamicPseudoType, AllowNull: true, AllowUnknown: true, AllowDynamicType: true},
	Type: func(args []cty.Value) (cty.Type, error) {
		return stdlib.CoalesceFunc.ReturnType(argTypes(args))
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		for _, a := range args {
			if !a.IsKnown() {
				return cty.UnknownVal(retType), nil
			}
			if a.IsNull() || (a.Type() == cty.String && a.AsString() == "") {
				continue
			}
			return convert.Convert(a, retType)
		}
		return cty.NilVal, fmt.Errorf("no non-null, non-empty-string arguments")
	},
})

func argTypes(args []cty.Value) []cty.Type {
	tys := make([]cty.Type, len(args))
	for i, a := range args {
		tys[i] = a.Type()
	}
	return tys
}
