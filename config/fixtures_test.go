package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// wantDiag is a diagnostic as the fixture tests pin it: where it is and
// what it says.
type wantDiag struct {
	file     string // base name; "" for a diagnostic without a range
	line     int
	column   int
	severity string
	summary  string
}

func severityName(s hcl.DiagnosticSeverity) string {
	if s == hcl.DiagWarning {
		return "warning"
	}
	return "error"
}

// noEnv is an empty environment, so that the machine's variables do not
// leak into the tests.
func noEnv(string) (string, bool) { return "", false }

// fixtureDiagnostics is, for each directory of testdata/fixtures, the
// diagnostics loading it must give, in order.
var fixtureDiagnostics = map[string][]wantDiag{
	"duplicate_gateflow_provider": {
		{"main.hcl", 1, 28, "error", "Missing Gateflow credentials"},
		{"main.hcl", 3, 28, "error", "Missing Gateflow credentials"},
		{"main.hcl", 4, 17, "error", "Duplicate Gateflow provider"},
	},
	"duplicate_glow_block": {
		{"main.hcl", 2, 1, "error", "Duplicate glow block"},
	},
	"duplicate_id": {
		{"main.hcl", 6, 10, "error", "Duplicate provider id"},
	},
	"duplicate_key_block": {
		{"main.hcl", 6, 3, "error", "Duplicate key block"},
	},
	"duplicate_lifecycle": {
		{"main.hcl", 6, 3, "error", "Duplicate lifecycle block"},
	},
	"duplicate_local": {
		{"main.hcl", 5, 3, "error", "Duplicate local value definition"},
	},
	"duplicate_name_department": {
		{"main.hcl", 6, 17, "error", "Duplicate provider name"},
	},
	"duplicate_name_for_each": {
		{"main.hcl", 3, 17, "error", "Duplicate provider name"},
	},
	"duplicate_name_global": {
		{"main.hcl", 5, 10, "error", "Duplicate provider name"},
	},
	"duplicate_provider_block": {
		{"other.hcl", 2, 1, "error", "Duplicate glow_provider block"},
	},
	"duplicate_variable": {
		{"main.hcl", 4, 1, "error", "Duplicate variable declaration"},
	},
	"each_without_for_each": {
		{"main.hcl", 2, 10, "error", "Reference to \"each\" in context without for_each"},
	},
	"empty_dir": {
		{"", 0, 0, "error", "No configuration files"},
	},
	"empty_values": {
		{"main.hcl", 2, 17, "error", "Empty provider name"},
		{"main.hcl", 3, 24, "error", "Empty department"},
		{"main.hcl", 4, 47, "error", "Duplicate endpoint"},
	},
	"env_empty_warning": {
		{"main.hcl", 4, 13, "warning", "Empty secret from the environment"},
	},
	"for_each_duplicate_key": {
		{"main.hcl", 5, 39, "error", "Duplicate object key"},
	},
	"for_each_list": {
		{"main.hcl", 2, 14, "error", "Invalid for_each argument"},
	},
	"for_each_null": {
		{"main.hcl", 2, 14, "error", "Invalid for_each argument"},
	},
	"for_each_sensitive": {
		{"main.hcl", 2, 14, "error", "Invalid for_each argument"},
	},
	"for_each_set_of_numbers": {
		{"main.hcl", 2, 14, "error", "Invalid for_each argument"},
	},
	"for_each_string": {
		{"main.hcl", 2, 14, "error", "Invalid for_each argument"},
	},
	"invalid_default": {
		{"main.hcl", 3, 13, "error", "Invalid default value for variable"},
	},
	"invalid_each_attribute": {
		{"main.hcl", 3, 14, "error", "Invalid \"each\" attribute"},
	},
	"invalid_provider_label": {
		{"main.hcl", 1, 15, "error", "Invalid provider name"},
	},
	"invalid_reference": {
		{"main.hcl", 2, 10, "error", "Invalid reference"},
	},
	"invalid_setting": {
		{"main.hcl", 1, 28, "error", "Missing Gateflow credentials"},
		{"main.hcl", 4, 5, "error", "Unsupported Gateflow setting"},
	},
	"invalid_type": {
		{"main.hcl", 2, 10, "error", "Invalid type specification"},
	},
	"invalid_urls": {
		{"main.hcl", 2, 9, "error", "Invalid URL"},
		{"main.hcl", 5, 9, "error", "Invalid URL"},
		{"main.hcl", 8, 13, "error", "Invalid URL"},
		{"main.hcl", 12, 45, "error", "Invalid URL"},
		{"main.hcl", 12, 58, "error", "Invalid URL"},
	},
	"json_errors": {
		{"main.hcl.json", 5, 20, "error", "Invalid URL"},
		{"main.hcl.json", 8, 20, "error", "Secret written in the configuration"},
	},
	"key_without_value": {
		{"main.hcl", 4, 17, "error", "Missing required argument"},
	},
	"literal_credential": {
		{"main.hcl", 3, 23, "error", "Secret written in the configuration"},
	},
	"literal_key": {
		{"main.hcl", 4, 13, "error", "Secret written in the configuration"},
	},
	"literal_token": {
		{"main.hcl", 2, 11, "error", "Secret written in the configuration"},
		{"main.hcl", 5, 15, "error", "Secret written in the configuration"},
	},
	"local_cycle": {
		{"main.hcl", 2, 3, "error", "Circular reference between local values"},
	},
	"missing_name": {
		{"main.hcl", 1, 19, "error", "Missing required argument"},
	},
	"missing_variables": {
		{"main.hcl", 1, 1, "error", "No value for required variables"},
	},
	"secret_from_variable": {
		{"main.hcl", 10, 11, "error", "Secret from a non-sensitive variable"},
		{"main.hcl", 15, 13, "error", "Secret from a variable"},
	},
	"sensitive_in_plain": {
		{"main.hcl", 3, 17, "error", "Sensitive value in a non-secret argument"},
		{"main.hcl", 4, 17, "error", "Sensitive value in a non-secret argument"},
	},
	"syntax_error": {
		{"main.hcl", 4, 1, "error", "Invalid expression"},
	},
	"type_error": {
		{"main.hcl", 3, 17, "error", "Incorrect attribute value type"},
	},
	"undeclared_local": {
		{"main.hcl", 2, 10, "error", "Reference to undeclared local value"},
	},
	"undeclared_variable": {
		{"main.hcl", 2, 10, "error", "Reference to undeclared input variable"},
	},
	"unknown_attribute": {
		{"main.hcl", 3, 3, "error", "Unsupported argument"},
	},
	"unknown_block": {
		{"main.hcl", 1, 1, "error", "Unsupported block type"},
	},
	"unknown_function": {
		{"main.hcl", 2, 10, "error", "Call to unknown function"},
	},
	"unsupported_gateflow_provider": {
		{"main.hcl", 1, 19, "error", "Unsupported Gateflow provider"},
		{"main.hcl", 4, 17, "error", "Unsupported Gateflow provider"},
	},
	"unsupported_reference": {
		{"main.hcl", 5, 10, "error", "Unsupported reference"},
	},
	"validation_failed": {
		{"main.hcl", 3, 13, "error", "Invalid value for variable"},
	},
	"vault_bad_arguments": {
		{"main.hcl", 4, 20, "error", "Invalid function argument"},
		{"main.hcl", 7, 51, "error", "Invalid function argument"},
		{"main.hcl", 10, 42, "error", "Invalid function argument"},
	},
	"vault_interpolated": {
		{"main.hcl", 4, 13, "error", "Invalid use of vault()"},
		{"main.hcl", 7, 13, "error", "Invalid use of vault()"},
		{"main.hcl", 10, 13, "error", "Invalid use of vault()"},
	},
}

// TestFixtureDiagnostics loads each directory of testdata/fixtures and checks
// every diagnostic's position, severity and summary, and that nothing else
// is reported.
func TestFixtureDiagnostics(t *testing.T) {
	cases := fixtureDiagnostics
	dirs, err := filepath.Glob("testdata/fixtures/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		if _, ok := cases[filepath.Base(dir)]; !ok {
			t.Errorf("fixture %s has no expectations in this test", dir)
		}
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata/fixtures", name)
			cfg, diags := Load(dir, LoadOptions{Env: noEnv})
			var got []wantDiag
			for _, d := range diags {
				w := wantDiag{severity: severityName(d.Severity), summary: d.Summary}
				if d.Subject != nil {
					w.file, w.line, w.column = filepath.Base(d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column
				}
				got = append(got, w)
				if strings.TrimSpace(d.Detail) == "" {
					t.Errorf("%s: diagnostic %q has no detail", name, d.Summary)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(want), diags)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("diagnostic %d:\n got %+v\nwant %+v\n(%s)", i, got[i], want[i], diags[i].Detail)
				}
			}
			if diags.HasErrors() != (cfg == nil) {
				t.Errorf("config is %v with errors=%v", cfg, diags.HasErrors())
			}
		})
	}
}
