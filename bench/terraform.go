package main

import "context"

// terraformRows is the hook for the Terraform comparison: the same worlds
// planned and applied through terraform-provider-switchboard, so the table
// shows what the provider costs over the CLI on the same clients.
//
// To implement (once the provider can plan): build
// ./cmd/terraform-provider-switchboard into a dev_overrides directory,
// generate the world's configuration as switchboard_* resources (a sibling
// of writeConfig), `terraform init`/`import` or seed a state, and measure
// `terraform plan -detailed-exitcode -parallelism=10` with runMeasured and
// h.measure exactly like planRow does. The rusage of terraform includes the
// plugin's CPU once terraform has waited for it, but its peak RSS is the
// larger of the two processes, not their sum: report memory per process if
// the comparison needs it.
func (h *harness) terraformRows(_ context.Context) []row {
	return []row{{
		Scenario: "terraform plan, no changes",
		N:        1000,
		Skipped:  "hook only: terraform-provider-switchboard is not benchmarked yet (bench/terraform.go)",
	}}
}
