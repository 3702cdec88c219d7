package config

// The functions of Terraform 1.11 that cty's standard library lacks or
// implements differently. Each is written to give what `terraform console`
// gives (testdata/functions records it). Terraform's impure functions are
// left out on purpose: timestamp, plantimestamp, uuid and bcrypt give a new
// result every run, and abspath and pathexpand depend on the machine, so a
// plan made with them could not be replayed by apply (the plan is a
// contract: the same configuration and inputs must give the same plan).

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apparentlymart/go-textseg/v15/textseg"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/ianaindex"
)

// terraformFunctions are added to the function table over cty's.
func (l *loader) terraformFunctions(fns map[string]function.Function) {
	fns["replace"] = replaceFunc
	fns["lookup"] = lookupFunc
	fns["length"] = lengthFunc
	fns["index"] = indexFunc
	fns["one"] = oneFunc
	fns["sum"] = sumFunc
	fns["transpose"] = transposeFunc
	fns["matchkeys"] = matchkeysFunc
	fns["timecmp"] = timecmpFunc
	fns["issensitive"] = issensitiveFunc

	fns["base64encode"] = stringFunc(func(s string) (string, error) {
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	})
	fns["base64decode"] = stringFunc(base64Decode)
	fns["base64gzip"] = stringFunc(base64Gzip)
	fns["textencodebase64"] = textEncodeBase64Func
	fns["textdecodebase64"] = textDecodeBase64Func
	fns["urlencode"] = stringFunc(func(s string) (string, error) { return url.QueryEscape(s), nil })
	fns["basename"] = stringFunc(func(s string) (string, error) { return filepath.Base(s), nil })
	fns["dirname"] = stringFunc(func(s string) (string, error) { return filepath.Dir(s), nil })
	fns["uuidv5"] = uuidv5Func

	hashes := map[string]func() hash.Hash{"md5": md5.New, "sha1": sha1.New, "sha256": sha256.New, "sha512": sha512.New}
	for name, h := range hashes {
		fns[name] = stringFunc(hexHash(h))
		fns["file"+name] = l.fileBytesFunc(func(b []byte) string { return hexOf(h, b) })
	}
	for _, name := range []string{"sha256", "sha512"} {
		h := hashes[name]
		fns["base64"+name] = stringFunc(func(s string) (string, error) { return base64Of(h, []byte(s)), nil })
		fns["filebase64"+name] = l.fileBytesFunc(func(b []byte) string { return base64Of(h, b) })
	}
	fns["filebase64"] = l.fileBytesFunc(func(b []byte) string { return base64.StdEncoding.EncodeToString(b) })
	fns["fileexists"] = l.fileExistsFunc()
	fns["fileset"] = l.fileSetFunc()
	fns["templatefile"] = l.templateFileFunc(fns)
	addYAMLFunctions(fns)
	for name, why := range impureFunctions {
		fns[name] = refusedFunc(name, why)
	}
}

// impureFunctions are Terraform's functions whose result is not fixed by
// the configuration and its inputs. They are refused with the reason
// rather than unknown, since a Terraform user will reach for them.
var impureFunctions = map[string]string{
	"timestamp":     "it gives a new result every run, so apply could not replay the plan; pass the time as a variable",
	"plantimestamp": "a saved plan is applied later, and the plan must be replayable from its inputs; pass the time as a variable",
	"uuid":          "it gives a new result every run, so apply could not replay the plan; use uuidv5(namespace, name)",
	"bcrypt":        "its salt is random, so every run gives a new hash and apply could not replay the plan",
	"abspath":       "its result depends on the machine, so a plan made on one could not be applied on another; use a path relative to the configuration",
	"pathexpand":    "its result depends on the user's home directory; use a path relative to the configuration",
}

func refusedFunc(name, why string) function.Function {
	return function.New(&function.Spec{
		VarParam: &function.Parameter{Name: "args", Type: cty.DynamicPseudoType, AllowNull: true, AllowUnknown: true, AllowDynamicType: true, AllowMarked: true},
		Type:     function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
			return cty.NilVal, fmt.Errorf("%s() is not available in Switchboard: %s", name, why)
		},
	})
}

// stringFunc is a function of one string to a string. Marks go through, as
// with every cty function: sha256(var.secret) is still sensitive.
func stringFunc(f func(string) (string, error)) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "str", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			s, err := f(args[0].AsString())
			if err != nil {
				return cty.NilVal, err
			}
			return cty.StringVal(s), nil
		},
	})
}

func hexOf(h func() hash.Hash, b []byte) string {
	x := h()
	x.Write(b)
	return hex.EncodeToString(x.Sum(nil))
}

func base64Of(h func() hash.Hash, b []byte) string {
	x := h()
	x.Write(b)
	return base64.StdEncoding.EncodeToString(x.Sum(nil))
}

func hexHash(h func() hash.Hash) func(string) (string, error) {
	return func(s string) (string, error) { return hexOf(h, []byte(s)), nil }
}

// base64Decode refuses a result that is not UTF-8, as Terraform does:
// strings are Unicode text, and bytes that are not would be mangled.
// The error never quotes the input, which may be a secret.
func base64Decode(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", errors.New("the string is not valid base64")
	}
	if !utf8.Valid(b) {
		return "", errors.New("the result of decoding the base64 data is not valid UTF-8")
	}
	return string(b), nil
}

func base64Gzip(s string) (string, error) {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		return "", err
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

// replaceFunc is Terraform's replace: a substring written between slashes
// is a regular expression (RE2, with $1 for groups), anything else is
// replaced literally.
var replaceFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "str", Type: cty.String},
		{Name: "substr", Type: cty.String},
		{Name: "replace", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		str, substr, repl := args[0].AsString(), args[1].AsString(), args[2].AsString()
		if len(substr) > 1 && strings.HasPrefix(substr, "/") && strings.HasSuffix(substr, "/") {
			re, err := regexp.Compile(substr[1 : len(substr)-1])
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(1, "invalid regular expression: %s", err)
			}
			return cty.StringVal(re.ReplaceAllString(str, repl)), nil
		}
		return cty.StringVal(strings.ReplaceAll(str, substr, repl)), nil
	},
})

// lookupFunc is Terraform's lookup: the default is optional, may be null,
// and on a map must convert to the element type.
var lookupFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "inputMap", Type: cty.DynamicPseudoType, AllowMarked: true},
		{Name: "key", Type: cty.String, AllowMarked: true},
	},
	VarParam: &function.Parameter{
		Name: "default", Type: cty.DynamicPseudoType,
		AllowUnknown: true, AllowDynamicType: true, AllowNull: true, AllowMarked: true,
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		if len(args) > 3 {
			return cty.NilType, errors.New("lookup() takes a map, a key and an optional default")
		}
		ty := args[0].Type()
		switch {
		case ty.IsObjectType():
			key, _ := args[1].Unmark()
			if !key.IsKnown() {
				return cty.DynamicPseudoType, nil
			}
			if ty.HasAttribute(key.AsString()) {
				return ty.AttributeType(key.AsString()), nil
			}
			if len(args) == 3 {
				return args[2].Type(), nil
			}
			return cty.NilType, function.NewArgErrorf(0, "the given object has no attribute %q", key.AsString())
		case ty.IsMapType():
			if len(args) == 3 {
				if _, err := convert.Convert(args[2], ty.ElementType()); err != nil {
					return cty.NilType, function.NewArgErrorf(2, "the default value must have the same type as the map elements")
				}
			}
			return ty.ElementType(), nil
		case ty == cty.DynamicPseudoType:
			return cty.DynamicPseudoType, nil
		}
		return cty.NilType, function.NewArgErrorf(0, "lookup() requires a map as the first argument")
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		m, mMarks := args[0].Unmark()
		key, keyMarks := args[1].Unmark()
		marks := []cty.ValueMarks{mMarks, keyMarks}
		k := key.AsString()
		if !m.IsKnown() {
			return cty.UnknownVal(retType).WithMarks(marks...), nil
		}
		var found cty.Value
		switch {
		case m.Type().IsObjectType():
			if m.Type().HasAttribute(k) {
				found = m.GetAttr(k)
			}
		case !m.IsNull() && m.HasIndex(key).True():
			found = m.Index(key)
		}
		if found != cty.NilVal {
			v, err := convert.Convert(found, retType)
			return v.WithMarks(marks...), err
		}
		if len(args) == 3 {
			v, err := convert.Convert(args[2], retType)
			return v.WithMarks(marks...), err
		}
		return cty.NilVal, fmt.Errorf("lookup failed to find key %q", k)
	},
})

// lengthFunc is Terraform's length, which also counts the characters
// (grapheme clusters, as substr does) of a string.
var lengthFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowDynamicType: true, AllowUnknown: true, AllowMarked: true}},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		if ty == cty.String || ty == cty.DynamicPseudoType || ty.IsCollectionType() || ty.IsTupleType() || ty.IsObjectType() {
			return cty.Number, nil
		}
		return cty.NilType, function.NewArgErrorf(0, "argument must be a string, a collection type, or a structural type")
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v, marks := args[0].Unmark()
		if v.Type() == cty.String {
			if !v.IsKnown() {
				return cty.UnknownVal(cty.Number).WithMarks(marks), nil
			}
			if v.IsNull() {
				return cty.NilVal, function.NewArgErrorf(0, "argument must not be null")
			}
			n, err := textseg.TokenCount([]byte(v.AsString()), textseg.ScanGraphemeClusters)
			if err != nil {
				return cty.NilVal, err
			}
			return cty.NumberIntVal(int64(n)).WithMarks(marks), nil
		}
		if !v.IsKnown() || v.Type() == cty.DynamicPseudoType {
			return cty.UnknownVal(cty.Number).WithMarks(marks), nil
		}
		if v.IsNull() {
			return cty.NilVal, function.NewArgErrorf(0, "argument must not be null")
		}
		return v.Length().WithMarks(marks), nil
	},
})

// indexFunc is Terraform's index, which, unlike cty's, also searches a
// tuple (what ["a", "b"] is).
var indexFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "list", Type: cty.DynamicPseudoType},
		{Name: "value", Type: cty.DynamicPseudoType},
	},
	Type: function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		list, value := args[0], args[1]
		if ty := list.Type(); !ty.IsListType() && !ty.IsTupleType() {
			return cty.NilVal, function.NewArgErrorf(0, "argument must be a list or tuple")
		}
		if !list.IsWhollyKnown() || !value.IsKnown() {
			return cty.UnknownVal(cty.Number), nil
		}
		if list.IsNull() {
			return cty.NilVal, function.NewArgErrorf(0, "argument must not be null")
		}
		i := int64(0)
		for it := list.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			if eq := e.Equals(value); eq.IsKnown() && eq.True() {
				return cty.NumberIntVal(i), nil
			}
		}
		return cty.NilVal, errors.New("item not found")
	},
})

// oneFunc is Terraform's one: null for an empty list, set or tuple, its
// element for one element, an error for more.
var oneFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowDynamicType: true}},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		switch {
		case ty == cty.DynamicPseudoType:
			return cty.DynamicPseudoType, nil
		case ty.IsListType() || ty.IsSetType():
			return ty.ElementType(), nil
		case ty.IsTupleType():
			switch len(ty.TupleElementTypes()) {
			case 0:
				return cty.DynamicPseudoType, nil
			case 1:
				return ty.TupleElementTypes()[0], nil
			}
		}
		return cty.NilType, function.NewArgErrorf(0, "must be a list, set, or tuple value with either zero or one elements")
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		v := args[0]
		if !v.IsKnown() {
			return cty.UnknownVal(retType), nil
		}
		if v.IsNull() {
			return cty.NilVal, function.NewArgErrorf(0, "argument must not be null")
		}
		switch v.LengthInt() {
		case 0:
			return cty.NullVal(retType), nil
		case 1:
			it := v.ElementIterator()
			it.Next()
			_, e := it.Element()
			return e, nil
		}
		return cty.NilVal, function.NewArgErrorf(0, "must be a list, set, or tuple value with either zero or one elements")
	},
})

// sumFunc is Terraform's sum of a non-empty list, set or tuple of numbers.
var sumFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
	Type:   function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v := args[0]
		ty := v.Type()
		if !ty.IsListType() && !ty.IsSetType() && !ty.IsTupleType() {
			return cty.NilVal, function.NewArgErrorf(0, "argument must be list, set, or tuple. Received %s", ty.FriendlyName())
		}
		if !v.IsWhollyKnown() {
			return cty.UnknownVal(cty.Number), nil
		}
		if v.LengthInt() == 0 {
			return cty.NilVal, function.NewArgErrorf(0, "cannot sum an empty list")
		}
		total := new(big.Float)
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsNull() {
				return cty.NilVal, function.NewArgErrorf(0, "argument must be list, set, or tuple of number values")
			}
			n, err := convert.Convert(e, cty.Number)
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "argument must be list, set, or tuple of number values")
			}
			total.Add(total, n.AsBigFloat())
		}
		return cty.NumberVal(total), nil
	},
})

// transposeFunc is Terraform's transpose of a map of lists of strings.
var transposeFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "values", Type: cty.Map(cty.List(cty.String))}},
	Type:   function.StaticReturnType(cty.Map(cty.List(cty.String))),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		out := map[string][]cty.Value{}
		for it := args[0].ElementIterator(); it.Next(); {
			k, list := it.Element()
			if list.IsNull() {
				return cty.NilVal, function.NewArgErrorf(0, "the lists in the map must not be null")
			}
			for lit := list.ElementIterator(); lit.Next(); {
				_, e := lit.Element()
				if e.IsNull() {
					return cty.NilVal, function.NewArgErrorf(0, "the strings in the lists must not be null")
				}
				out[e.AsString()] = append(out[e.AsString()], k)
			}
		}
		if len(out) == 0 {
			return cty.MapValEmpty(cty.List(cty.String)), nil
		}
		m := make(map[string]cty.Value, len(out))
		for k, v := range out {
			m[k] = cty.ListVal(v)
		}
		return cty.MapVal(m), nil
	},
})

// matchkeysFunc is Terraform's matchkeys: the values whose key, at the
// same index, is in searchset.
var matchkeysFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "values", Type: cty.List(cty.DynamicPseudoType)},
		{Name: "keys", Type: cty.List(cty.DynamicPseudoType)},
		{Name: "searchset", Type: cty.List(cty.DynamicPseudoType)},
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty, _ := convert.UnifyUnsafe([]cty.Type{args[1].Type(), args[2].Type()})
		if ty == cty.NilType {
			return cty.NilType, errors.New("keys and searchset must be of the same type")
		}
		return args[0].Type(), nil
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		values, keys, search := args[0], args[1], args[2]
		if values.LengthInt() != keys.LengthInt() {
			return cty.NilVal, errors.New("length of keys and values should be equal")
		}
		if values.LengthInt() == 0 {
			return cty.ListValEmpty(retType.ElementType()), nil
		}
		ty, _ := convert.UnifyUnsafe([]cty.Type{keys.Type(), search.Type()})
		keys, _ = convert.Convert(keys, ty)
		search, _ = convert.Convert(search, ty)
		var out []cty.Value
		i := 0
		for it := keys.ElementIterator(); it.Next(); i++ {
			_, k := it.Element()
			for sit := search.ElementIterator(); sit.Next(); {
				_, s := sit.Element()
				if eq := k.Equals(s); eq.IsKnown() && eq.True() {
					out = append(out, values.Index(cty.NumberIntVal(int64(i))))
					break
				}
			}
		}
		if len(out) == 0 {
			return cty.ListValEmpty(retType.ElementType()), nil
		}
		return cty.ListVal(out), nil
	},
})

// timecmpFunc is Terraform's timecmp of two RFC 3339 timestamps: -1, 0 or
// 1 as a is before, at or after b.
var timecmpFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "timestamp_a", Type: cty.String}, {Name: "timestamp_b", Type: cty.String}},
	Type:   function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		var ts [2]time.Time
		for i := range ts {
			t, err := time.Parse(time.RFC3339, args[i].AsString())
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(i, "not a valid RFC3339 timestamp: %s", err)
			}
			ts[i] = t
		}
		return cty.NumberIntVal(int64(ts[0].Compare(ts[1]))), nil
	},
})

// issensitiveFunc is Terraform's issensitive.
var issensitiveFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowNull: true, AllowMarked: true, AllowDynamicType: true}},
	Type:   function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.BoolVal(args[0].HasMark(Sensitive)), nil
	},
})

// uuidNamespaces are the namespaces of RFC 4122 that uuidv5 knows by name.
var uuidNamespaces = map[string]string{
	"dns":  "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
	"url":  "6ba7b811-9dad-11d1-80b4-00c04fd430c8",
	"oid":  "6ba7b812-9dad-11d1-80b4-00c04fd430c8",
	"x500": "6ba7b814-9dad-11d1-80b4-00c04fd430c8",
}

// uuidv5Func is Terraform's uuidv5: a name-based UUID (SHA-1), the same
// for the same namespace and name, unlike uuid().
var uuidv5Func = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "namespace", Type: cty.String}, {Name: "name", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		ns := args[0].AsString()
		if known, ok := uuidNamespaces[ns]; ok {
			ns = known
		}
		raw, err := parseUUID(ns)
		if err != nil {
			return cty.NilVal, fmt.Errorf("uuidv5() doesn't support namespace %s (use dns, url, oid, x500 or a UUID)", args[0].AsString())
		}
		h := sha1.New()
		h.Write(raw)
		h.Write([]byte(args[1].AsString()))
		u := h.Sum(nil)[:16]
		u[6] = u[6]&0x0f | 0x50
		u[8] = u[8]&0x3f | 0x80
		x := hex.EncodeToString(u)
		return cty.StringVal(x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]), nil
	},
})

func parseUUID(s string) ([]byte, error) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return nil, errors.New("not a UUID")
	}
	return hex.DecodeString(strings.ReplaceAll(s, "-", ""))
}

// textEncodeBase64Func is Terraform's textencodebase64(string, encoding):
// the string in an IANA character encoding (UTF-16LE for Windows, say),
// as base64.
var textEncodeBase64Func = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "string", Type: cty.String}, {Name: "encoding", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		enc, err := ianaEncoding(args[1].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgErrorf(1, "%s", err)
		}
		b, err := enc.NewEncoder().Bytes([]byte(args[0].AsString()))
		if err != nil {
			return cty.NilVal, function.NewArgErrorf(0, "the string has characters that %s cannot represent", args[1].AsString())
		}
		return cty.StringVal(base64.StdEncoding.EncodeToString(b)), nil
	},
})

// textDecodeBase64Func is Terraform's textdecodebase64(source, encoding),
// the reverse of textencodebase64.
var textDecodeBase64Func = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "source", Type: cty.String}, {Name: "encoding", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		enc, err := ianaEncoding(args[1].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgErrorf(1, "%s", err)
		}
		raw, err := base64.StdEncoding.DecodeString(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgErrorf(0, "the string is not valid base64")
		}
		b, err := enc.NewDecoder().Bytes(raw)
		if err != nil || !utf8.Valid(b) {
			return cty.NilVal, function.NewArgErrorf(0, "the data is not valid %s", args[1].AsString())
		}
		return cty.StringVal(string(b)), nil
	},
})

func ianaEncoding(name string) (encoding.Encoding, error) {
	enc, err := ianaindex.IANA.Encoding(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not a supported IANA encoding name or alias", name)
	}
	if enc == nil {
		return nil, fmt.Errorf("the encoding %q is not supported", name)
	}
	return enc, nil
}
