package main

import (
	"context"
	"io"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
)

// answerAfter is a person at the prompt: before the first answer is read,
// meanwhile runs (someone else changes something while the plan is read).
type answerAfter struct {
	meanwhile func()
	once      sync.Once
	answer    io.Reader
}

func (a *answerAfter) Read(p []byte) (int, error) {
	a.once.Do(a.meanwhile)
	return a.answer.Read(p)
}

func runAnsweringAfter(t *testing.T, meanwhile func(), args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut strings.Builder
	in := &answerAfter{meanwhile: meanwhile, answer: strings.NewReader("yes\n")}
	code = runWithTerminal(t.Context(), args, in, &out, &errOut, views.Terminal{In: true, Out: true, Err: true})
	return code, out.String(), errOut.String()
}

// A Glow provider changed by hand while the person reads the plan is
// caught by the stale check that runs after their "yes".
func TestApplyPromptCatchesAGlowChangeMadeWhileItWaits(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-prompt-stale-0001"})
	dir := copyExample(t, "basic")
	if code, out, errOut := runSwitchboard(t, "apply", "--auto-approve", dir); code != 0 {
		t.Fatalf("apply: %d\n%s%s", code, out, errOut)
	}
	edit(t, filepath.Join(dir, "main.hcl"), `timeout_s = "30"`, `timeout_s = "45"`)
	c := glowClient(t, w)
	live, err := api.Collect(c.Search(context.Background(), glow.SearchRequest{}))
	if err != nil || len(live) != 1 {
		t.Fatalf("search: %v %v", live, err)
	}
	desc := "changed by hand during the prompt"
	code, out, errOut := runAnsweringAfter(t, func() {
		if _, err := c.UpdateProvider(context.Background(), glow.UpdateRequest{ProviderID: live[0].ID, Patch: glow.Patch{Description: &desc}}); err != nil {
			t.Error(err)
		}
	}, "apply", "--no-color", dir)
	if code != 1 || !strings.Contains(out+errOut, "the plan is stale") || !strings.Contains(out+errOut, "glow_provider.openai_prod") {
		t.Fatalf("apply after a change during the prompt: exit %d, want 1 naming the provider\n%s%s", code, out, errOut)
	}
	after, _ := c.GetProvider(context.Background(), live[0].ID)
	if after.Provider.Values["timeout_s"] != "30" || after.Provider.Description != desc {
		t.Errorf("a stale plan changed the provider: %+v", after.Provider)
	}
}

// A Vault version written while the person reads the plan is caught too,
// although this run's plan has already read that secret's metadata.
func TestApplyPromptCatchesAVaultChangeMadeWhileItWaits(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-prompt-stale-0002"})
	dir := copyExample(t, "basic")
	code, out, errOut := runAnsweringAfter(t, func() {
		w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-prompt-stale-0003"})
	}, "apply", "--no-color", dir)
	if code != 1 || !strings.Contains(out+errOut, "the plan is stale") || !strings.Contains(out+errOut, "written after the plan") {
		t.Fatalf("apply after a new Vault version during the prompt: exit %d, want 1\n%s%s", code, out, errOut)
	}
	if n := w.writes(); n != 0 {
		t.Errorf("%d writes after a stale plan", n)
	}
	w.assertNoSecret(t, out, errOut)
}

// With --auto-approve, plan and apply are one instant: apply does not read
// again what its own plan just read. A saved plan is read again.
func TestApplyAutoApproveReadsTheLiveStateOnce(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-apply-once-0001"})
	dir := copyExample(t, "basic")
	if code, out, errOut := runSwitchboard(t, "apply", "--auto-approve", dir); code != 0 {
		t.Fatalf("apply: %d\n%s%s", code, out, errOut)
	}
	reads := func() map[string]int64 {
		m := map[string]int64{}
		for op, n := range w.emu.Stats().Operations {
			if isRead(op) {
				m[op] = n
			}
		}
		return m
	}
	delta := func(before map[string]int64) map[string]int64 {
		d := reads()
		for op, n := range before {
			d[op] -= n
		}
		maps.DeleteFunc(d, func(_ string, n int64) bool { return n == 0 })
		return d
	}

	edit(t, filepath.Join(dir, "main.hcl"), `timeout_s = "30"`, `timeout_s = "45"`)
	planFile := filepath.Join(t.TempDir(), "plan.sbplan")
	before := reads()
	if code, _, errOut := runSwitchboard(t, "plan", "--out", planFile, dir); code != 0 {
		t.Fatal(errOut)
	}
	planReads := delta(before)
	before = reads()
	if code, out, errOut := runSwitchboard(t, "apply", planFile); code != 0 {
		t.Fatalf("apply %s: %d\n%s%s", planFile, code, out, errOut)
	}
	savedReads := delta(before)

	edit(t, filepath.Join(dir, "main.hcl"), `timeout_s = "45"`, `timeout_s = "60"`)
	before = reads()
	if code, out, errOut := runSwitchboard(t, "apply", "--auto-approve", dir); code != 0 {
		t.Fatalf("apply: %d\n%s%s", code, out, errOut)
	}
	autoReads := delta(before)
	t.Logf("reads: plan %v, apply FILE %v, apply --auto-approve DIR %v", planReads, savedReads, autoReads)
	// The stale check of one update gets the provider; the plan reads
	// with a search, and so does nothing else of this apply.
	if savedReads["glow.provider.get"] < 1 {
		t.Errorf("apply FILE read no provider to check that the plan is current: %v", savedReads)
	}
	if n := autoReads["glow.provider.get"]; n != 0 {
		t.Errorf("apply --auto-approve DIR read the provider it had just planned again (%d gets): %v", n, autoReads)
	}
	noChanges(t, dir)
}
