package planner

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	"github.com/switchboard-hq/switchboard/planner/plan"
)

// ReviewedDifferences compares a fresh plan with the plan a reviewer
// approved and lists every way they differ, for `apply --reviewed`: the
// same addresses with the same actions, ids, live versions, field changes
// (with their before and after values), rotations (with Vault references
// and versions), adoptions and moves, and the same orphans. Objects
// neither plan touches may have moved in between; drift labels and
// warnings, which depend on the baseline and on wording, are not compared.
func ReviewedDifferences(reviewed, fresh *plan.Plan) []string {
	var out []string
	if reviewed.Owner != fresh.Owner {
		out = append(out, fmt.Sprintf("the reviewed plan is for owner %q; this configuration has owner %q", reviewed.Owner, fresh.Owner))
	}
	if !slices.Equal(reviewed.Targets, fresh.Targets) {
		out = append(out, fmt.Sprintf("the reviewed plan targets %v; this plan targets %v", reviewed.Targets, fresh.Targets))
	}
	rc, fc := touched(reviewed), touched(fresh)
	for _, a := range slices.Sorted(maps.Keys(union(rc, fc))) {
		r, inR := rc[a]
		f, inF := fc[a]
		switch {
		case !inF:
			out = append(out, fmt.Sprintf("%s: the reviewed plan would %s it; now nothing changes", a, r.Action()))
		case !inR:
			out = append(out, fmt.Sprintf("%s: now it would be %s, which the reviewed plan does not show", a, pastTense(f.Action())))
		case r.Action() != f.Action():
			out = append(out, fmt.Sprintf("%s: the reviewed plan would %s it; now it would be %s", a, r.Action(), pastTense(f.Action())))
		default:
			out = append(out, changeDifferences(a, r, f)...)
		}
	}
	ro, fo := orphanSet(reviewed), orphanSet(fresh)
	for _, k := range slices.Sorted(maps.Keys(fo)) {
		if !ro[k] {
			out = append(out, fmt.Sprintf("%s would now be cleaned up, which the reviewed plan does not show", k))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(ro)) {
		if !fo[k] {
			out = append(out, fmt.Sprintf("the reviewed plan cleans up %s, which is no longer there", k))
		}
	}
	return out
}

func pastTense(a plan.Action) string {
	switch a {
	case plan.ActionCreate:
		return "created"
	case plan.ActionDelete:
		return "deleted"
	default:
		return "updated"
	}
}

func touched(p *plan.Plan) map[string]plan.Change {
	m := map[string]plan.Change{}
	for _, c := range p.Changes {
		if c.Action() != plan.ActionNoOp {
			m[c.Address] = c
		}
	}
	return m
}

func orphanSet(p *plan.Plan) map[string]bool {
	m := map[string]bool{}
	for _, o := range p.Orphans {
		m[fmt.Sprintf("%s %q", o.Kind, o.ID)] = true
	}
	return m
}

// changeDifferences compares two changes of one address and action.
func changeDifferences(addr string, r, f plan.Change) []string {
	var out []string
	diff := func(what string, a, b any) {
		ja, jb := mustJSON(a), mustJSON(b)
		if !bytes.Equal(ja, jb) {
			out = append(out, fmt.Sprintf("%s: %s: reviewed %s, now %s", addr, what, bytes.TrimSpace(ja), bytes.TrimSpace(jb)))
		}
	}
	diff("id", r.ID, f.ID)
	diff("live version", r.LiveVersion, f.LiveVersion)
	diff("live updated_at", r.LiveUpdatedAt, f.LiveUpdatedAt)
	switch r.Action() {
	case plan.ActionCreate:
		diff("the object created", r.After, f.After)
	case plan.ActionDelete:
		diff("the object destroyed", r.Before, f.Before)
		diff("models using it", r.InUseBy, f.InUseBy)
	}
	rf, ff := fieldsByName(r), fieldsByName(f)
	for _, name := range slices.Sorted(maps.Keys(union(rf, ff))) {
		diff("field "+name, rf[name], ff[name])
	}
	diff("rotations", r.Rotations, f.Rotations)
	diff("adoption", r.Adopt, f.Adopt)
	diff("previous address", r.PreviousAddress, f.PreviousAddress)
	diff("ownership marker", r.Marker, f.Marker)
	return out
}

func fieldsByName(c plan.Change) map[string]*plan.FieldChange {
	m := map[string]*plan.FieldChange{}
	for i := range c.Fields {
		m[c.Fields[i].Field] = &c.Fields[i]
	}
	return m
}

func union[V any](a, b map[string]V) map[string]V {
	out := make(map[string]V, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	return out
}
