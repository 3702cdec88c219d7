package config

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aymanbagabas/go-udiff"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// FormatSource returns src in canonical style. Like terraform fmt, it
// refuses a file with syntax errors, since reformatting broken tokens can
// make the mistake harder to find.
func FormatSource(filename string, src []byte) ([]byte, hcl.Diagnostics) {
	if d := checkNesting(src, filename, false); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	_, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	return hclwrite.Format(src), nil
}

// FormatTargets lists the files fmt works on: path itself when it is a
// file, else the *.hcl and *.sbvars files in it (and, with recursive, below
// it, skipping hidden directories), sorted: variable files too, as
// terraform fmt formats *.tfvars. JSON files are left alone, as terraform
// fmt does.
func FormatTargets(path string, recursive bool) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && (!recursive || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if (strings.HasSuffix(d.Name(), ".hcl") || strings.HasSuffix(d.Name(), VarFileSuffix)) && !strings.HasPrefix(d.Name(), ".") && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// UnifiedDiff returns the changes from a to b as a unified diff with three
// lines of context, under the names oldName and newName; "" when they are
// equal. The diff is Myers' algorithm in linear space (go-udiff, a copy of
// the Go tools' internal diff): import writes every provider into one file,
// and a table of all line pairs of a 10,000-provider file would take
// gigabytes.
func UnifiedDiff(oldName, newName string, a, b []byte) string {
	if bytes.Equal(a, b) {
		return ""
	}
	old := string(a)
	d, err := udiff.ToUnified(oldName, newName, old, udiff.Lines(old, string(b)), udiff.DefaultContextLines)
	if err != nil {
		// The edits come from the same two texts: they always apply.
		panic("config: inconsistent line edits: " + err.Error())
	}
	return d
}
