package render

import (
	"encoding/json"
	"io"

	"github.com/switchboard-hq/switchboard/planner/plan"
)

// JSON writes the plan in the documented schema (docs/plan-format.md),
// which is the plan model's own encoding: what `--format json` prints is
// what a saved plan holds.
func JSON(w io.Writer, p *plan.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Addresses contain quotes and descriptions may contain < or &: keep
	// them readable for people piping the output to jq or a file.
	enc.SetEscapeHTML(false)
	return enc.Encode(p)
}
