package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRunOrderInterleaves(t *testing.T) {
	got := runOrder(3, 3, []bool{true, false, true})
	want := [][2]int{{0, -1}, {2, -1}, {0, 0}, {1, 0}, {2, 0}, {2, 1}, {1, 1}, {0, 1}, {0, 2}, {1, 2}, {2, 2}}
	if !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v (counting runs first, then A1 B1 C1 C2 B2 A2 A3 B3 C3)", got, want)
	}
}

func res(wall, cpu time.Duration, rss int64) procResult {
	return procResult{Wall: wall, User: cpu, MaxRSS: rss}
}

// TestInterleaveMediansAndSpread runs fake cells: the runs go in runOrder,
// each row gets the median and min–max of its own runs, a failing cell
// keeps its error and is not run again, and cells without runs (skipped
// rows) are left alone.
func TestInterleaveMediansAndSpread(t *testing.T) {
	var log []string
	walls := map[string][]time.Duration{
		"A": {3 * time.Second, 1 * time.Second, 2 * time.Second},
		"B": {10 * time.Second, 30 * time.Second, 20 * time.Second},
	}
	mk := func(name string, counting bool) *cell {
		c := &cell{row: &row{Scenario: name, N: 1}}
		if counting {
			c.count = func(context.Context) error {
				log = append(log, name+"0")
				c.row.VaultAll, c.row.VaultCounted = 7, true
				return nil
			}
		}
		c.once = func(_ context.Context, i int) (procResult, error) {
			log = append(log, fmt.Sprintf("%s%d", name, i+1))
			if name == "C" && i == 1 {
				return procResult{}, errors.New("boom")
			}
			w := walls[name]
			if w == nil {
				return res(time.Second, time.Second, 1), nil
			}
			return res(w[i], w[i]/2, int64(i+1)<<20), nil
		}
		return c
	}
	a, b, c := mk("A", true), mk("B", false), mk("C", false)
	skipped := &cell{row: &row{Scenario: "S", Skipped: "not run"}}
	finished := 0
	b.finish = func() { finished++ }
	interleave(context.Background(), []*cell{a, skipped, b, c}, 3)

	if want := []string{"A0", "A1", "B1", "C1", "C2", "B2", "A2", "A3", "B3"}; !slices.Equal(log, want) {
		t.Errorf("runs %v, want %v", log, want)
	}
	if a.row.Res.Wall != 2*time.Second || a.row.Spread.WallMin != time.Second || a.row.Spread.WallMax != 3*time.Second {
		t.Errorf("A: median %s, spread %+v", a.row.Res.Wall, a.row.Spread)
	}
	if cpu := a.row.Res.User + a.row.Res.Sys; cpu != time.Second {
		t.Errorf("A: cpu %s, want %s", cpu, time.Second)
	}
	if a.row.Spread.RSSMax != 3<<20 {
		t.Errorf("A: rss max %d, want %d", a.row.Spread.RSSMax, 3<<20)
	}
	if a.row.Runs != 3 {
		t.Errorf("A: runs %d, want 3", a.row.Runs)
	}
	if a.row.VaultAll != 7 {
		t.Errorf("A: vault %d, want 7", a.row.VaultAll)
	}
	if b.row.Res.Wall != 20*time.Second || finished != 1 {
		t.Errorf("B: median %s, finish called %d times", b.row.Res.Wall, finished)
	}
	if c.row.Err != "boom" || c.row.Runs != 1 {
		t.Errorf("C: err %q after %d runs, want boom after 1", c.row.Err, c.row.Runs)
	}
	if skipped.row.Res != nil || skipped.row.Err != "" {
		t.Errorf("skipped row was measured: %+v", skipped.row)
	}
}

func TestRusageVerdict(t *testing.T) {
	if v := rusageVerdict(3200*time.Millisecond, 2, 1500*time.Millisecond); !strings.Contains(v, "includes its provider plugins") {
		t.Errorf("3.2 s against 2 × 1.5 s burnt: %s", v)
	}
	if v := rusageVerdict(600*time.Millisecond, 2, 1500*time.Millisecond); !strings.Contains(v, "does NOT include") {
		t.Errorf("0.6 s against 2 × 1.5 s burnt: %s", v)
	}
	if v := rusageVerdict(time.Second, 0, time.Second); !strings.Contains(v, "not checked") {
		t.Errorf("no plugin: %s", v)
	}
}

// TestDelayProxy: requests pass through unchanged and each takes at least
// the latency (a lower bound only: a loaded machine makes it slower, never
// faster).
func TestDelayProxy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", r.Method, r.URL.Path)
	}))
	defer srv.Close()
	const latency = 30 * time.Millisecond
	p, err := startDelayProxy(strings.TrimPrefix(srv.URL, "http://"), latency)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	for i := range 3 {
		start := time.Now()
		resp, err := http.Get(p.URL() + fmt.Sprintf("/v1/secret/metadata/p%d", i))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < latency {
			t.Errorf("request %d took %s, less than the latency %s", i, took, latency)
		}
		if got := string(body); got != fmt.Sprintf("GET /v1/secret/metadata/p%d", i) {
			t.Errorf("request %d: body %q", i, got)
		}
	}
}

// TestTerraformWorldIsTheCLIs: Terraform's configuration of a world has
// one resource per provider of the CLI's configuration, each key the same
// Vault reference, pinned only for the rotation world's import.
func TestTerraformWorldIsTheCLIs(t *testing.T) {
	spec := worldSpec{N: 12, Departments: 5, Style: styleBlocks, Prefix: "bench/test"}
	dir := t.TempDir()
	w, err := newTFWorld(dir, spec, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.writeConfig(tfChange{}, true); err != nil {
		t.Fatal(err)
	}
	tf, err := os.ReadFile(filepath.Join(dir, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	imports, err := os.ReadFile(filepath.Join(dir, "imports.tf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range spec.providers() {
		ref := fmt.Sprintf(`primary = { vault = { path = %q, key = "api_key" } }`, p.Secret.Path)
		if !strings.Contains(string(tf), ref) {
			t.Errorf("%s: no %s in main.tf", p.Key, ref)
		}
		if !strings.Contains(string(imports), fmt.Sprintf("id = %q", "prov-"+p.Key)) {
			t.Errorf("%s: not imported", p.Key)
		}
	}
	if strings.Contains(string(tf), "value_wo") || strings.Contains(string(tf), "version =") {
		t.Errorf("main.tf has literal keys or pinned versions:\n%s", tf)
	}
	if err := w.writeConfig(tfChange{Pin: true, Distinct: true}, false); err != nil {
		t.Fatal(err)
	}
	tf, _ = os.ReadFile(filepath.Join(dir, "main.tf"))
	p3 := spec.providers()[3] // rotated once: version 2
	if !strings.Contains(string(tf), fmt.Sprintf(`vault = { path = %q, key = "api_key", version = 2 }`, p3.Secret.Path)) ||
		!strings.Contains(string(tf), p3.Description+distinctSuffix) {
		t.Errorf("pinned, distinct configuration lacks p3's pin or description:\n%s", tf)
	}
	if _, err := os.Stat(filepath.Join(dir, "imports.tf")); !os.IsNotExist(err) {
		t.Errorf("imports.tf left behind: %v", err)
	}
}
