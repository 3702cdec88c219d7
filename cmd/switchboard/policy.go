package main

import (
	"context"
	"fmt"
	"io"

	"github.com/switchboard-hq/switchboard/planner"
	"github.com/switchboard-hq/switchboard/planner/render"
	"github.com/switchboard-hq/switchboard/policy"
)

// checkPolicies evaluates the policies of set against the plan's JSON
// document, the one --format json prints; nil set is no check.
func checkPolicies(ctx context.Context, set *policy.Set, res *planner.Result, dir string) (*render.JSONPlan, *render.PolicyReport, error) {
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

// renderChecked prints the plan with the policy results, if any: after the
// text plan, in the Markdown comment, and in the JSON document under
// switchboard.policy (and on errOut, for the job log).
func renderChecked(w, errOut io.Writer, res *planner.Result, doc *render.JSONPlan, report *render.PolicyReport, format string, color bool, md render.MarkdownOptions) error {
	switch format {
	case "text":
		if err := render.Text(w, res.Plan, render.TextOptions{Color: color}); err != nil {
			return err
		}
		if report != nil {
			return render.PolicyText(w, report)
		}
		return nil
	case "json":
		doc.Switchboard.Policy = report
		if err := render.WriteJSON(w, doc); err != nil {
			return err
		}
		if report != nil {
			return render.PolicyText(errOut, report)
		}
		return nil
	case "markdown", "md":
		md.Policy = report
		return render.Markdown(w, res.Plan, md)
	default:
		return fmt.Errorf("unknown --format %q: use text, json or markdown", format)
	}
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
