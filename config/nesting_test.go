package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const nestedTooDeeply = "Configuration nested too deeply"

// Each of these, 100,000 levels deep in about 200 KB, overflowed the stack
// of hclsyntax's recursive parser (a fatal error, not a diagnostic) before
// the nesting bound.
func TestNestingLimitRefusesHostileFiles(t *testing.T) {
	const n = 100_000
	cases := map[string]string{
		"tuples":        "x = " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n",
		"objects":       "x = " + strings.Repeat("{a=", n) + "1" + strings.Repeat("}", n) + "\n",
		"blocks":        strings.Repeat("b {\n", n) + strings.Repeat("}\n", n),
		"parentheses":   "x = " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + "\n",
		"not":           "x = " + strings.Repeat("!", n) + "true\n",
		"minus":         "x = " + strings.Repeat("- ", n) + "1\n",
		"conditionals":  "x = " + strings.Repeat("true ? 1 : ", n) + "2\n",
		"interpolation": "x = " + strings.Repeat(`"${`, n) + "1" + strings.Repeat(`}"`, n) + "\n",
		"heredoc":       "x = <<EOT\n" + strings.Repeat("${[", n) + strings.Repeat("]}", n) + "\nEOT\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			dir := writeDir(t, map[string]string{"a.hcl": "glow_provider \"a\" {\n  name = \"A\"\n}\n", "main.hcl": "# deep below\n" + src})
			_, diags := Load(dir, LoadOptions{Env: noEnv})
			line := 2 // where the limit is passed
			switch name {
			case "blocks":
				line = 2 + MaxNestingDepth
			case "heredoc":
				line = 3
			}
			checkDiags(t, diags, diagAt{nestedTooDeeply, "more than 256 levels", "main.hcl", line})
		})
	}
	t.Run("json", func(t *testing.T) {
		dir := writeDir(t, map[string]string{"main.hcl.json": "{\n\"x\": " + strings.Repeat("[", n) + strings.Repeat("]", n) + "}\n"})
		_, diags := Load(dir, LoadOptions{Env: noEnv})
		checkDiags(t, diags, diagAt{nestedTooDeeply, "more than 256 levels", "main.hcl.json", 2})
	})
	t.Run("json template", func(t *testing.T) {
		dir := writeDir(t, map[string]string{"main.hcl.json": "{\n\"locals\": {\"x\": \"${" + strings.Repeat(`\"${`, n) + strings.Repeat(`}\"`, n) + "}\"}}\n"})
		_, diags := Load(dir, LoadOptions{Env: noEnv})
		checkDiags(t, diags, diagAt{nestedTooDeeply, "more than 256 levels", "main.hcl.json", 2})
	})
	t.Run("json template within the bound", func(t *testing.T) {
		src := "{\"glow_provider\": {\"a\": {\"name\": \"A\", \"description\": \"${jsonencode(" + strings.Repeat("[", 200) + strings.Repeat("]", 200) + ")} ${\\\"x\\\"}\"}}}\n"
		dir := writeDir(t, map[string]string{"main.hcl.json": src})
		c, diags := Load(dir, LoadOptions{Env: noEnv})
		if diags.HasErrors() {
			t.Fatalf("refused:\n%s", describeDiags(diags))
		}
		if got, want := c.GlowProviders[0].Description, strings.Repeat("[", 200)+strings.Repeat("]", 200)+" x"; got != want {
			t.Errorf("description %q, want %q", got, want)
		}
	})
}

// The bound is MaxNestingDepth exactly: a configuration that nests that
// deep loads, one level more is refused.
func TestNestingLimitIsExact(t *testing.T) {
	cfg := func(levels int) string {
		// The block is one level and jsonencode's parentheses another.
		inner := levels - 2
		return "glow_provider \"a\" {\n  name        = \"A\"\n  description = jsonencode(" +
			strings.Repeat("[", inner) + strings.Repeat("]", inner) + ")\n}\n"
	}
	dir := writeDir(t, map[string]string{"main.hcl": cfg(MaxNestingDepth)})
	c, diags := Load(dir, LoadOptions{Env: noEnv})
	if diags.HasErrors() {
		t.Fatalf("%d levels refused:\n%s", MaxNestingDepth, describeDiags(diags))
	}
	if got := c.GlowProviders[0].Description; got != strings.Repeat("[", MaxNestingDepth-2)+strings.Repeat("]", MaxNestingDepth-2) {
		t.Errorf("description %q", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg(MaxNestingDepth+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags = Load(dir, LoadOptions{Env: noEnv})
	checkDiags(t, diags, diagAt{nestedTooDeeply, "more than 256 levels", "main.hcl", 3})
}

// Brackets in comments, strings and heredocs do not nest, nor do names
// with dashes, binary minus or item after item of a long list.
func TestNestingLimitIgnoresWhatDoesNotNest(t *testing.T) {
	deep := strings.Repeat("[", 1000)
	items := strings.Repeat("-1, !true, ", 1000)
	src := "# " + deep + "\n// " + deep + "\n/* " + deep + "\n" + deep + " */\n" +
		"locals {\n  l = [" + items + "]\n  m = 1" + strings.Repeat(" - 1", 1000) + "\n  h = <<-EOT\n    " + deep + "\n    EOT\n" +
		"  o = {\n" + strings.Repeat("    a-b = true ? 1 : 2\n", 1000) + "  }\n}\n" +
		"glow_provider \"a\" {\n  name        = \"A\"\n  description = \"" + deep + " $${" + deep + "\"\n}\n"
	dir := writeDir(t, map[string]string{"main.hcl": src})
	c, diags := Load(dir, LoadOptions{Env: noEnv})
	if diags.HasErrors() {
		t.Fatalf("refused:\n%s", describeDiags(diags))
	}
	if got := c.GlowProviders[0].Description; got != deep+" ${"+deep {
		t.Errorf("description %q", got)
	}
}

// A variable file, a --var value parsed as an expression and a template
// read by templatefile() are bounded as configuration files are.
func TestNestingLimitOnVariablesAndTemplates(t *testing.T) {
	deep := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	dir := writeDir(t, map[string]string{
		"main.hcl":      "variable \"v\" {\n  type    = list(any)\n  default = []\n}\nglow_provider \"a\" {\n  name        = \"A\"\n  description = templatefile(\"t.tpl\", {})\n}\n",
		"t.tpl":         "text\n${" + deep + "}",
		"x.auto.sbvars": "v = " + deep + "\n",
	})
	_, diags := Load(dir, LoadOptions{Env: noEnv})
	checkDiags(t, diags,
		diagAt{"Invalid function argument", `"t.tpl" nests more than 256 levels deep at line 2`, "main.hcl", 7},
		diagAt{nestedTooDeeply, "more than 256 levels", "x.auto.sbvars", 1})

	if err := os.Remove(filepath.Join(dir, "x.auto.sbvars")); err != nil {
		t.Fatal(err)
	}
	_, diags = Load(dir, LoadOptions{Env: noEnv, Vars: map[string]string{"v": deep}})
	var summaries []string
	for _, d := range diags {
		summaries = append(summaries, d.Summary+": "+d.Detail)
	}
	all := strings.Join(summaries, "\n")
	if len(diags) != 2 || !strings.Contains(all, nestedTooDeeply) || !strings.Contains(all, `"t.tpl" nests more than 256 levels deep at line 2`) {
		t.Errorf("want the --var value and the template refused, got:\n%s", all)
	}
}

// file() refuses a device however it is named: by its absolute path, or
// through a symbolic link inside the directory.
func TestFileFunctionRefusesDevZero(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.hcl": "glow_provider \"a\" {\n  name        = \"A\"\n  description = file(\"/dev/zero\")\n}\nglow_provider \"b\" {\n  name        = \"B\"\n  description = file(\"zero\")\n}\n"})
	symlinkOrSkip(t, "/dev/zero", filepath.Join(dir, "zero"))
	_, diags := Load(dir, LoadOptions{Env: noEnv})
	checkDiags(t, diags,
		diagAt{"Invalid function argument", `"/dev/zero" is an absolute path`, "main.hcl", 3},
		diagAt{"Invalid function argument", `"zero" is not a regular file of the configuration directory`, "main.hcl", 7},
	)
}

// No configuration the project ships or tests with comes near the bound.
func TestNestingLimitAcceptsTheRepositorysConfigurations(t *testing.T) {
	n := 0
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".hcl") || strings.HasSuffix(path, ".sbvars")) || strings.Contains(path, "/fuzz/") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if off, line, _ := hclNesting(src, 16, false, nil); off >= 0 {
			t.Errorf("%s:%d nests more than 16 levels", path, line)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("only %d configuration files found", n)
	}
}
