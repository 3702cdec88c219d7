package provider

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/planner/objects"
)

// An endpoint the provider created goes when no provider uses it any
// more, and not before: not while a create in the same apply takes it
// over from a destroyed provider, not while another provider uses it, and
// never one made by hand.
func TestAccGlowEndpointsDeletedWhenUnused(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	const u, v, byHand = "https://u.example/v1", "https://v.example/v1", "https://hand.example/v1"
	if _, err := e.glow.CreateEndpoints(ctx, []glow.EndpointInput{{URL: byHand, Name: "made by hand"}}); err != nil {
		t.Fatal(err)
	}
	providers := func(blocks ...string) string {
		cfg := e.providerBlock()
		for i := 0; i+1 < len(blocks); i += 2 {
			cfg += fmt.Sprintf(`
resource "switchboard_glow_provider" %q {
  name      = %[1]q
  endpoints = %s
}
`, blocks[i], blocks[i+1])
		}
		return cfg
	}
	endpoints := func(want map[string]string) statecheck.StateCheck {
		return checkLive(func() error {
			eps, err := api.Collect(e.glow.ListEndpoints(ctx))
			if err != nil {
				return err
			}
			got := map[string]string{}
			for _, ep := range eps {
				if _, dup := got[ep.URL]; dup {
					return fmt.Errorf("two endpoints for %s: %+v", ep.URL, eps)
				}
				got[ep.URL] = ep.Name
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("endpoints %v, want %v", got, want)
			}
			return nil
		})
	}
	mine := objects.EndpointName(DefaultOwner)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy: func(*terraform.State) error {
			eps, err := api.Collect(e.glow.ListEndpoints(ctx))
			if err != nil {
				return err
			}
			if len(eps) != 1 || eps[0].URL != byHand {
				return fmt.Errorf("endpoints after destroy: %+v, want only the one made by hand", eps)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config:            providers("a", hclList([]string{u}), "b", hclList([]string{u}), "c", hclList([]string{byHand})),
				ConfigStateChecks: []statecheck.StateCheck{endpoints(map[string]string{u: mine, byHand: "made by hand"})},
			},
			{
				// a goes while d comes with the same URL, in one apply; b
				// still uses it as well.
				Config:            providers("b", hclList([]string{u}), "c", hclList([]string{byHand}), "d", hclList([]string{u})),
				ConfigStateChecks: []statecheck.StateCheck{endpoints(map[string]string{u: mine, byHand: "made by hand"})},
			},
			{
				// b goes and d switches to v: nobody uses u any more.
				Config:            providers("c", hclList([]string{byHand}), "d", hclList([]string{v})),
				ConfigStateChecks: []statecheck.StateCheck{endpoints(map[string]string{v: mine, byHand: "made by hand"})},
			},
			{
				// Replaced in one apply: the destroyed provider's endpoint is
				// the created one's.
				Config: providers("c", hclList([]string{byHand}), "e", hclList([]string{v})),
				ConfigStateChecks: []statecheck.StateCheck{
					endpoints(map[string]string{v: mine, byHand: "made by hand"}),
					checkLive(func() error {
						ps, err := api.Collect(e.glow.Search(ctx, glow.SearchRequest{}))
						if err != nil {
							return err
						}
						var names []string
						for _, p := range ps {
							names = append(names, p.Name)
						}
						slices.Sort(names)
						if !slices.Equal(names, []string{"c", "e"}) {
							return fmt.Errorf("providers %q", names)
						}
						return nil
					}),
				},
			},
		},
	})
}
