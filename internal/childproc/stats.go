package childproc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/switchboard-hq/switchboard/emulator"
)

// EmulatorGet decodes the JSON of one of the emulator's own endpoints
// (/_emulator/...), which its fault injection never touches.
func EmulatorGet(ctx context.Context, hc *http.Client, base, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// EmulatorStats reads the emulator's request counters.
func EmulatorStats(ctx context.Context, hc *http.Client, base string) (emulator.Stats, error) {
	var st emulator.Stats
	err := EmulatorGet(ctx, hc, base, "/_emulator/stats", &st)
	return st, err
}
