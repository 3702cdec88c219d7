package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

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
