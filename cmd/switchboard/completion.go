package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/spf13/cobra"

	"github.com/switchboard-hq/switchboard/config"
)

// completeFlagValues gives the flags whose values can be listed a
// completion function, on every command that has them: the provider
// addresses of the configuration for --target and --rotate, the formats
// for --format, variable files for --var-file.
func completeFlagValues(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, name := range []string{"target", "rotate"} {
			if c.Flags().Lookup(name) != nil {
				_ = c.RegisterFlagCompletionFunc(name, completeAddresses)
			}
		}
		if f := c.Flags().Lookup("format"); f != nil {
			formats := formatsIn(f.Usage)
			_ = c.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return formats, cobra.ShellCompDirectiveNoFileComp
			})
		}
		if c.Flags().Lookup("var-file") != nil {
			_ = c.MarkFlagFilename("var-file", "sbvars", "json", "hcl")
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// formatsIn reads the formats a --format flag lists in its usage
// ("output format: text, json or markdown"), so that each command's
// completion follows what its own help says.
func formatsIn(usage string) []cobra.Completion {
	_, list, ok := strings.Cut(usage, ":")
	if !ok {
		return nil
	}
	var out []cobra.Completion
	for _, w := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == ';' || r == '(' || r == ')' }) {
		if w == "or" || w == "and" || w == "default" {
			continue
		}
		out = append(out, w)
	}
	return out
}

// completeAddresses lists the addresses of the configuration in the
// command's directory argument (or the current directory): every block,
// and every instance when the configuration loads. Nothing is called.
func completeAddresses(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	dir := "."
	if len(args) > 0 {
		dir = args[len(args)-1]
	}
	seen := map[string]bool{}
	for _, a := range blockAddresses(dir) {
		seen[a] = true
	}
	if cfg, _ := config.Load(dir, config.LoadOptions{}); cfg != nil {
		for _, p := range cfg.GlowProviders {
			seen[p.Address.String()] = true
		}
		for _, p := range cfg.GateflowProviders {
			seen[p.Address.String()] = true
		}
	}
	var out []cobra.Completion
	for a := range seen {
		if strings.HasPrefix(a, toComplete) {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

// blockAddresses parses the configuration files only, so that a
// configuration that does not evaluate yet (a variable unset) still
// completes its block addresses.
func blockAddresses(dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.hcl"))
	parser := hclparse.NewParser()
	schema := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: config.GlowProviderType, LabelNames: []string{"name"}},
		{Type: config.GateflowProviderType, LabelNames: []string{"name"}},
	}}
	var out []string
	for _, name := range files {
		if info, err := os.Stat(name); err != nil || !info.Mode().IsRegular() || info.Size() > config.MaxConfigFileSize {
			continue
		}
		f, diags := parser.ParseHCLFile(name)
		if diags.HasErrors() || f == nil {
			continue
		}
		content, _, _ := f.Body.PartialContent(schema)
		for _, b := range content.Blocks {
			out = append(out, b.Type+"."+b.Labels[0])
		}
	}
	return out
}
