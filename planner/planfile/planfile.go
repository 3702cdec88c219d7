// Package planfile saves a plan for a later apply and reads it back.
//
// A plan file is one JSON document:
//
//	{"format": "switchboard-plan", "format_version": 1,
//	 "sha256": "<hex of the compact payload>", "payload": {...}}
//
// The payload holds the plan, the desired objects it was made from (secrets
// as Vault or env references with the Vault version planned) and the live
// versions read, which apply uses as expected versions. Its types cannot
// hold a secret value or a token: there is no field of such a type to put
// one in (a test walks the types to keep it so).
package planfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/planner/plan"
	"github.com/switchboard-hq/switchboard/planner/state"
)

// Format names the document; FormatVersion is the only version this code
// reads and writes.
const (
	Format        = "switchboard-plan"
	FormatVersion = 1
)

// MaxSize bounds what Read accepts, so that a wrong file given by mistake
// (a log, an image) fails fast instead of filling memory.
const MaxSize = 512 << 20

// ErrNotPlan is returned for a document that is not a Switchboard plan.
var ErrNotPlan = errors.New("not a Switchboard plan file")

// ErrCorrupt is returned for a plan file that is truncated, damaged or edited.
var ErrCorrupt = errors.New("plan file is corrupted")

// VersionError is returned for a plan file of another format version.
type VersionError struct {
	Got int
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("plan file format version %d is not supported: this Switchboard reads version %d; "+
		"apply the plan with the Switchboard that wrote it, or make a new plan", e.Got, FormatVersion)
}

// Payload is what a plan file holds.
type Payload struct {
	Plan *plan.Plan `json:"plan"`
	// Desired is what the plan was made from; apply reads the secrets it
	// references at the versions recorded here.
	Desired state.Snapshot `json:"desired"`
	// LiveVersions are the versions read from Glow and Gateflow; apply
	// refuses to change an object that moved since.
	LiveVersions   []LiveVersion `json:"live_versions"`
	ConfigChecksum string        `json:"config_checksum"`
	CreatedAt      time.Time     `json:"created_at"`
}

// LiveVersion is what the plan read of one live object.
type LiveVersion struct {
	Address   string     `json:"address"`
	Type      string     `json:"type"`
	ID        string     `json:"id"`
	Version   int64      `json:"version,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// New builds the payload of p, made from desired.
func New(p *plan.Plan, desired state.Snapshot) *Payload {
	pl := &Payload{Plan: p, Desired: desired, ConfigChecksum: p.ConfigChecksum, CreatedAt: p.CreatedAt}
	for _, c := range p.Changes {
		if c.ID == "" || c.Action() == plan.ActionCreate {
			continue
		}
		pl.LiveVersions = append(pl.LiveVersions, LiveVersion{
			Address: c.Address, Type: c.Type, ID: c.ID, Version: c.LiveVersion, UpdatedAt: c.LiveUpdatedAt,
		})
	}
	return pl
}

type envelope struct {
	Format        string          `json:"format"`
	FormatVersion int             `json:"format_version"`
	SHA256        string          `json:"sha256"`
	Payload       json.RawMessage `json:"payload"`
}

// Write writes the plan file.
func Write(w io.Writer, pl *Payload) error {
	if pl == nil || pl.Plan == nil {
		return errors.New("planfile: nothing to write: the payload has no plan")
	}
	var payload bytes.Buffer
	enc := json.NewEncoder(&payload)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(pl); err != nil {
		return fmt.Errorf("planfile: encoding the plan: %w", err)
	}
	body := bytes.TrimSuffix(payload.Bytes(), []byte("\n"))
	sum := sha256.Sum256(body)
	// The envelope is written by hand around the exact payload bytes that
	// were hashed: an encoder would re-compact the raw payload and escape
	// '<' or '&' on the way, which would no longer match the sum.
	var out bytes.Buffer
	fmt.Fprintf(&out, `{"format":%q,"format_version":%d,"sha256":%q,"payload":`, Format, FormatVersion, hex.EncodeToString(sum[:]))
	out.Write(body)
	out.WriteString("}\n")
	_, err := w.Write(out.Bytes())
	return err
}

// Read reads a plan file. Any damage is an error wrapping ErrNotPlan,
// ErrCorrupt or a *VersionError; Read never panics on bad input.
func Read(r io.Reader) (*Payload, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the plan file: %w", err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: larger than %d MiB", ErrNotPlan, MaxSize>>20)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: the file is empty", ErrNotPlan)
	}
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&env); err != nil {
		if bytes.HasPrefix(bytes.TrimSpace(data), []byte(`{"format":"`+Format+`"`)) {
			return nil, fmt.Errorf("%w (truncated or damaged): %v", ErrCorrupt, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrNotPlan, err)
	}
	if env.Format != Format {
		return nil, fmt.Errorf("%w: format is %q, want %q", ErrNotPlan, env.Format, Format)
	}
	if env.FormatVersion != FormatVersion {
		return nil, &VersionError{Got: env.FormatVersion}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the plan document", ErrCorrupt)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, env.Payload); err != nil || compact.Len() == 0 {
		return nil, fmt.Errorf("%w: no payload", ErrCorrupt)
	}
	sum := sha256.Sum256(compact.Bytes())
	if !strings.EqualFold(hex.EncodeToString(sum[:]), env.SHA256) {
		return nil, fmt.Errorf("%w: the checksum does not match its content (edited or damaged)", ErrCorrupt)
	}
	var pl Payload
	pdec := json.NewDecoder(bytes.NewReader(compact.Bytes()))
	pdec.DisallowUnknownFields()
	if err := pdec.Decode(&pl); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if pl.Plan == nil {
		return nil, fmt.Errorf("%w: the payload has no plan", ErrCorrupt)
	}
	if major, _, _ := strings.Cut(pl.Plan.FormatVersion, "."); major != "1" {
		return nil, fmt.Errorf("%w: plan format_version %q in a version %d file", ErrCorrupt, pl.Plan.FormatVersion, FormatVersion)
	}
	return &pl, nil
}
