package sensitive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestNoFormattingPathRevealsTheValue(t *testing.T) {
	const secret = "sk-live-123456"
	type holder struct {
		Name string
		Key  String
		Ptr  *String
	}
	s := New(secret)
	h := holder{Name: "x", Key: s, Ptr: &s}
	outs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v|%+v|%#v|%s|%q|%x|%X|%10s", s, s, s, s, s, s, s, s),
		fmt.Sprintf("%v|%+v|%#v", h, h, h), fmt.Sprintf("%v", []String{s}),
		fmt.Sprintf("%v", map[string]String{"k": s}),
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "key", s, "holder", h)
	outs = append(outs, buf.String())
	txt, _ := s.MarshalText()
	outs = append(outs, string(txt))
	for _, o := range outs {
		if strings.Contains(o, secret) {
			t.Errorf("secret leaked: %s", o)
		}
		if !strings.Contains(o, Redacted) {
			t.Errorf("expected %q in %s", Redacted, o)
		}
	}
}

func TestJSONRedactsButDecodesResponses(t *testing.T) {
	b, err := json.Marshal(map[string]String{"api_key": New("sk-1")})
	if err != nil || string(b) != `{"api_key":"(sensitive value)"}` {
		t.Fatalf("got %s %v", b, err)
	}
	var back struct{ Value String }
	if err := json.Unmarshal([]byte(`{"value":"sk-2"}`), &back); err != nil || back.Value.Reveal() != "sk-2" {
		t.Fatalf("decode: %v", err)
	}
}
