package main

import (
	"context"

	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// buildProfiling builds a copy of cmd/switchboard that writes a CPU profile
// to $SWITCHBOARD_CPUPROFILE, for -cpuprofile. The product has no profiling
// flag: the copy is built with `go build -overlay` over a rewritten
// main.go in dir, so nothing in the repository changes.
func buildProfiling(ctx context.Context, goCmd, dir string) (string, error) {
	const mainFile = "cmd/switchboard/main.go"
	src, err := os.ReadFile(mainFile)
	if err != nil {
		return "", fmt.Errorf("-cpuprofile runs from the repository root: %w", err)
	}
	s := string(src)
	for _, r := range [][2]string{
		{"import (\n", "import (\n\t\"runtime/pprof\"\n\t\"strings\"\n"},
		{"func main() {\n", `func main() {
	if p := os.Getenv("SWITCHBOARD_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
	}
	profiledMain()
}

func profiledMain() {
`},
		// os.Exit skips the deferred stop: stop first, and write the
		// allocation profile (alloc_space says where the GC's work comes
		// from) beside the CPU one.
		{"\tos.Exit(runWithInput(ctx, os.Args[1:], in, out, errOut))", `	code := runWithInput(ctx, os.Args[1:], in, out, errOut)
	pprof.StopCPUProfile()
	if p := os.Getenv("SWITCHBOARD_CPUPROFILE"); p != "" {
		if f, err := os.Create(strings.TrimSuffix(p, ".pprof") + ".allocs.pprof"); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			_ = f.Close()
		}
	}
	os.Exit(code)`},
	} {
		if !strings.Contains(s, r[0]) {
			return "", fmt.Errorf("-cpuprofile: %s no longer has %q; update bench/profile.go", mainFile, r[0])
		}
		s = strings.Replace(s, r[0], r[1], 1)
	}
	abs, err := filepath.Abs(mainFile)
	if err != nil {
		return "", err
	}
	patched := filepath.Join(dir, "main.go")
	if err := os.WriteFile(patched, []byte(s), 0o644); err != nil {
		return "", err
	}
	overlay := filepath.Join(dir, "overlay.json")
	if err := writeJSON(overlay, map[string]any{"Replace": map[string]string{abs: patched}}); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "switchboard-profiling")
	out, err := exec.CommandContext(ctx, goCmd, "build", "-overlay", overlay, "-o", bin, "./cmd/switchboard").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building the profiling CLI: %v: %s", err, out)
	}
	return bin, nil
}

// profileEnv is the -env settings and the SWITCHBOARD_CPUPROFILE setting
// of one run.
func (h *harness) profileEnv(r row, run int) []string {
	if h.o.cpuProfile == "" {
		return h.o.env
	}
	return append(slices.Clone(h.o.env), "SWITCHBOARD_CPUPROFILE="+h.profilePath(r, run, ".pprof"))
}

// profilePath is where -cpuprofile keeps a run's profile (ext ".pprof")
// or its stderr (".stderr").
func (h *harness) profilePath(r row, run int, ext string) string {
	slug := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			return c
		}
		return '-'
	}, strings.ToLower(r.Scenario))
	return filepath.Join(h.o.cpuProfile, fmt.Sprintf("%s-%d-run%d%s", slug, r.N, run+1, ext))
}
