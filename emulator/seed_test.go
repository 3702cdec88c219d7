package emulator_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/emulator"
	"github.com/switchboard-hq/switchboard/emulator/emulatortest"
)

func TestSeedFile(t *testing.T) {
	dir := t.TempDir()
	s, g, gw := start(t, emulator.Config{SeedFile: "testdata/seed.json", DataDir: dir})
	p := g.post("/provider/get", `{"provider_id":"p-openai"}`).want(200)
	failed := false
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"endpoint_ids[0]", p.str("provider", "endpoint_ids", 0), "ep-openai"},
		{"key_ids[0]", p.str("provider", "key_ids", 0), "key-openai"},
		{"model_usage_count", p.num("provider", "model_usage_count"), int64(1)},
		{"values.temperature", p.str("provider", "values", "temperature"), "0.2"},
	} {
		if f.got != f.want {
			t.Errorf("seeded provider: %s = %v, want %v", f.name, f.got, f.want)
			failed = true
		}
	}
	if failed {
		t.Fatalf("seeded provider: %s", p.raw)
	}
	if r := g.post("/provider/decrypt", `{"provider_id":"p-openai","key_id":"key-openai"}`).want(200); r.str("value") != "sk-proj-demo" {
		t.Fatalf("seeded key: %s", r.raw)
	}
	a := g.post("/provider/search", `{"search":"anthropic"}`).want(200)
	if a.num("total_count") != 1 || a.num("providers", 0, "model_usage_count") != 1 || len(a.list("providers", 0, "key_ids")) != 1 {
		t.Fatalf("provider with references by name: %s", a.raw)
	}
	l := gw.do("GET", gp, "").want(200)
	if l.str("providers", 0, "status") != "active" || l.str("providers", 1, "status") != "disabled" {
		t.Fatalf("seeded gateflow: %s", l.raw)
	}
	if gw.do("GET", gp+"/openai", "").num("settings", "timeout_ms") != 30000 {
		t.Fatal("seeded settings")
	}
	_ = s.Close()

	// A second start on the same directory does not seed again.
	_, g2, _ := start(t, emulator.Config{SeedFile: "testdata/seed.json", DataDir: dir})
	if n := g2.post("/provider/search", `{}`).num("total_count"); n != 2 {
		t.Fatalf("%d providers after a second start", n)
	}
}

// A seed built in Go holds ints where a seed file holds JSON numbers; both
// load under the same rules.
func TestSeedFromGoNumbers(t *testing.T) {
	s, _, gw := start(t, emulator.Config{})
	err := s.LoadSeed(emulator.Seed{Gateflow: []emulator.SeedGateflow{{
		Provider: "openai", Credentials: map[string]string{"api_key": "sk-seed-go"},
		Settings: map[string]any{"timeout_ms": 1500, "default_model": "gpt-5"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if gw.do("GET", gp+"/openai", "").num("settings", "timeout_ms") != 1500 {
		t.Fatal("seeded setting")
	}
	bad := s.LoadSeed(emulator.Seed{Gateflow: []emulator.SeedGateflow{{
		Provider: "anthropic", Credentials: map[string]string{"api_key": "sk-ant-seed"},
		Settings: map[string]any{"timeout_ms": -1},
	}}})
	if bad == nil || !strings.Contains(bad.Error(), "timeout_ms") {
		t.Errorf("negative timeout_ms: %v", bad)
	}
}

func TestSeedErrors(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"unknown field":      `{"providers":[{"nmae":"x"}]}`,
		"dangling reference": `{"providers":[{"name":"x","endpoints":["nope"]}]}`,
		"duplicate name":     `{"providers":[{"name":"x"},{"name":"x"}]}`,
		"bad credentials":    `{"gateflow":[{"provider":"openai","credentials":{"api_key":"nope"}}]}`,
		"bad url":            `{"endpoints":[{"url":"nope"}]}`,
	}
	for name, body := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := emulator.New(emulator.Config{SeedFile: path}); err == nil {
			t.Errorf("%s: seed accepted", name)
		}
	}
}

// TestTenThousandProviders seeds 10,000 providers into a database and pages
// through them all.
func TestTenThousandProviders(t *testing.T) {
	const n = 10000
	seed := emulator.Seed{}
	for i := range n {
		seed.Providers = append(seed.Providers, emulator.SeedProvider{
			Name: fmt.Sprintf("Provider %05d", i), DepartmentIDs: []string{fmt.Sprintf("dept-%d", i%20)},
			Values: map[string]string{"i": fmt.Sprint(i)},
		})
	}
	data, err := json.Marshal(seed)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	_, base := emulatortest.Start(t, emulator.Config{SeedFile: path, DataDir: t.TempDir()})
	t.Logf("seeded %d providers in %v", n, time.Since(begin))
	g := &client{t, base, emulatortest.GlowToken}
	seen := map[string]bool{}
	token := ""
	for {
		r := g.postf("/provider/search", `{"page_size":500,"page_token":%q}`, token).want(200)
		if r.num("total_count") != n {
			t.Fatalf("total_count %d", r.num("total_count"))
		}
		for _, p := range r.list("providers") {
			id := p.(map[string]any)["provider_id"].(string)
			if seen[id] {
				t.Fatalf("%s twice", id)
			}
			seen[id] = true
		}
		token, _ = r.body["next_page_token"].(string)
		if token == "" {
			break
		}
	}
	if len(seen) != n {
		t.Fatalf("paged through %d of %d", len(seen), n)
	}
	r := g.post("/provider/delete", `{"all":true,"filter_department_ids":["dept-3"]}`).want(200)
	if len(r.list("results")) != n/20 {
		t.Fatalf("deleted %d", len(r.list("results")))
	}
}
