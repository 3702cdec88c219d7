package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestHelpTexts: every command says what it reads and writes and how it
// exits, with examples, and every flag its examples use exists (an example
// that fails when pasted is worse than none).
func TestHelpTexts(t *testing.T) {
	root := newRootCommand()
	checked := 0
	for _, cmd := range root.Commands() {
		name := cmd.Name()
		// version belongs to the release work; help and completion are
		// cobra's.
		if name == "help" || name == "completion" || name == "version" || cmd.Hidden {
			continue
		}
		if cmd.Short == "" || len(strings.Split(strings.TrimSpace(cmd.Long), "\n")) < 4 {
			t.Errorf("%s: the help is %q / %q, want a summary and a description", name, cmd.Short, cmd.Long)
		}
		if name != "emulator" && !strings.Contains(cmd.Long, "Exit status") && !strings.Contains(cmd.Long, "exits") {
			t.Errorf("%s --help does not say how it exits", name)
		}
		if cmd.Example == "" {
			t.Errorf("%s --help has no example", name)
		}
		for _, line := range strings.Split(cmd.Example, "\n") {
			for _, words := range exampleCommands(line) {
				checkExample(t, root, words)
				checked++
			}
		}
	}
	if checked < 15 {
		t.Errorf("only %d example commands found", checked)
	}
	if got := exampleCommands(`  switchboard plan --out p 'a b' && switchboard apply p > x.md # comment`); len(got) != 2 {
		t.Errorf("exampleCommands: %d commands, want 2: %q", len(got), got)
	} else {
		if len(got[0]) != 4 {
			t.Errorf("exampleCommands: first command has %d words, want 4: %q", len(got[0]), got[0])
		} else if got[0][3] != "a b" {
			t.Errorf("exampleCommands: first command's 4th word = %q, want %q", got[0][3], "a b")
		}
		if len(got[1]) != 2 {
			t.Errorf("exampleCommands: second command has %d words, want 2: %q", len(got[1]), got[1])
		}
	}
	for _, line := range strings.Split(root.Example, "\n") {
		for _, words := range exampleCommands(line) {
			checkExample(t, root, words)
		}
	}
}

// exampleCommands splits an example line into the switchboard commands it
// runs (separated by && or |, up to a redirection or a comment), each as
// its words, quotes removed.
func exampleCommands(line string) [][]string {
	var out [][]string
	var cur []string
	var word strings.Builder
	inWord, quote := false, rune(0)
	flush := func() {
		if inWord {
			cur = append(cur, word.String())
			word.Reset()
			inWord = false
		}
	}
	end := func() {
		flush()
		if len(cur) > 0 && cur[0] == "switchboard" {
			out = append(out, cur[1:])
		}
		cur = nil
	}
	skip := false
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				word.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			flush()
		default:
			word.WriteRune(r)
			inWord = true
		}
		if quote == 0 && inWord {
			switch w := word.String(); w {
			case "&&", "|":
				word.Reset()
				inWord = false
				if !skip {
					end()
				}
				skip = false
				cur = nil
			case ">", "#", "<":
				word.Reset()
				inWord = false
				if !skip {
					end()
				}
				skip = true
			}
		}
		if skip {
			cur = nil
		}
	}
	if !skip {
		end()
	}
	return out
}

func checkExample(t *testing.T, root *cobra.Command, words []string) {
	t.Helper()
	args, err := terraformSpellings(root, words)
	if err != nil {
		t.Errorf("example %q: %v", words, err)
		return
	}
	cmd, rest, err := root.Find(args)
	if err != nil || cmd == root {
		t.Errorf("example %q: no such command", words)
		return
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Errorf("example %q: %v", words, err)
		return
	}
	if cmd.Args != nil {
		if err := cmd.Args(cmd, cmd.Flags().Args()); err != nil {
			t.Errorf("example %q: %v", words, err)
		}
	}
}
