package planfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
)

// FuzzRead reads each input twice: as a file, which exercises the
// envelope, and sealed as the payload of a well-formed envelope with the
// right checksum. Without the second, no mutation gets past the checksum,
// so the payload's decoding and checks were never fuzzed.
func FuzzRead(f *testing.F) {
	good := write(f, sample(f))
	var env envelope
	if err := json.Unmarshal(good, &env); err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(env.Payload))
	f.Add(good[:len(good)/3])
	f.Add([]byte(env.Payload[:len(env.Payload)/2]))
	f.Add([]byte(`{"written_by":"x","plan":{"format_version":"1.0","changes":[]}}`))
	f.Add([]byte(`{"plan":{"format_version":"2.0"}}`))
	f.Add([]byte(`{"format":"switchboard-plan","format_version":3,"sha256":"","payload":{}}`))
	f.Add([]byte(`{"format":"switchboard-plan","format_version":99}`))
	f.Add([]byte("null"))
	f.Fuzz(func(t *testing.T, data []byte) {
		readBack(t, data)
		readBack(t, seal(data))
	})
}

// seal wraps payload in an envelope whose checksum matches it, as Write
// would.
func seal(payload []byte) []byte {
	var compact bytes.Buffer
	if err := json.Compact(&compact, payload); err != nil {
		return payload
	}
	sum := sha256.Sum256(compact.Bytes())
	return fmt.Appendf(nil, `{"format":%q,"format_version":%d,"sha256":%q,"payload":%s}`, Format, FormatVersion, hex.EncodeToString(sum[:]), compact.Bytes())
}

// readBack reads data and, when it reads cleanly, checks that what it
// holds writes and reads back.
func readBack(t *testing.T, data []byte) {
	pl, err := Read(bytes.NewReader(data))
	if err != nil {
		return
	}
	if pl.Plan == nil {
		t.Fatal("nil plan without an error")
	}
	var buf bytes.Buffer
	if err := Write(&buf, pl, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(&buf); err != nil {
		t.Fatalf("re-read: %v", err)
	}
}

// The sealed seed reads: the fuzzer starts from inputs that reach the
// payload's checks.
func TestSealedPayloadReads(t *testing.T) {
	var env envelope
	if err := json.Unmarshal(write(t, sample(t)), &env); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(bytes.NewReader(seal(env.Payload))); err != nil {
		t.Fatal(err)
	}
}
