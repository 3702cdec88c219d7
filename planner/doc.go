// Package planner holds the steps from "what the configuration says" and
// "what Glow and Gateflow hold" to a reviewed plan, one package per step:
//
//   - state: the normalized model both sides are converted into, the live
//     adapters from the wire types, and the Glow key-name origin marker;
//   - diff: matching desired to live objects and deciding each change;
//   - plan: the plan model, whose JSON encoding is the documented schema;
//   - render: text, JSON and Markdown output;
//   - planfile: saving a plan for apply and reading it back.
//
// This package itself has only the end-to-end golden tests
// (testdata/planner/, regenerated with `go test ./planner -update`).
package planner
