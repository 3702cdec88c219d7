package childproc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// EmulatorGet decodes the JSON of one of the emulator's own endpoints
// (/_emulator/...), which its fault injection never touches. out is the
// caller's (emulator.Stats for /_emulator/stats): childproc starts and
// stops processes and does not import what runs in them.
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
