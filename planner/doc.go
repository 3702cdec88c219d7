// Package planner makes a plan: it reads what the configuration says
// (Desired: the configuration with the Vault metadata of its secrets) and
// what Glow and Gateflow hold (dump.Read), and compares them (diff.Diff).
// Make is `switchboard plan`; Replay re-derives a plan file's plan from
// what the file recorded, for `apply PLANFILE`; ReviewedDifferences
// compares a fresh plan with a reviewed one, for `apply --reviewed`. The
// steps live one package each:
//
//   - state: the normalized model both sides are converted into, the live
//     adapters from the wire types, the Glow key-name codec and the
//     ownership marker;
//   - dump: reading the live side of both services;
//   - diff: matching desired to live objects and deciding each change;
//   - plan: the plan model, whose JSON encoding is the documented schema;
//   - render: text, JSON and Markdown output;
//   - planfile: saving a plan for apply and reading it back.
//
// The end-to-end golden tests are in planner/testdata, regenerated with
// `go test ./planner -update`.
package planner
