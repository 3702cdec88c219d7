// Package plan is the plan model: what the planner decided, in a form that
// the renderers print, the plan file stores and `--format json` writes as is.
// Its JSON encoding is the documented schema (docs/plan-format.md); a change
// to a JSON name is a change of FormatVersion.
//
// Values in Before and After are JSON values (map[string]any, []any, string,
// float64, bool, nil) so that a plan decoded from a file is identical to the
// one that was written. A secret is never in a plan: where one belongs, the
// value is its reference, and the matching sensitive mask is true.
package plan

import (
	"encoding/json"
	"time"

	"github.com/switchboard-hq/switchboard/planner/objects"
)

// FormatVersion is the version of the JSON schema. Minor versions add
// fields; a major version changes or removes them. 1.1 added ownership:
// owner, adopt, previous_address, action_reason, marker, orphans.
const FormatVersion = "1.1"

// Action is what apply does to one object. A change has one action; Actions
// is a list only to keep the shape of `terraform show -json`.
type Action string

// Actions.
const (
	ActionNoOp   Action = "no-op"
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
)

// Plan is the outcome of comparing the configuration with the live state.
type Plan struct {
	FormatVersion string `json:"format_version"`
	// ConfigChecksum identifies the configuration the plan was made from, so
	// that apply can refuse a plan made from other files.
	ConfigChecksum string    `json:"config_checksum,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	// LiveReadAt is when the live state was read, when the caller knows.
	LiveReadAt time.Time `json:"live_read_at,omitzero"`
	// Targets are the --target addresses that limited the plan.
	Targets []string `json:"targets,omitempty"`
	// DriftBaseline is true when the plan had the configuration digests of
	// the last apply to tell drift apart from configuration changes; without
	// them, Drift is only set where the live objects alone prove it.
	DriftBaseline bool `json:"drift_baseline"`
	// Owner is the configuration's owner identity (glow { owner }), which
	// the ownership markers of the objects it manages carry.
	Owner string `json:"owner,omitempty"`
	// Changes has one entry per object, no-ops included, sorted by address.
	Changes   []Change    `json:"resource_changes"`
	Unmanaged []Unmanaged `json:"unmanaged,omitempty"`
	// Orphans are keys, endpoints and drafts that carry this owner's marker
	// but belong to no provider (what an interrupted apply leaves behind);
	// apply deletes them after every other change succeeded.
	Orphans  []Orphan     `json:"orphans,omitempty"`
	Warnings []Diagnostic `json:"warnings,omitempty"`
	Summary  Summary      `json:"summary"`
}

// Change is the planned change of one object.
type Change struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	// Name is the block name, as in Terraform (`openai` for
	// `glow_provider.openai["prod"]`); for an undeclared object, its id.
	Name string `json:"name"`
	// ProviderName is the object's own name: the Glow provider's name, the
	// Gateflow provider id.
	ProviderName string   `json:"provider_name"`
	Actions      []Action `json:"actions"`
	// ID is the live object's id (Glow provider id, Gateflow provider id);
	// empty for a Glow create.
	ID string `json:"id,omitempty"`
	// LiveVersion is the Glow version read; apply passes it as
	// expected_version so that a provider changed since the plan is not
	// overwritten.
	LiveVersion int64 `json:"live_version,omitempty"`
	// LiveUpdatedAt is the live object's last change, read with LiveVersion.
	LiveUpdatedAt *time.Time `json:"live_updated_at,omitempty"`

	// Before and After are the object as it is and as it will be, with
	// their sensitivity masks, as in Terraform's plan JSON. The diff may
	// leave them nil and build them on demand instead (DeferValues): read
	// them with Values, which works either way.
	Before          map[string]any `json:"before"`
	After           map[string]any `json:"after"`
	BeforeSensitive map[string]any `json:"before_sensitive"`
	AfterSensitive  map[string]any `json:"after_sensitive"`
	// Fields lists what an update changes, in a fixed order.
	Fields []FieldChange `json:"fields,omitempty"`
	// Rotations lists the secrets apply writes again although their
	// references may be unchanged.
	Rotations []Rotation `json:"rotations,omitempty"`

	// ModelUsageCount and InUseBy count and list the Glow models that use a
	// provider being deleted.
	ModelUsageCount int      `json:"model_usage_count,omitempty"`
	InUseBy         []string `json:"in_use_by,omitempty"`
	// InUseByModels names the models of InUseBy, as Glow's model search
	// shows them, so that a reviewer sees which models break; a model the
	// search did not return has its id only. Both lists are sorted by
	// name, then the unnamed by id.
	InUseByModels []Model `json:"in_use_by_models,omitempty"`

	Drift        bool         `json:"drift"`
	DriftReasons []string     `json:"drift_reasons,omitempty"`
	Warnings     []Diagnostic `json:"warnings,omitempty"`
	// DesiredDigest identifies the configuration of this object (secrets
	// by reference, without versions). Pass the digests of the last applied
	// plan as the drift baseline of the next one.
	DesiredDigest string `json:"desired_digest,omitempty"`

	// Adopt is set when apply takes over a live object this configuration
	// did not own (its own action in the plan, as Terraform's import).
	Adopt *Adoption `json:"adopt,omitempty"`
	// PreviousAddress is the address the object's ownership marker
	// recorded when the block was renamed (Terraform's moved objects).
	PreviousAddress string `json:"previous_address,omitempty"`
	// ActionReason says why an object is destroyed: ReasonRemoved or
	// ReasonPruned; empty otherwise.
	ActionReason string `json:"action_reason,omitempty"`
	// Marker is the ownership marker apply writes (creates, adoptions,
	// moves, prevent_destroy changes, and every values write, since Glow
	// replaces values whole); nil when apply leaves it as it is.
	Marker *objects.OwnerMarker `json:"marker,omitempty"`
	// Departments of the object the change is about (live for destroys),
	// for messages that must name it.
	Departments []string `json:"departments,omitempty"`

	// Subjects are the typed objects the change was decided from. They
	// are not part of the JSON: apply re-derives every change from the
	// configuration and the recorded live snapshot, so they are set
	// wherever a plan is applied.
	Subjects Subjects `json:"-"`

	// values builds Before, After and their masks when DeferValues left
	// them to be built.
	values func() Values
}

// Values are a change's Before and After objects and their sensitivity
// masks.
type Values struct {
	Before, After, BeforeSensitive, AfterSensitive map[string]any
}

// DeferValues has Values build the change's objects with f when they are
// asked for, instead of holding them. They are four maps of about a
// kilobyte each for every Glow provider, and the text view of a plan
// shows those of the providers that change only: at 100,000 unchanged
// providers, holding them was 400 MB of the plan's peak heap.
func (c *Change) DeferValues(f func() Values) {
	c.Before, c.After, c.BeforeSensitive, c.AfterSensitive = nil, nil, nil, nil
	c.values = f
}

// Values returns the change's Before and After objects and their masks,
// built now if DeferValues deferred them.
func (c *Change) Values() Values {
	if c.values != nil {
		return c.values()
	}
	return Values{Before: c.Before, After: c.After, BeforeSensitive: c.BeforeSensitive, AfterSensitive: c.AfterSensitive}
}

// MarshalJSON writes the change with its values, deferred or not, so that
// a plan's JSON (a plan file's, and the comparison of a saved plan with
// its replay) is the same either way.
func (c Change) MarshalJSON() ([]byte, error) {
	type plain Change // without this method
	p := plain(c)
	if c.values != nil {
		v := c.values()
		p.Before, p.After, p.BeforeSensitive, p.AfterSensitive = v.Before, v.After, v.BeforeSensitive, v.AfterSensitive
	}
	return json.Marshal(p)
}

// Subjects are the typed desired and live objects of a change; the side
// that does not exist is nil.
type Subjects struct {
	GlowDesired, GlowLive         *objects.GlowProvider
	GateflowDesired, GateflowLive *objects.GateflowProvider
}

// Action reasons for destroys, in Terraform's spelling where it has one.
const (
	ReasonRemoved = "delete_because_no_resource_config"
	ReasonPruned  = "delete_because_pruned"
)

// Model is a Glow model a change affects.
type Model struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Adoption says how a change takes over a live object.
type Adoption struct {
	// Reason is "adopt", "id" (the block pins the object's id) or
	// "prune_departments" (the configuration claims every department of
	// the object).
	Reason string `json:"reason"`
	// PreviousOwner is the owner the object's marker named, when the block
	// takes over another configuration's object with adopt = true.
	PreviousOwner string `json:"previous_owner,omitempty"`
}

// Orphan kinds.
const (
	OrphanKey      = "key"
	OrphanEndpoint = "endpoint"
	OrphanDraft    = "draft"
)

// Orphan is a key, endpoint or draft this owner made that nothing uses.
type Orphan struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	// Name is the key or endpoint name, or the draft's provider name.
	Name string `json:"name,omitempty"`
	// URL is an endpoint's URL; ProviderID a draft's provider.
	URL        string `json:"url,omitempty"`
	ProviderID string `json:"provider_id,omitempty"`
}

// Action is the change's single action.
func (c Change) Action() Action {
	if len(c.Actions) == 0 {
		return ActionNoOp
	}
	return c.Actions[0]
}

// FieldKind says how a field's change is expressed.
type FieldKind string

// Field kinds.
const (
	FieldScalar FieldKind = "scalar" // Before -> After
	FieldSet    FieldKind = "set"    // Added and Removed elements
	FieldMap    FieldKind = "map"    // Entries
)

// FieldChange is one changed field of an update.
type FieldChange struct {
	Field string    `json:"field"`
	Kind  FieldKind `json:"kind"`
	// Before and After are set for scalars.
	Before any `json:"before,omitempty"`
	After  any `json:"after,omitempty"`
	// Added and Removed are set for sets, sorted.
	Added   []any `json:"added,omitempty"`
	Removed []any `json:"removed,omitempty"`
	// Entries are set for maps, sorted by key.
	Entries []EntryChange `json:"entries,omitempty"`
	// Unchanged counts the set elements or map entries left as they are.
	Unchanged int `json:"unchanged,omitempty"`
	// Sensitive marks a field whose entries stand for secrets.
	Sensitive bool `json:"sensitive,omitempty"`
}

// EntryChange is one changed entry of a map field.
type EntryChange struct {
	Key    string `json:"key"`
	Action Action `json:"action"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
	// Rotate is true when the entry is a secret written again.
	Rotate bool   `json:"rotate,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Rotation is one secret that apply writes again.
type Rotation struct {
	// Field is "keys" (Glow) or "credentials" (Gateflow).
	Field string `json:"field"`
	// Name is the key label or the credential name; for Gateflow, which
	// replaces all credentials at once, every credential is listed.
	Name   string         `json:"name"`
	Before map[string]any `json:"before,omitempty"`
	After  map[string]any `json:"after"`
	Reason string         `json:"reason"`
}

// Unmanaged is a live object that no configuration declares and that the
// plan leaves alone.
type Unmanaged struct {
	Type        string   `json:"type"`
	ID          string   `json:"id"`
	Name        string   `json:"name,omitempty"`
	Departments []string `json:"departments,omitempty"`
	// Owner is the other configuration whose marker the object carries;
	// empty for objects made outside Switchboard.
	Owner string `json:"owner,omitempty"`
}

// Diagnostic is a warning: a one-line summary and an optional explanation.
type Diagnostic struct {
	Summary string `json:"summary"`
	Detail  string `json:"detail,omitempty"`
}

// Summary counts the changes the way Terraform's last line does; a
// rotation without other changes counts as a change.
type Summary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
	// Rotate counts changes with at least one rotation (also in Change).
	Rotate int `json:"rotate"`
	// Adopt counts adoptions (also in Change).
	Adopt     int `json:"adopt"`
	Unmanaged int `json:"unmanaged"`
	// Orphans counts the orphans apply deletes.
	Orphans int `json:"orphans"`
}

// HasChanges reports whether apply would do anything.
func (p *Plan) HasChanges() bool {
	return p.Summary.Add+p.Summary.Change+p.Summary.Destroy+p.Summary.Orphans > 0
}

// Digests returns the desired digest of every declared object, the drift
// baseline to give the next plan once this one is applied.
func (p *Plan) Digests() map[string]string {
	d := make(map[string]string, len(p.Changes))
	for _, c := range p.Changes {
		if c.DesiredDigest != "" {
			d[c.Address] = c.DesiredDigest
		}
	}
	return d
}

// Summarize recomputes Summary from Changes and Unmanaged.
func (p *Plan) Summarize() {
	s := Summary{Unmanaged: len(p.Unmanaged), Orphans: len(p.Orphans)}
	for _, c := range p.Changes {
		switch c.Action() {
		case ActionCreate:
			s.Add++
		case ActionUpdate:
			s.Change++
			if len(c.Rotations) > 0 {
				s.Rotate++
			}
			if c.Adopt != nil {
				s.Adopt++
			}
		case ActionDelete:
			s.Destroy++
		}
	}
	p.Summary = s
}
