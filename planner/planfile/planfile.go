// Package planfile saves a plan for a later apply and reads it back.
//
// A plan file is one JSON document:
//
//	{"format": "switchboard-plan", "format_version": 3,
//	 "sha256": "<hex of the compact payload>", "payload": {...}}
//
// The payload is a contract (docs/plan-format.md): the plan that `show`
// renders; the binding (what the plan was made against: the services'
// URLs, the Vault address and namespace, the tokens' identities and the
// variables, sensitive ones as digests only); the configuration files
// themselves; the live snapshot the plan read; the Vault metadata it used;
// and the plan's options. Apply re-derives the plan from the configuration,
// the snapshot and the metadata and requires it to equal the recorded one,
// so an edited file, re-hashed or not, is refused or inert. The sha256 only
// catches damage: it has no key, so it cannot prove who wrote the file.
//
// Its types cannot hold a secret value or a token: there is no field of
// such a type to put one in (a test walks the types to keep it so), and
// the writer cuts the run's credentials out of the bytes as a last line.
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
	"unicode/utf8"

	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/planner/plan"
)

// Format names the document; FormatVersion is the version this code
// writes. Version 2 added the binding, the embedded configuration, the live
// snapshot and the Vault metadata; version 3 names the live Gateflow
// providers "gateflow" where version 2 wrote "gateway". Read still takes
// version 2 files, for one format version, so that a plan reviewed before
// an upgrade can be applied after it.
const (
	Format        = "switchboard-plan"
	FormatVersion = 3
	// oldestReadable is the oldest format version Read accepts.
	oldestReadable = 2
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
	return fmt.Sprintf("plan file format version %d is not supported: this Switchboard reads versions %d to %d; "+
		"apply the plan with the Switchboard that wrote it, or make a new plan", e.Got, oldestReadable, FormatVersion)
}

// Payload is what a plan file holds.
type Payload struct {
	// WrittenBy is the Switchboard version that wrote the file.
	WrittenBy string     `json:"written_by"`
	Plan      *plan.Plan `json:"plan"`
	Binding   Binding    `json:"binding"`
	// Configuration is the configuration the plan was made from, as
	// Terraform embeds it in a plan: apply reloads it from here, so it
	// needs neither the directory nor the variables again.
	Configuration Configuration `json:"configuration"`
	// Live is what the plan read of Glow and Gateflow.
	Live objects.Snapshot `json:"live"`
	// Secrets are the Vault metadata the plan resolved, one entry per
	// reference (path, key, pinned version).
	VaultMetadata []SecretVersion `json:"vault_metadata,omitempty"`
	Options       Options         `json:"options"`
	// Redactions counts the credentials of the run that were cut out of
	// the file when it was written: such a file cannot be applied.
	Redactions int `json:"redactions,omitempty"`
}

// Configuration is an embedded configuration directory.
type Configuration struct {
	// Dir is the directory as given to plan; diagnostics and path.module
	// use it, so the reloaded configuration is identical.
	Dir string `json:"dir"`
	// Prefix is where Dir is among Files when they are named relative to
	// a switchboard.root directory above it (config.Config.Prefix): a
	// configuration calling modules beside its directory.
	Prefix string `json:"prefix,omitempty"`
	Files  []File `json:"files"`
}

// File is one embedded file: its name relative to Dir (slash-separated) and
// its content, as text when it is valid UTF-8 (configuration files are),
// else base64.
type File struct {
	Name   string `json:"name"`
	Text   string `json:"text,omitempty"`
	Base64 []byte `json:"base64,omitempty"`
}

// NewFile embeds content under name.
func NewFile(name string, content []byte) File {
	if utf8.Valid(content) {
		return File{Name: name, Text: string(content)}
	}
	return File{Name: name, Base64: content}
}

// Content is the file's bytes.
func (f File) Content() []byte {
	if f.Base64 != nil {
		return f.Base64
	}
	return []byte(f.Text)
}

// SecretVersion is what Vault said of one reference when the plan was made.
type SecretVersion struct {
	Path string `json:"path"`
	Key  string `json:"key"`
	// Pinned is the version the configuration pins; 0 for the latest.
	Pinned int `json:"pinned,omitempty"`
	// Version is the version the reference resolved to (0 on KV v1).
	Version     int       `json:"version,omitempty"`
	CreatedTime time.Time `json:"created_time,omitzero"`
}

// Options are the plan's command-line knobs, which the re-derivation needs.
type Options struct {
	Targets  []string          `json:"targets,omitempty"`
	Destroy  bool              `json:"destroy,omitempty"`
	Rotate   []string          `json:"rotate,omitempty"`
	Baseline map[string]string `json:"baseline,omitempty"`
}

// WriteOptions tune Write.
type WriteOptions struct {
	// Redact, when set, cuts the run's credentials out of the encoded
	// payload before it is hashed, returning the bytes and how many
	// occurrences it cut.
	Redact func([]byte) ([]byte, int)
}

type envelope struct {
	Format        string          `json:"format"`
	FormatVersion int             `json:"format_version"`
	SHA256        string          `json:"sha256"`
	Payload       json.RawMessage `json:"payload"`
}

// Write writes the plan file. With opts.Redact, a payload that contains a
// credential of the run is written with it cut out and Redactions set, so
// that apply refuses it with a clear message instead of a checksum error.
func Write(w io.Writer, pl *Payload, opts WriteOptions) error {
	if pl == nil || pl.Plan == nil {
		return errors.New("planfile: nothing to write: the payload has no plan")
	}
	body, err := encode(pl)
	if err != nil {
		return err
	}
	if opts.Redact != nil {
		if cut, n := opts.Redact(body); n > 0 {
			marked := *pl
			marked.Redactions = n
			if body, err = encode(&marked); err != nil {
				return err
			}
			body, _ = opts.Redact(body)
		} else {
			body = cut
		}
	}
	sum := sha256.Sum256(body)
	// The envelope is written by hand around the exact payload bytes that
	// were hashed: an encoder would re-compact the raw payload and escape
	// '<' or '&' on the way, which would no longer match the sum.
	var out bytes.Buffer
	fmt.Fprintf(&out, `{"format":%q,"format_version":%d,"sha256":%q,"payload":`, Format, FormatVersion, hex.EncodeToString(sum[:]))
	out.Write(body)
	out.WriteString("}\n")
	_, err = w.Write(out.Bytes())
	return err
}

func encode(pl *Payload) ([]byte, error) {
	var payload bytes.Buffer
	enc := json.NewEncoder(&payload)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(pl); err != nil {
		return nil, fmt.Errorf("planfile: encoding the plan: %w", err)
	}
	return bytes.TrimSuffix(payload.Bytes(), []byte("\n")), nil
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
	if env.FormatVersion < oldestReadable || env.FormatVersion > FormatVersion {
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
	body := compact.Bytes()
	if env.FormatVersion == 2 {
		var err error
		if body, err = upgradeV2(body); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
	}
	var pl Payload
	pdec := json.NewDecoder(bytes.NewReader(body))
	pdec.DisallowUnknownFields()
	if err := pdec.Decode(&pl); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if pl.Plan == nil {
		return nil, fmt.Errorf("%w: the payload has no plan", ErrCorrupt)
	}
	if major, _, _ := strings.Cut(pl.Plan.FormatVersion, "."); major != "1" {
		return nil, fmt.Errorf("%w: plan format_version %q in a version %d file", ErrCorrupt, pl.Plan.FormatVersion, env.FormatVersion)
	}
	return &pl, nil
}

// upgradeV2 renames the one key format 3 changed, live.gateway, in a
// checksum-verified version 2 payload. Every other key is decoded as
// strictly as in a version 3 file.
func upgradeV2(payload []byte) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(payload, &top); err != nil {
		return nil, err
	}
	raw, ok := top["live"]
	if !ok {
		return payload, nil
	}
	var live map[string]json.RawMessage
	if err := json.Unmarshal(raw, &live); err != nil {
		return nil, fmt.Errorf("live: %v", err)
	}
	old, ok := live["gateway"]
	if !ok {
		return payload, nil
	}
	if _, both := live["gateflow"]; both {
		return nil, errors.New(`live has both "gateway" and "gateflow"`)
	}
	delete(live, "gateway")
	live["gateflow"] = old
	var err error
	if top["live"], err = json.Marshal(live); err != nil {
		return nil, err
	}
	return json.Marshal(top)
}
