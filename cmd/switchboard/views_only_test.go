package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Separate programs with their own output, not part of what the module's
// packages and commands print: tools/ (vault-dev, its own module), bench/
// and soak/ (the measurement harnesses, which print their reports).
var printingPrograms = []string{"tools", "bench", "soak"}

// The Terraform provider's binary talks to Terraform over gRPC and has no
// views; its one print, log.Fatal when serving fails, is what Terraform
// shows as the plugin's error.
var providerMain = "cmd/terraform-provider-switchboard/main.go"

// TestOnlyViewsPrint parses every non-test Go file of the module and fails,
// naming file:line, on any way to print outside cmd/switchboard/views:
// os.Stdout, os.Stderr, fmt.Print*, log.Print*, log.Fatal*, log.Panic*
// (the standard logger's stderr), print and println anywhere; and in
// cmd/switchboard, a write (fmt.Fprint*, io.WriteString, io.Copy, Write)
// to cmd.OutOrStdout(), cmd.ErrOrStderr() or a stream's Out and Err,
// directly, through a variable holding one or through a parameter of type
// io.Writer. The one reference to the
// process's descriptors is views.Standard.
func TestOnlyViewsPrint(t *testing.T) {
	root := filepath.Join("..", "..")
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			for _, p := range printingPrograms {
				if rel == p {
					return filepath.SkipDir
				}
			}
			if rel == "cmd/switchboard/views" || name == "testdata" || name == "bin" || (strings.HasPrefix(name, ".") && rel != ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		found = append(found, printsIn(t, path, rel, filepath.Dir(rel) == "cmd/switchboard")...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Errorf("printing outside cmd/switchboard/views (give the command a view method instead):\n  %s", strings.Join(found, "\n  "))
	}
}

// printsIn lists the prints of one file; cli adds the rules of
// cmd/switchboard.
func printsIn(t *testing.T, path, rel string, cli bool) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	// The local names of the packages that matter.
	names := map[string]string{}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		name := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		switch p {
		case "os", "fmt", "io", "log":
			names[name] = p
		}
	}
	pkgSel := func(e ast.Expr) (pkg, sel string) {
		s, ok := e.(*ast.SelectorExpr)
		if !ok {
			return "", ""
		}
		id, ok := s.X.(*ast.Ident)
		if !ok {
			return "", ""
		}
		return names[id.Name], s.Sel.Name
	}
	var found []string
	report := func(n ast.Node, what string) {
		found = append(found, fmt.Sprintf("%s:%d: %s", rel, fset.Position(n.Pos()).Line, what))
	}
	// Variables that hold a stream writer, per file: out := cmd.OutOrStdout().
	held := map[string]bool{}
	var streamWriter func(e ast.Expr) bool
	streamWriter = func(e ast.Expr) bool {
		switch e := e.(type) {
		case *ast.CallExpr:
			if s, ok := e.Fun.(*ast.SelectorExpr); ok {
				switch s.Sel.Name {
				case "OutOrStdout", "ErrOrStderr", "OutOrStderr":
					return true
				}
			}
		case *ast.SelectorExpr:
			return e.Sel.Name == "Out" || e.Sel.Name == "Err"
		case *ast.Ident:
			return held[e.Name]
		case *ast.ParenExpr:
			return streamWriter(e.X)
		}
		return false
	}
	// Parameters of type io.Writer are where a caller's output goes: in
	// cmd/switchboard, that is the command's.
	ast.Inspect(f, func(n ast.Node) bool {
		if ft, ok := n.(*ast.FuncType); ok && cli && ft.Params != nil {
			for _, p := range ft.Params.List {
				if pkg, sel := pkgSel(p.Type); pkg == "io" && sel == "Writer" {
					for _, id := range p.Names {
						held[id.Name] = true
					}
				}
			}
		}
		return true
	})
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if pkg, sel := pkgSel(n); pkg == "os" && (sel == "Stdout" || sel == "Stderr") {
				report(n, "os."+sel)
			}
		case *ast.AssignStmt:
			if cli && len(n.Lhs) == len(n.Rhs) {
				for i, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok && streamWriter(n.Rhs[i]) {
						held[id.Name] = true
					}
				}
			}
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && (id.Name == "print" || id.Name == "println") {
				report(n, id.Name)
			}
			pkg, sel := pkgSel(n.Fun)
			switch {
			case pkg == "fmt" && (sel == "Print" || sel == "Printf" || sel == "Println"):
				report(n, "fmt."+sel)
			case pkg == "log" && rel != providerMain && (strings.HasPrefix(sel, "Print") || strings.HasPrefix(sel, "Fatal") || strings.HasPrefix(sel, "Panic")):
				// The standard logger writes to os.Stderr.
				report(n, "log."+sel)
			case !cli:
			case pkg == "fmt" && strings.HasPrefix(sel, "Fprint") && len(n.Args) > 0 && streamWriter(n.Args[0]),
				pkg == "io" && (sel == "WriteString" || sel == "Copy") && len(n.Args) > 0 && streamWriter(n.Args[0]):
				report(n, pkg+"."+sel+" to the command's output")
			case pkg == "":
				if s, ok := n.Fun.(*ast.SelectorExpr); ok && s.Sel.Name == "Write" && streamWriter(s.X) {
					report(n, "Write to the command's output")
				}
			}
		}
		return true
	})
	return found
}

// The check must see each way to print, or it proves nothing.
func TestOnlyViewsPrintSeesPrints(t *testing.T) {
	dir := t.TempDir()
	src := `package main

import (
	"fmt"
	"io"
	"log"
	xos "os"
)

func f(cmd interface{ OutOrStdout() io.Writer }, s struct{ Out, Err io.Writer }) {
	fmt.Println("a")
	fmt.Fprintln(xos.Stderr, "b")
	fmt.Fprintf(cmd.OutOrStdout(), "c")
	out := cmd.OutOrStdout()
	fmt.Fprint(out, "d")
	_, _ = out.Write(nil)
	_, _ = io.WriteString(s.Err, "e")
	println("f")
	var b fmt.Stringer
	fmt.Fprintf(io.Discard, "%v", b) // not a print
}

func g(w io.Writer) { fmt.Fprintln(w, "g"); log.Printf("h") }
`
	path := filepath.Join(dir, "x.go")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := printsIn(t, path, "x.go", true)
	want := []string{
		"x.go:11: fmt.Println", "x.go:12: os.Stderr", "x.go:13: fmt.Fprintf to the command's output",
		"x.go:15: fmt.Fprint to the command's output", "x.go:16: Write to the command's output",
		"x.go:17: io.WriteString to the command's output", "x.go:18: println",
		"x.go:23: fmt.Fprintln to the command's output", "x.go:23: log.Printf",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
