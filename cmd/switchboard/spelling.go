package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// terraformSpellings rewrites Terraform's single-dash spellings of long
// flags (-out=F, -var NAME=V, -no-color, -auto-approve) to the double-dash
// form cobra parses, before it parses them. Without this, pflag reads
// -out=x.sbplan as the shorthand -o with the value "ut=x.sbplan" and saves
// the plan under that name, and -no-color fails as an unknown shorthand.
//
// A word is rewritten only when what follows the dash (up to "=") is a
// long flag of the command being run. Any other single-dash word longer
// than one letter that is not a cluster of the command's shorthands (-o
// FILE, -oFILE) is refused, naming the double-dash form: it is never left
// to be read as a shorthand with the rest as its value. Everything after
// "--", and the value of a flag that takes one, is left alone.
func terraformSpellings(root *cobra.Command, args []string) ([]string, error) {
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		// The last word is the one being completed: a half-typed flag is
		// no error there.
		if len(args) < 2 {
			return args, nil
		}
		rest, err := terraformSpellings(root, args[1:len(args)-1])
		if err != nil {
			return nil, err
		}
		return append(append([]string{args[0]}, rest...), args[len(args)-1]), nil
	}
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return args, nil
	}
	cmd.InitDefaultHelpFlag()
	cmd.InitDefaultVersionFlag()
	flags := pflag.NewFlagSet(cmd.Name(), pflag.ContinueOnError)
	flags.AddFlagSet(cmd.Flags())
	flags.AddFlagSet(cmd.InheritedFlags())
	return rewriteSpellings(root, cmd, flags, args)
}

// rewriteSpellings is terraformSpellings for the words of cmd, whose flags
// (its own and inherited) are flags.
func rewriteSpellings(root, cmd *cobra.Command, flags *pflag.FlagSet, args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(out, args[i:]...), nil
		case strings.HasPrefix(a, "--"):
			out = append(out, a)
			if f := flags.Lookup(strings.TrimPrefix(a, "--")); f != nil && takesValue(f) && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
			continue
		case !strings.HasPrefix(a, "-") || len(a) < 2:
			out = append(out, a)
			continue
		}
		name, _, hasValue := strings.Cut(a[1:], "=")
		if f := flags.Lookup(name); f != nil && len(name) > 1 {
			out = append(out, "-"+a)
			if !hasValue && takesValue(f) && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
			continue
		}
		if len(name) == 1 || isShorthandCluster(flags, a[1:]) {
			out = append(out, a)
			if f := flags.ShorthandLookup(a[1:2]); f != nil && takesValue(f) && len(a) == 2 && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
			continue
		}
		return nil, unknownSingleDash(root, cmd, a, name)
	}
	return out, nil
}

func takesValue(f *pflag.Flag) bool { return f.NoOptDefVal == "" }

// isShorthandCluster reports whether word (without its dash) is what pflag
// reads as shorthands: boolean shorthands, possibly ending with one that
// takes the rest of the word as its value. A word with "=" after more than
// one letter is a long flag's spelling, never a cluster: -output=F is not
// -o with "utput=F".
func isShorthandCluster(flags *pflag.FlagSet, word string) bool {
	if i := strings.IndexByte(word, '='); i > 1 {
		return false
	}
	for i := 0; i < len(word); i++ {
		f := flags.ShorthandLookup(word[i : i+1])
		if f == nil {
			return false
		}
		if takesValue(f) {
			// The rest is its value, unless it reads like a long flag's
			// name: -out-dir is not -o with "ut-dir".
			rest := word[i+1:]
			return !looksLikeFlagName(word) || rest == ""
		}
	}
	return true
}

func looksLikeFlagName(s string) bool {
	if len(s) < 2 || !strings.Contains(s, "-") {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '-' {
			return false
		}
	}
	return true
}

// unknownSingleDash says that the word is not a flag of cmd, in the
// spelling cobra expects, and names the commands that do have it.
func unknownSingleDash(root, cmd *cobra.Command, word, name string) error {
	var have []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c != root && !c.Hidden && c.Flags().Lookup(name) != nil {
			have = append(have, c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	sort.Strings(have)
	msg := fmt.Sprintf("unknown flag %s for %q: it has no --%s", word, cmd.CommandPath(), name)
	if len(have) > 0 {
		verb := "has"
		if len(have) > 1 {
			verb = "have"
		}
		msg += fmt.Sprintf(" (%s %s)", strings.Join(have, ", "), verb)
	}
	return fmt.Errorf("%s; see '%s --help'", msg, cmd.CommandPath())
}
