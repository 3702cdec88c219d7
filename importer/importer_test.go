package importer

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/switchboard-hq/switchboard/planner/objects"
)

func TestUniqueNames(t *testing.T) {
	for _, tc := range []struct {
		in, want []string
	}{
		{[]string{"OpenAI Production", "openai production", "OpenAI-Production!"}, []string{"openai_production", "openai_production_2", "openai_production_3"}},
		// A literal "A 2" keeps a_2; the second "A" takes the next free one.
		{[]string{"A", "A", "A 2"}, []string{"a", "a_3", "a_2"}},
		{[]string{"2024 Experiments", "!!!", "", "Über AI"}, []string{"provider_2024_experiments", "provider", "provider_2", "uber_ai"}},
	} {
		got := uniqueNames(tc.in, "provider")
		if !slices.Equal(got, tc.want) {
			t.Errorf("uniqueNames(%q) = %q, want %q", tc.in, got, tc.want)
		}
		for _, n := range got {
			if !hclsyntax.ValidIdentifier(n) {
				t.Errorf("%q is not an HCL identifier", n)
			}
		}
	}
}

// A name from a service can hold a newline; in a comment it must not end
// the comment and smuggle configuration into the file.
func TestCommentCannotInjectConfiguration(t *testing.T) {
	f := hclwrite.NewEmptyFile()
	comment(f.Body(), "key \"x\"\nglow_provider \"evil\" { name = \"x\" }\r\n")
	file, diags := hclsyntax.ParseConfig(f.Bytes(), "t.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if blocks := file.Body.(*hclsyntax.Body).Blocks; len(blocks) != 0 {
		t.Errorf("the comment produced blocks:\n%s", f.Bytes())
	}
}

func TestBuildSharedKeyHasOnePath(t *testing.T) {
	key := objects.KeyState{Label: "Main Key", KeyID: "k-1", Name: "Main Key"}
	snap := objects.Snapshot{Glow: []objects.GlowProvider{
		{ID: "p-1", Name: "A", Keys: objects.Keys{key}},
		{ID: "p-2", Name: "B", Keys: objects.Keys{key}},
	}}
	im, err := Build(context.Background(), snap, Options{VaultPrefix: "kv/imports/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Secrets) != 1 || im.Secrets[0].Path != "kv/imports/glow_provider.a/main_key" || len(im.Secrets[0].Users) != 2 {
		t.Fatalf("secrets: %+v", im.Secrets)
	}
	if im.Glow[1].Keys[0].Ref != im.Glow[0].Keys[0].Ref {
		t.Errorf("two references for one key: %v, %v", im.Glow[0].Keys[0].Ref, im.Glow[1].Keys[0].Ref)
	}
	files, err := Render(im, Services{Glow: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(files[FileMain]), "gateflow") || !strings.Contains(string(files[FileMain]), "vault {}") {
		t.Errorf("main.hcl:\n%s", files[FileMain])
	}
}
