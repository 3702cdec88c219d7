package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-hq/switchboard/sensitive"
)

const token = "glw_8f3a9c2e71d04b6a"

func registry(creds ...string) *Registry {
	r := &Registry{}
	for i := 0; i+1 < len(creds); i += 2 {
		r.Add(creds[i], sensitive.New(creds[i+1]))
	}
	return r
}

func TestRedactCutsWholeValuesAndLongSubstrings(t *testing.T) {
	r := registry("GLOW_TOKEN", token)
	for _, tc := range []struct{ in, want string }{
		{"token " + token + " used", "token (redacted: GLOW_TOKEN) used"},
		{token + token, "(redacted: GLOW_TOKEN)"},
		{token + "-" + token, "(redacted: GLOW_TOKEN)-(redacted: GLOW_TOKEN)"},
		{"prefix " + token[:8] + "!", "prefix (redacted: GLOW_TOKEN)!"},
		{"middle " + token[5:15] + ".", "middle (redacted: GLOW_TOKEN)."},
		{"end " + token[len(token)-8:], "end (redacted: GLOW_TOKEN)"},
		// Seven bytes tell too little: left alone.
		{"short " + token[:7] + " " + token[9:16], "short " + token[:7] + " " + token[9:16]},
		{"nothing here", "nothing here"},
		{"", ""},
	} {
		if got := r.String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRedactReturnsTheSameBytesWhenNothingIsCut(t *testing.T) {
	r := registry("GLOW_TOKEN", token)
	in := []byte(strings.Repeat("an ordinary line of output\n", 100))
	out, n := r.RedactCount(in)
	if n != 0 || &out[0] != &in[0] || len(out) != len(in) {
		t.Errorf("RedactCount returned a copy or %d markers", n)
	}
	if _, n := r.RedactCount([]byte("a " + token + " b " + token[3:12])); n != 2 {
		t.Errorf("RedactCount counted %d markers, want 2", n)
	}
}

func TestShortValuesAreIgnored(t *testing.T) {
	r := registry("ONE", "x", "SEVEN", "abcdefg", "EMPTY", "")
	if r.Len() != 0 {
		t.Errorf("Len = %d after adding values shorter than %d bytes", r.Len(), MinLen)
	}
	if got := r.String("x abcdefg abcdefgh"); got != "x abcdefg abcdefgh" {
		t.Errorf("short values were cut: %q", got)
	}
	r.Add("EIGHT", sensitive.New("abcdefgh"))
	r.Add("AGAIN", sensitive.New("abcdefgh"))
	if r.Len() != 1 || r.String("x abcdefgh") != "x (redacted: EIGHT)" {
		t.Errorf("Len %d, %q", r.Len(), r.String("x abcdefgh"))
	}
}

func TestOverlappingCredentialsAreOneMarkerNamingTheFirst(t *testing.T) {
	// B's value begins with the last seven bytes of A's: where they
	// overlap in output, the run is one marker, named after the credential
	// that starts it.
	a, b := "AAAAAAAA11112222", "1112222BBBBBBBBB"
	r := registry("A", a, "B", b)
	for _, tc := range []struct{ in, want string }{
		{"x AAAAAAAA11112222BBBBBBBBB y", "x (redacted: A) y"},
		{"x 1112222BBBBBBBBB y", "x (redacted: B) y"},
		{"x BBBBBBBBBAAAAAAAA11 y", "x (redacted: B) y"},
		// Touching, not overlapping: still one run.
		{"x " + b + a + " y", "x (redacted: B) y"},
		// A gap of one byte: two runs.
		{"x " + a + "." + b + " y", "x (redacted: A).(redacted: B) y"},
	} {
		if got := r.String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestJSONEscapedValuesAreCut(t *testing.T) {
	value := `pa"ss\wo<rd>&more`
	r := registry("VAULT_TOKEN", value)
	doc, err := json.Marshal(map[string]string{"token": value, "other": "kept"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(doc, []byte(value)) {
		t.Fatal("json.Marshal did not escape the value: the test proves nothing")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]string{"token": value}); err != nil {
		t.Fatal(err)
	}
	quoted := fmt.Sprintf("bad token %q", value)
	for _, in := range [][]byte{doc, buf.Bytes(), []byte(quoted)} {
		out := r.Redact(in)
		if !bytes.Contains(out, []byte("(redacted: VAULT_TOKEN)")) {
			t.Errorf("not cut: %s -> %s", in, out)
		}
		if in[0] == '{' {
			// The marker sits inside the JSON string: the document is still JSON.
			var got map[string]string
			if err := json.Unmarshal(out, &got); err != nil || got["token"] != "(redacted: VAULT_TOKEN)" {
				t.Errorf("%s: %v %q", out, err, got)
			}
		}
	}
}

func TestMarkerNamesCannotBreakJSON(t *testing.T) {
	r := registry(`glow token (vault:"odd\path"#key)`, token)
	doc, _ := json.Marshal(map[string]string{"token": token})
	var got map[string]string
	if err := json.Unmarshal(r.Redact(doc), &got); err != nil || strings.Contains(got["token"], token[:8]) {
		t.Errorf("%s: %v", r.Redact(doc), err)
	}
}

func TestWriterCutsValuesStraddlingWrites(t *testing.T) {
	r := registry("GLOW_TOKEN", token, "GATEFLOW_ADMIN_KEY", "gw_admin_5e1b77c0a9")
	line := "Authorization: Bearer " + token + " and gw_admin_5e1b77c0a9, " + token[2:11] + "\n"
	want := r.String(line)
	if strings.Contains(want, token[:8]) || !strings.Contains(want, "(redacted: GATEFLOW_ADMIN_KEY)") {
		t.Fatalf("Redact itself failed: %q", want)
	}
	for cut := 0; cut <= len(line); cut++ {
		for cut2 := cut; cut2 <= len(line); cut2 += 3 {
			var out bytes.Buffer
			w := r.Writer(&out)
			for _, part := range []string{line[:cut], line[cut:cut2], line[cut2:]} {
				if n, err := w.Write([]byte(part)); n != len(part) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if out.String() != want {
				t.Fatalf("written in parts at %d and %d:\n got %q\nwant %q", cut, cut2, out.String(), want)
			}
		}
	}
}

func TestWriterPassesOnWhatCannotBeginACredential(t *testing.T) {
	r := registry("GLOW_TOKEN", token)
	var out bytes.Buffer
	w := r.Writer(&out)
	prompt := "Do you want to perform these actions? Only 'yes' will be accepted: "
	write(t, w, prompt)
	if out.String() != prompt {
		t.Fatalf("a prompt without a newline was held back: %q", out.String())
	}
	// The beginning of a credential waits for what follows.
	write(t, w, "token="+token[:5])
	if got := out.String(); got != prompt+"token=" {
		t.Fatalf("after the beginning of a token: %q", got)
	}
	write(t, w, token[5:]+"\n")
	if got := out.String(); got != prompt+"token=(redacted: GLOW_TOKEN)\n" {
		t.Fatalf("after its end: %q", got)
	}
	// At the end of the stream, a beginning that never grew is shown.
	write(t, w, "end "+token[:5])
	flush(t, w)
	if got := out.String(); !strings.HasSuffix(got, "\nend "+token[:5]) || w.Redacted() != 1 {
		t.Fatalf("after Flush: %q, %d redacted", got, w.Redacted())
	}
}

func TestWriterLongLineInSmallWrites(t *testing.T) {
	// A 1 MiB line with credentials at every offset modulo the write size,
	// so that some straddle every kind of write boundary.
	r := registry("GLOW_TOKEN", token)
	var line strings.Builder
	for line.Len() < 1<<20 {
		line.WriteString(strings.Repeat("x", line.Len()%31))
		line.WriteString(token)
	}
	in := line.String()
	var out bytes.Buffer
	w := r.Writer(&out)
	for i := 0; i < len(in); i += 4093 {
		write(t, w, in[i:min(i+4093, len(in))])
	}
	flush(t, w)
	if bytes.Contains(out.Bytes(), []byte(token[:8])) || out.String() != r.String(in) {
		t.Error("a long line written in parts was not redacted as a whole")
	}
	if n := strings.Count(out.String(), "(redacted: GLOW_TOKEN)"); w.Redacted() != n || n < 1000 {
		t.Errorf("Redacted() = %d, %d markers written", w.Redacted(), n)
	}
}

func TestWriterSeesCredentialsAddedLater(t *testing.T) {
	r := &Registry{}
	var out bytes.Buffer
	w := r.Writer(&out)
	write(t, w, "before "+token+"\n")
	r.Add("GLOW_TOKEN", sensitive.New(token))
	write(t, w, "after "+token+"\n")
	flush(t, w)
	if want := "before " + token + "\nafter (redacted: GLOW_TOKEN)\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestWriterConcurrentWrites(t *testing.T) {
	r := registry("GLOW_TOKEN", token)
	var out bytes.Buffer
	w := r.Writer(&out)
	const writers, lines = 8, 200
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(w, "writer %d line %d token %s\n", g, i, token)
			}
		})
	}
	// Credentials may be added while others write.
	wg.Go(func() { r.Add("OTHER", sensitive.New("another-credential")) })
	wg.Wait()
	flush(t, w)
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != writers*lines || w.Redacted() != writers*lines {
		t.Fatalf("%d lines, %d markers, want %d", len(got), w.Redacted(), writers*lines)
	}
	for _, l := range got {
		if !strings.HasSuffix(l, " token (redacted: GLOW_TOKEN)") {
			t.Fatalf("line mangled by concurrent writes: %q", l)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestWriterReportsTheUnderlyingError(t *testing.T) {
	w := registry("GLOW_TOKEN", token).Writer(failingWriter{})
	if _, err := w.Write([]byte("hello\n")); err == nil {
		t.Error("Write hid the failure of the writer underneath")
	}
}

// naive is the rule of the package comment, written the slow, obvious way.
func naive(creds [][2]string, in string) string {
	owner := map[string]string{}
	for _, c := range creds {
		if len(c[1]) < MinLen {
			continue
		}
		for _, f := range forms(c[1]) {
			for i := 0; i+MinLen <= len(f); i++ {
				if _, ok := owner[f[i:i+MinLen]]; !ok {
					owner[f[i:i+MinLen]] = c[0]
				}
			}
		}
	}
	covered := make([]bool, len(in))
	for i := 0; i+MinLen <= len(in); i++ {
		if _, ok := owner[in[i:i+MinLen]]; ok {
			for j := i; j < i+MinLen; j++ {
				covered[j] = true
			}
		}
	}
	var b strings.Builder
	for i := 0; i < len(in); i++ {
		switch {
		case !covered[i]:
			b.WriteByte(in[i])
		case i == 0 || !covered[i-1]:
			b.WriteString("(redacted: " + owner[in[i:i+MinLen]] + ")")
		}
	}
	return b.String()
}

func TestRedactMatchesTheRuleOnRandomText(t *testing.T) {
	// A three-letter alphabet makes overlaps, repeats and near misses
	// common.
	rng := rand.New(rand.NewPCG(1, 2))
	randText := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abc"[rng.IntN(3)]
		}
		return string(b)
	}
	for round := range 2000 {
		var creds [][2]string
		r := &Registry{}
		for i := range 1 + rng.IntN(3) {
			c := [2]string{fmt.Sprintf("C%d", i), randText(6 + rng.IntN(10))}
			creds = append(creds, c)
			r.Add(c[0], sensitive.New(c[1]))
		}
		in := randText(rng.IntN(80))
		for _, c := range creds {
			if rng.IntN(2) == 0 {
				at := rng.IntN(len(in) + 1)
				in = in[:at] + c[1] + in[at:]
			}
		}
		want := naive(creds, in)
		if got := r.String(in); got != want {
			t.Fatalf("round %d, %q in %q:\n got %q\nwant %q", round, creds, in, got, want)
		}
		var out bytes.Buffer
		w := r.Writer(&out)
		for rest := in; rest != ""; {
			n := min(rng.IntN(12), len(rest))
			write(t, w, rest[:n])
			rest = rest[n:]
		}
		flush(t, w)
		if out.String() != want {
			t.Fatalf("round %d, written in parts, %q in %q:\n got %q\nwant %q", round, creds, in, out.String(), want)
		}
	}
}

func tenMegabytes(b *testing.B) (*Registry, []byte) {
	r := &Registry{}
	for i := range 20 {
		r.Add(fmt.Sprintf("SECRET_%d", i), sensitive.New(fmt.Sprintf("sk-%02d-%032x", i, i*7919)))
	}
	var in bytes.Buffer
	for i := 0; in.Len() < 10<<20; i++ {
		fmt.Fprintf(&in, `{"address": "glow_provider.p%d", "change": {"actions": ["update"], "endpoint": "https://api.example.com/v1/%d"}}`+"\n", i, i)
		if i%1000 == 0 {
			fmt.Fprintf(&in, "leaked sk-%02d-%032x\n", i%20, (i%20)*7919)
		}
	}
	b.SetBytes(int64(in.Len()))
	return r, in.Bytes()
}

func BenchmarkRedact10MB(b *testing.B) {
	r, in := tenMegabytes(b)
	for b.Loop() {
		r.Redact(in)
	}
}

func BenchmarkWriter10MBInLines(b *testing.B) {
	r, in := tenMegabytes(b)
	lines := bytes.SplitAfter(in, []byte("\n"))
	for b.Loop() {
		w := r.Writer(discard{})
		for _, l := range lines {
			if _, err := w.Write(l); err != nil {
				b.Fatal(err)
			}
		}
		flush(b, w)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// write and flush fail the test on an error: the writer passes on the
// underlying writer's errors and has none of its own.
func write(t testing.TB, w *Writer, s string) {
	t.Helper()
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

func flush(t testing.TB, w *Writer) {
	t.Helper()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}
