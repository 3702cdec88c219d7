package main

import (
	"context"
	"fmt"

	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
	"github.com/switchboard-hq/switchboard/planner"
	"github.com/switchboard-hq/switchboard/planner/render"
	"github.com/switchboard-hq/switchboard/policy"
)

// checkPolicies evaluates the policies of set against the plan's JSON
// document, the one --format json prints; nil set is no check.
func checkPolicies(ctx context.Context, set *policy.Set, res *planner.Result, dir string, format string) (*render.JSONPlan, *render.PolicyReport, error) {
	if set == nil && format != views.FormatJSON {
		// Only the policies and the JSON view read the document: a
		// plan's text needs none (at 10,000 providers, 5% of its CPU).
		return nil, nil, nil
	}
	doc := render.NewJSONPlan(res.Plan, render.JSONOptions{DeclaredAt: render.DeclaredAt(res.Config)})
	if set == nil {
		return doc, nil, nil
	}
	report, err := set.Evaluate(ctx, doc, policy.Options{})
	if err != nil {
		return nil, nil, err
	}
	report.ConfigDir = dir
	return doc, report, nil
}

// policyDenied is the error of a plan a policy denies: the messages are
// already printed.
func policyDenied(report *render.PolicyReport, saved bool) error {
	msg := fmt.Sprintf("the policies in %s deny this plan (%d %s)", report.Dir, len(report.Denies), map[bool]string{true: "message", false: "messages"}[len(report.Denies) == 1])
	if saved {
		msg += "; the plan was not saved"
	}
	return fmt.Errorf("%s", msg)
}
