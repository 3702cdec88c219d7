package config

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// trickySources are top-level layouts where a cut at the wrong line would
// change the meaning: each must parse in chunks exactly as it parses whole.
var trickySources = map[string]string{
	"heredoc holding a block": "a = <<EOT\n}\nglow_provider \"x\" {\n}\nEOT\nglow {}\nb = <<-EOT\n    }\n    EOT\nvault {}\n",
	"block comment":           "/*\nglow_provider \"x\" {\n}\n*/\nglow {}\n/* one */ gateflow {}\n",
	"line comments":           "# glow {\n// }\nglow {}\n# }\nvault {}\n",
	"multi-line template":     "locals {\n  a = \"${\n  1\n  }\"\n}\nglow {}\nx = \"${\n1 +\n2}\"\n",
	"escaped quotes":          "a = \"\\\"}\"\nb = \"\\\\\"\nglow {}\n",
	"expression over lines":   "a = [\n1,\n2,\n]\nb = (\n1\n+ 2)\nc = {\nd = 1\n}\n",
	"crlf":                    "glow {}\r\ngateflow {}\r\nvault {\r\n}\r\na = 1\r\n",
	"byte order mark":         "\ufeffglow {}\nvault {}\n",
	"no final newline":        "glow {}\nvault {}",
	"blank lines":             "\n\n\nglow {}\n\n\n\nvault {}\n\n",
	"duplicate argument":      "a = 1\nglow {}\na = 2\n",
	"syntax error late":       "glow {}\nvault {}\ngateflow {\n",
	"unclosed heredoc":        "glow {}\na = <<EOT\nglow {}\n",
	"unclosed comment":        "glow {}\n/*\nglow {}\n",
	"template directives":     "a = <<EOT\n%{ for x in [1] }\n}\n%{ endfor }\nEOT\nglow {}\n",
	"nested blocks":           "glow_provider \"a\" {\n  key \"k\" {\n    value = 1\n  }\n}\nglow_provider \"b\" {\n  key \"k\" {\n  }\n}\n",
}

// TestParseInChunksIsAWholeParse parses every HCL file of the repository,
// and trickySources, at chunk sizes down to one byte, and wants the body
// and diagnostics that hclsyntax.ParseConfig gives the whole file.
func TestParseInChunksIsAWholeParse(t *testing.T) {
	sources := map[string][]byte{}
	for name, src := range trickySources {
		sources[name] = []byte(src)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".hcl") || strings.HasSuffix(path, ".sbvars")) {
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			sources[rel] = src
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sources) < 40 {
		t.Fatalf("found %d sources; the walk of the repository went wrong", len(sources))
	}
	chunked := 0
	for name, src := range sources {
		if d, _ := checkNestingAndSplit(src, name, false); d != nil {
			continue
		}
		want, wantDiags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		for _, size := range []int{1, 16, 256} {
			_, breaks := checkNestingAndSplit(src, name, false)
			got, gotDiags := parseHCLInChunks(src, name, breaks, size)
			if got.Nav == nil {
				chunked++
			}
			if !reflect.DeepEqual(got.Body, want.Body) {
				t.Errorf("%s in chunks of %d: the body differs from a whole parse", name, size)
			}
			if fmt.Sprint(gotDiags) != fmt.Sprint(wantDiags) {
				t.Errorf("%s in chunks of %d: diagnostics\n%v\nwant\n%v", name, size, gotDiags, wantDiags)
			}
			if string(got.Bytes) != string(src) {
				t.Errorf("%s in chunks of %d: the file's bytes are not its source", name, size)
			}
		}
	}
	// A chunked parse is marked by having no navigation (ParseConfig's
	// own files always have one): without this, every source could have
	// fallen back to a whole parse and the comparison proved nothing.
	t.Logf("%d of %d parses went in chunks", chunked, 3*len(sources))
	if chunked < len(sources) {
		t.Errorf("only %d of %d parses went in chunks", chunked, 3*len(sources))
	}
}

// TestParseFallsBackToAWholeParse: a source whose chunks do not parse on
// their own gets the whole file's parse, diagnostics and all.
func TestParseFallsBackToAWholeParse(t *testing.T) {
	for _, name := range []string{"duplicate argument", "syntax error late", "unclosed heredoc", "unclosed comment"} {
		src := []byte(trickySources[name])
		_, breaks := checkNestingAndSplit(src, name, false)
		got, diags := parseHCLInChunks(src, name, breaks, 1)
		if got.Nav == nil {
			t.Errorf("%s: parsed in chunks; want the whole file's parse", name)
		}
		if !diags.HasErrors() {
			t.Errorf("%s: no error", name)
		}
	}
}
