package main

import (
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/internal/version"
)

func TestVersionCommand(t *testing.T) {
	saved := [3]string{version.Version, version.Commit, version.Date}
	t.Cleanup(func() { version.Version, version.Commit, version.Date = saved[0], saved[1], saved[2] })
	version.Version, version.Commit, version.Date = "1.2.3", "0123456789abcdef0123456789abcdef01234567", "2026-12-01T12:00:00Z"

	code, out, errOut := runSwitchboard(t, "version")
	want := "Switchboard v1.2.3\ncommit 0123456789abcdef0123456789abcdef01234567\nbuilt 2026-12-01T12:00:00Z\n" +
		runtime.Version() + " on " + runtime.GOOS + "_" + runtime.GOARCH + "\n"
	if code != 0 || out != want || errOut != "" {
		t.Fatalf("version: exit %d\n%s\nwant:\n%s\nstderr: %s", code, out, want, errOut)
	}

	code, out, _ = runSwitchboard(t, "version", "--json")
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("version --json: exit %d, %v\n%s", code, err, out)
	}
	wantJSON := map[string]string{
		"version": "1.2.3", "commit": "0123456789abcdef0123456789abcdef01234567",
		"build_date": "2026-12-01T12:00:00Z", "go_version": runtime.Version(),
		"platform": runtime.GOOS + "_" + runtime.GOARCH,
	}
	if len(got) != len(wantJSON) {
		t.Fatalf("version --json = %v, want %v", got, wantJSON)
	}
	for k, v := range wantJSON {
		if got[k] != v {
			t.Fatalf("version --json %s = %q, want %q", k, got[k], v)
		}
	}

	// A build that knows no commit says so rather than printing nothing.
	version.Commit, version.Date = "", ""
	if _, out, _ := runSwitchboard(t, "version"); out != "Switchboard v1.2.3\ncommit unknown\nbuilt unknown\n"+
		runtime.Version()+" on "+runtime.GOOS+"_"+runtime.GOARCH+"\n" {
		t.Fatalf("version without commit:\n%s", out)
	}
}

// A plan file records the version that wrote it, and show says it.
func TestPlanFileRecordsItsVersion(t *testing.T) {
	w := newWorld(t)
	w.putSecret(t, "secret/llm/openai", map[string]string{"api_key": "sk-version-test-0001"})
	saved := version.Version
	t.Cleanup(func() { version.Version = saved })
	version.Version = "7.8.9"
	file := savePlan(t, copyExample(t, "basic"))
	version.Version = saved

	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Payload struct {
			WrittenBy string `json:"written_by"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || doc.Payload.WrittenBy != "7.8.9" {
		t.Fatalf("written_by = %q (%v), want the version that wrote the file, 7.8.9", doc.Payload.WrittenBy, err)
	}
	code, out, errOut := runSwitchboard(t, "show", "--no-color", file)
	if code != 0 || !strings.Contains(out, "written by Switchboard 7.8.9") {
		t.Fatalf("show: exit %d, does not name the writing version:\n%s%s", code, out, errOut)
	}
}
