package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
)

// TestEnvironmentsWalkthrough runs the walkthrough of docs/environments.md
// as written: each "$ " line of its shell blocks is a command (cd, export
// or switchboard), and the lines after it must appear in its output; a
// command whose expected output starts with "Error:" must fail. It runs
// against two emulators (staging and prod) and a real Vault, on a copy of
// examples/environments.
func TestEnvironmentsWalkthrough(t *testing.T) {
	w := newWorld(t)
	_, prodURL := emulatortest.Start(t, emulator.Config{})
	w.putSecret(t, "secret/staging/llm/openai", map[string]string{"api_key": "sk-staging-0001"})
	w.putSecret(t, "secret/prod/llm/openai", map[string]string{"api_key": "sk-prod-0001"})
	vars := map[string]string{"STAGING_URL": w.url, "PROD_URL": prodURL, "VAULT_ADDR": os.Getenv("VAULT_ADDR")}

	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "environments.md"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	copyTree(t, filepath.Join("..", "..", "examples", "environments"), filepath.Join(root, "examples", "environments"))
	t.Chdir(root)

	blocks := shellBlocks(string(doc))
	if len(blocks) < 5 {
		t.Fatalf("docs/environments.md has %d shell blocks, want the walkthrough's 5", len(blocks))
	}
	var outputs []string
	for _, block := range blocks {
		if strings.Contains(strings.Join(block, "\n"), "--reviewed") {
			// The change the walkthrough reviews (see the note in the doc).
			edit(t, filepath.Join(root, "examples", "environments", "modules", "team", "main.hcl"),
				`description = "OpenAI for the ${var.team} department"`, `description = "OpenAI for the ${var.team} department (reviewed)"`)
		}
		for i := 0; i < len(block); i++ {
			line := block[i]
			cmdline, ok := strings.CutPrefix(line, "$ ")
			if !ok {
				continue
			}
			var want []string
			for i+1 < len(block) && !strings.HasPrefix(block[i+1], "$ ") {
				i++
				if s := strings.TrimSpace(block[i]); s != "" {
					want = append(want, s)
				}
			}
			words := shellWords(t, cmdline, vars)
			switch words[0] {
			case "cd":
				t.Chdir(words[1])
			case "export":
				for _, kv := range words[1:] {
					k, v, _ := strings.Cut(kv, "=")
					t.Setenv(k, v)
				}
			case "switchboard":
				code, out, errOut := runSwitchboard(t, words[1:]...)
				all := out + errOut
				outputs = append(outputs, all)
				fails := len(want) > 0 && strings.HasPrefix(want[0], "Error:")
				if (code != 0) != fails {
					t.Fatalf("$ %s: exit %d\n%s", cmdline, code, all)
				}
				for _, s := range want {
					if !strings.Contains(all, s) {
						t.Fatalf("$ %s: output lacks %q:\n%s", cmdline, s, all)
					}
				}
			default:
				t.Fatalf("the walkthrough runs %q, which this test does not know", words[0])
			}
		}
	}
	w.assertNoSecret(t, outputs...)
}

// shellBlocks returns the lines of every ```shell block.
func shellBlocks(doc string) [][]string {
	var out [][]string
	var cur []string
	in := false
	for _, line := range strings.Split(doc, "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```shell":
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			out = append(out, cur)
		case in:
			cur = append(cur, line)
		}
	}
	return out
}

// shellWords splits a command line as a POSIX shell would for the
// walkthrough's commands: single quotes, and $NAME expanded from vars.
func shellWords(t *testing.T, line string, vars map[string]string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch c {
		case '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				t.Fatalf("unbalanced quote in %q", line)
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case '$':
			j := i + 1
			for j < len(line) && (line[j] == '_' || line[j] >= 'A' && line[j] <= 'Z' || line[j] >= 'a' && line[j] <= 'z' || line[j] >= '0' && line[j] <= '9') {
				j++
			}
			v, ok := vars[line[i+1:j]]
			if !ok {
				t.Fatalf("the walkthrough uses $%s, which this test does not set", line[i+1:j])
			}
			cur.WriteString(v)
			i = j - 1
			inWord = true
		case ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// copyTree copies a directory tree of regular files.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
