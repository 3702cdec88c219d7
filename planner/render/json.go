package render

import (
	"encoding/json"
	"io"
	"time"

	"github.com/switchboard-hq/switchboard/config"
	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
)

// TerraformFormatVersion is the format_version of Terraform's JSON plan
// (`terraform show -json`) whose shape the document follows: tools and
// policies written for Terraform read resource_changes[].change as they
// read Terraform's.
const TerraformFormatVersion = "1.0"

// JSONFormatVersion is the version of Switchboard's own fields, under the
// "switchboard" keys. Minor versions add fields; a major version changes
// or removes them. 2.0 moved them there from the top level of the
// document and of each change (1.x), which gave the Terraform fields
// another meaning.
const JSONFormatVersion = "2.0"

// JSONOptions adds what the plan model does not hold.
type JSONOptions struct {
	// DeclaredAt maps a declared object's address to the file and line of
	// its block ("main.hcl:12"), from DeclaredAt.
	DeclaredAt map[string]string
}

// JSONPlan is the document `plan --format json` prints and policies read as
// their input: Terraform's JSON plan for the parts Terraform defines, and
// Switchboard's own fields under "switchboard" (docs/plan-format.md).
type JSONPlan struct {
	FormatVersion   string               `json:"format_version"`
	Applyable       bool                 `json:"applyable"`
	Complete        bool                 `json:"complete"`
	Errored         bool                 `json:"errored"`
	PlannedValues   JSONValues           `json:"planned_values"`
	ResourceChanges []JSONResourceChange `json:"resource_changes"`
	Switchboard     JSONPlanExtra        `json:"switchboard"`
}

// JSONValues is Terraform's values representation of the objects that exist
// after apply.
type JSONValues struct {
	RootModule struct {
		Resources []JSONResource `json:"resources"`
	} `json:"root_module"`
}

// JSONResource is one object of planned_values.
type JSONResource struct {
	Address string `json:"address"`
	// ModuleAddress is the module instance, as in Terraform; absent in the
	// root module.
	ModuleAddress   string         `json:"module_address,omitempty"`
	Mode            string         `json:"mode"`
	Type            string         `json:"type"`
	Name            string         `json:"name"`
	Index           any            `json:"index,omitempty"`
	ProviderName    string         `json:"provider_name"`
	SchemaVersion   int            `json:"schema_version"`
	Values          map[string]any `json:"values"`
	SensitiveValues map[string]any `json:"sensitive_values"`
}

// JSONResourceChange is Terraform's resource change, with Switchboard's
// fields for the object under "switchboard".
type JSONResourceChange struct {
	Address         string `json:"address"`
	ModuleAddress   string `json:"module_address,omitempty"`
	PreviousAddress string `json:"previous_address,omitempty"`
	Mode            string `json:"mode"`
	Type            string `json:"type"`
	Name            string `json:"name"`
	// Index is the for_each key; absent for a block without for_each.
	Index        any               `json:"index,omitempty"`
	ProviderName string            `json:"provider_name"`
	Change       JSONChange        `json:"change"`
	ActionReason string            `json:"action_reason,omitempty"`
	Switchboard  JSONResourceExtra `json:"switchboard"`
}

// JSONChange is Terraform's change representation. A side that does not
// exist is null, and its sensitivity false, as Terraform writes them.
type JSONChange struct {
	Actions         []plan.Action  `json:"actions"`
	Before          map[string]any `json:"before"`
	After           map[string]any `json:"after"`
	AfterUnknown    map[string]any `json:"after_unknown"`
	BeforeSensitive any            `json:"before_sensitive"`
	AfterSensitive  any            `json:"after_sensitive"`
}

// JSONResourceExtra holds the fields of a change Terraform has no place
// for.
type JSONResourceExtra struct {
	// DeclaredAt is "FILE:LINE" of the block, relative to the
	// configuration directory; absent for removed and undeclared objects.
	DeclaredAt string `json:"declared_at,omitempty"`
	// ObjectName is the Glow provider's name or the Gateflow provider id.
	ObjectName      string               `json:"object_name"`
	ID              string               `json:"id,omitempty"`
	LiveVersion     int64                `json:"live_version,omitempty"`
	LiveUpdatedAt   *time.Time           `json:"live_updated_at,omitempty"`
	Fields          []plan.FieldChange   `json:"fields,omitempty"`
	Rotations       []plan.Rotation      `json:"rotations,omitempty"`
	ModelUsageCount int                  `json:"model_usage_count,omitempty"`
	InUseBy         []string             `json:"in_use_by,omitempty"`
	InUseByModels   []plan.Model         `json:"in_use_by_models,omitempty"`
	Drift           bool                 `json:"drift"`
	DriftReasons    []string             `json:"drift_reasons,omitempty"`
	Warnings        []plan.Diagnostic    `json:"warnings,omitempty"`
	DesiredDigest   string               `json:"desired_digest,omitempty"`
	Adopt           *plan.Adoption       `json:"adopt,omitempty"`
	Marker          *objects.OwnerMarker `json:"marker,omitempty"`
	Departments     []string             `json:"departments,omitempty"`
}

// JSONPlanExtra holds the plan's fields Terraform has no place for.
type JSONPlanExtra struct {
	FormatVersion  string            `json:"format_version"`
	ConfigChecksum string            `json:"config_checksum,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
	LiveReadAt     time.Time         `json:"live_read_at,omitzero"`
	Targets        []string          `json:"targets,omitempty"`
	DriftBaseline  bool              `json:"drift_baseline"`
	Owner          string            `json:"owner,omitempty"`
	Unmanaged      []plan.Unmanaged  `json:"unmanaged,omitempty"`
	Orphans        []plan.Orphan     `json:"orphans,omitempty"`
	Warnings       []plan.Diagnostic `json:"warnings,omitempty"`
	Summary        plan.Summary      `json:"summary"`
	// Policy is the outcome of plan --policy: set after the policies
	// read the document, so it is never part of their input.
	Policy *PolicyReport `json:"policy,omitempty"`
}

// JSON writes the plan as NewJSONPlan's document.
func JSON(w io.Writer, p *plan.Plan) error { return WriteJSON(w, NewJSONPlan(p, JSONOptions{})) }

// WriteJSON writes a JSON plan document, indented.
func WriteJSON(w io.Writer, doc *JSONPlan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Addresses contain quotes and descriptions may contain < or &: keep
	// them readable for people piping the output to jq or a file.
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// Services play the role of Terraform's providers: the one an object lives
// in, as the prefix of its type says.
var serviceOf = map[string]string{
	config.GlowProviderType:     "glow",
	config.GateflowProviderType: "gateflow",
}

// NewJSONPlan converts the plan model into the JSON document. Secrets are
// never in it: where one belongs, the value is its reference (a Vault path,
// field and version), and the matching *_sensitive mask is true.
func NewJSONPlan(p *plan.Plan, opts JSONOptions) *JSONPlan {
	doc := &JSONPlan{
		FormatVersion:   TerraformFormatVersion,
		Applyable:       p.HasChanges(),
		Complete:        true,
		ResourceChanges: make([]JSONResourceChange, 0, len(p.Changes)),
		Switchboard: JSONPlanExtra{
			FormatVersion:  JSONFormatVersion,
			ConfigChecksum: p.ConfigChecksum,
			CreatedAt:      p.CreatedAt,
			LiveReadAt:     p.LiveReadAt,
			Targets:        p.Targets,
			DriftBaseline:  p.DriftBaseline,
			Owner:          p.Owner,
			Unmanaged:      p.Unmanaged,
			Orphans:        p.Orphans,
			Warnings:       p.Warnings,
			Summary:        p.Summary,
		},
	}
	doc.PlannedValues.RootModule.Resources = []JSONResource{}
	for _, c := range p.Changes {
		index := instanceKey(c.Address)
		v := c.Values()
		rc := JSONResourceChange{
			Address:         c.Address,
			ModuleAddress:   moduleOf(c.Address),
			PreviousAddress: c.PreviousAddress,
			Mode:            "managed",
			Type:            c.Type,
			Name:            c.Name,
			Index:           index,
			ProviderName:    serviceOf[c.Type],
			Change: JSONChange{
				Actions:         c.Actions,
				Before:          v.Before,
				After:           v.After,
				AfterUnknown:    map[string]any{},
				BeforeSensitive: mask(v.Before, v.BeforeSensitive),
				AfterSensitive:  mask(v.After, v.AfterSensitive),
			},
			ActionReason: c.ActionReason,
			Switchboard: JSONResourceExtra{
				DeclaredAt:      declaredAt(opts.DeclaredAt, c.Address),
				ObjectName:      c.ProviderName,
				ID:              c.ID,
				LiveVersion:     c.LiveVersion,
				LiveUpdatedAt:   c.LiveUpdatedAt,
				Fields:          c.Fields,
				Rotations:       c.Rotations,
				ModelUsageCount: c.ModelUsageCount,
				InUseBy:         c.InUseBy,
				InUseByModels:   c.InUseByModels,
				Drift:           c.Drift,
				DriftReasons:    c.DriftReasons,
				Warnings:        c.Warnings,
				DesiredDigest:   c.DesiredDigest,
				Adopt:           c.Adopt,
				Marker:          c.Marker,
				Departments:     c.Departments,
			},
		}
		if v.After != nil {
			if _, known := v.After["id"]; !known && c.Type == config.GlowProviderType {
				// Glow gives a provider its id when apply creates it.
				rc.Change.AfterUnknown["id"] = true
			}
			doc.PlannedValues.RootModule.Resources = append(doc.PlannedValues.RootModule.Resources, JSONResource{
				Address:         c.Address,
				ModuleAddress:   rc.ModuleAddress,
				Mode:            "managed",
				Type:            c.Type,
				Name:            c.Name,
				Index:           index,
				ProviderName:    rc.ProviderName,
				Values:          v.After,
				SensitiveValues: orEmpty(v.AfterSensitive),
			})
		}
		doc.ResourceChanges = append(doc.ResourceChanges, rc)
	}
	return doc
}

// declaredAt looks an address up, and an instance's block after it.
func declaredAt(m map[string]string, address string) string {
	if at, ok := m[address]; ok {
		return at
	}
	if a, err := config.ParseAddress(address); err == nil && a.HasKey {
		return m[a.Block().String()]
	}
	return ""
}

// mask is a side's sensitivity as Terraform writes it: false where the
// side does not exist, an object (possibly empty) where it does.
func mask(side, m map[string]any) any {
	if side == nil {
		return false
	}
	return orEmpty(m)
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// instanceKey is the for_each key of an address, or nil. Undeclared
// objects' addresses (undeclared.TYPE["ID"]) are not instances of a block.
func instanceKey(address string) any {
	a, err := config.ParseAddress(address)
	if err != nil || !a.HasKey {
		return nil
	}
	return a.Key
}

// moduleOf is the module instance of an address, "" in the root module.
func moduleOf(address string) string {
	a, err := config.ParseAddress(address)
	if err != nil {
		return ""
	}
	return a.Module
}
