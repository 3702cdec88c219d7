package views

import (
	"encoding/json"
	"fmt"

	"github.com/switchboard-hq/switchboard/internal/version"
)

// Version writes what version prints: four lines, or with jsonOut one
// JSON object.
func Version(s *Stream, info version.Info, jsonOut bool) error {
	if jsonOut {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	unknown := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	_, err := fmt.Fprintf(s.Out, "Switchboard v%s\ncommit %s\nbuilt %s\n%s on %s\n",
		info.Version, unknown(info.Commit), unknown(info.Date), info.GoVersion, info.Platform)
	return err
}
