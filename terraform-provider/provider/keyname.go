package provider

import (
	"regexp"
	"strconv"

	"github.com/switchboard-hq/switchboard/planner/state"
)

// Glow returns a key's value only through decrypt, which is audited, so the
// provider never reads a key back. Like the CLI (planner/state.KeyName), it
// records in the key's name where the value came from:
//
//	LABEL (terraform:vN)
//
// where N is the key block's value_wo_version. state.KeyName can only record
// Vault and env() sources, and a Terraform write-only value is neither, so
// the marker has its own scheme; its shape (`LABEL (SCHEME:…)`) is the same,
// so a person reading Glow's UI sees the same convention. Reading the marker
// back on refresh and import is what lets Terraform notice a key replaced
// outside it (the version goes missing) and know which version an imported
// key holds.
var terraformMarkerRE = regexp.MustCompile(`(?s)^(.+) \(terraform:v(-?[0-9]{1,19})\)$`)

// terraformKeyName is the Glow key name for a key block.
func terraformKeyName(label string, version int64) string {
	return label + " (terraform:v" + strconv.FormatInt(version, 10) + ")"
}

// parseTerraformKeyName returns a live key's label and, when its name
// carries the Terraform marker, the value_wo_version it records. Keys the
// switchboard CLI made keep their label (their marker is the CLI's), and a
// key made by hand is labelled by its whole name.
func parseTerraformKeyName(name string) (label string, version int64, ok bool) {
	if m := terraformMarkerRE.FindStringSubmatch(name); m != nil {
		v, err := strconv.ParseInt(m[2], 10, 64)
		if err == nil {
			return m[1], v, true
		}
	}
	label, _, _ = state.ParseKeyName(name)
	return label, 0, false
}
