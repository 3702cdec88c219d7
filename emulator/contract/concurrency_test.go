package contract

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/emulator"
)

// Writers that read the same version race: exactly one wins each round,
// the others get version_conflict, never a silent overwrite. One client is
// shared by all of them, as it may be.
func TestConcurrentWritersConflict(t *testing.T) {
	t.Parallel()
	e := start(t, emulator.Config{})
	p := must(e.glow.CreateProviders(ctx, []glow.ProviderInput{{Name: "contended"}}))(t)[0].ProviderID
	const writers = 8
	for round := range 3 {
		v := must(e.glow.GetProvider(ctx, p))(t).Provider.Version
		var wg sync.WaitGroup
		errs := make([]error, writers)
		drafts := make([]*glow.DraftResponse, writers)
		for i := range writers {
			wg.Go(func() {
				drafts[i], errs[i] = e.glow.Draft(ctx, glow.DraftRequest{ProviderID: p, ExpectedVersion: ptr(v),
					Patch: glow.Patch{Description: ptr(fmt.Sprintf("round %d writer %d", round, i))}})
			})
		}
		wg.Wait()
		winners := 0
		var won *glow.DraftResponse
		for i, err := range errs {
			if err == nil {
				winners++
				won = drafts[i]
				continue
			}
			record(t, err)
			var ae *api.Error
			if !errors.As(err, &ae) || ae.Code != api.CodeVersionConflict || !errors.Is(err, api.ErrConflict) {
				t.Errorf("loser %d: %v", i, err)
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d winners", round, winners)
		}
		pub := must(e.glow.Publish(ctx, glow.PublishRequest{DraftID: won.DraftID, ExpectedVersion: ptr(v + 1)}))(t)
		if pub.Version != v+2 || pub.Description != won.FormState.Description {
			t.Errorf("round %d published %+v", round, pub)
		}
	}
}
