package config

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// shownText is every text of diags a renderer may show: summaries,
// details and the snippet lines of the files they name. The command
// line's views render exactly these (with positions and colours), so a
// secret absent here is absent from what they print.
func shownText(t *testing.T, diags hcl.Diagnostics) string {
	t.Helper()
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.Summary + "\n" + d.Detail + "\n")
		if d.Subject == nil {
			continue
		}
		src, _ := os.ReadFile(d.Subject.Filename)
		if s := DiagnosticSnippet(d, src); s != nil {
			for _, l := range s.Lines {
				b.WriteString(l.Text + "\n")
			}
		}
	}
	js, err := json.Marshal(NewValidateJSON(diags))
	if err != nil {
		t.Fatal(err)
	}
	b.Write(js)
	return b.String()
}

func TestDiagnosticSnippet(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": "glow {\n\turl = \"ftp://x\"\n}\n"})
	_, diags := Load(dir, LoadOptions{Env: noEnv})
	if len(diags) != 1 || diags[0].Summary != "Invalid URL" || diags[0].Detail != `"ftp://x" is not an absolute http or https URL.` {
		t.Fatalf("diagnostics: %v", diags)
	}
	src, err := os.ReadFile(filepath.Join(dir, "main.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	got := DiagnosticSnippet(diags[0], src)
	want := &Snippet{Lines: []SnippetLine{{Number: 2, Text: "\turl = \"ftp://x\"", From: 8, To: 17}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("snippet %+v, want %+v", got, want)
	}
	// A range over a whole block shows its first three lines, each
	// underlined to its end but the last.
	long := &hcl.Diagnostic{Subject: &hcl.Range{Filename: "x", Start: hcl.Pos{Line: 1, Column: 3}, End: hcl.Pos{Line: 5, Column: 2}}}
	got = DiagnosticSnippet(long, []byte("ab\r\ncdef\ng\nh\ni\n"))
	want = &Snippet{Lines: []SnippetLine{{1, "ab", 3, 4}, {2, "cdef", 1, 5}, {3, "g", 1, 2}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("long range %+v, want %+v", got, want)
	}
	if s := DiagnosticSnippet(long, nil); s != nil {
		t.Errorf("a file that could not be read: %+v", s)
	}
	hideSnippet(long)
	if s := DiagnosticSnippet(long, []byte("a\n")); s != nil {
		t.Errorf("a hidden snippet: %+v", s)
	}
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(NewValidateJSON(diags)); err != nil || !strings.Contains(b.String(), `"valid":false`) {
		t.Errorf("json: %v %s", err, b.String())
	}
}
