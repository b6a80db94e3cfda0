package templatesrc_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/simworld"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
)

// TestSourceLoadsOnce: jobs asking at once for one template version cost
// one download; a second process sharing the database cache costs none;
// the policy is read once within PolicyTTL and a broken one is its own
// error.
func TestSourceLoadsOnce(t *testing.T) {
	sw := simworld.New(t, simworld.Options{Limits: githubsim.Limits{Disabled: true}})
	sw.Publish("1.0.0", simworld.SkeletonV1, "## 1.0.0\n")
	shared := templatesrc.NewDBCache(sw.DB)
	src := templatesrc.New(templatesrc.Options{Shared: shared})
	repo := src.Repo(sw.App.Installation(sw.Installation), simworld.Org, config.DefaultTemplatesRepo)
	ctx := context.Background()
	sw.Sim.ResetCounts()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			tmpl, err := repo.At(ctx, "svc/v1.0.0")
			if err == nil && tmpl.Manifest.Name != "svc" {
				err = errors.New("loaded " + tmpl.Manifest.Name)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := sw.Sim.Counts().ByRoute["GET /repos/{owner}/{repo}/tarball/{ref}"]; n != 1 {
		t.Errorf("8 loads at once downloaded the template %d times, want 1", n)
	}

	sw.Sim.ResetCounts()
	other := templatesrc.New(templatesrc.Options{Shared: shared}).Repo(sw.NewApp().Installation(sw.Installation), simworld.Org, config.DefaultTemplatesRepo)
	if _, err := other.At(ctx, "svc/v1.0.0"); err != nil {
		t.Fatal(err)
	}
	if n := sw.Sim.Counts().ByRoute["GET /repos/{owner}/{repo}/tarball/{ref}"]; n != 0 {
		t.Errorf("a second process downloaded the template %d times, want 0 (the shared cache has it)", n)
	}

	if _, err := sw.Sim.Push(simworld.Org, config.DefaultTemplatesRepo, "main", map[string][]byte{config.PolicyFile: []byte("nonsense: [\n")}, "policy", "maintainer"); err != nil {
		t.Fatal(err)
	}
	sw.Sim.ResetCounts()
	for range 3 {
		_, err := repo.Policy(ctx, "")
		var broken *templatesrc.BrokenPolicyError
		if !errors.As(err, &broken) {
			t.Fatalf("Policy of a broken goldenpath.yaml = %v, want a *BrokenPolicyError", err)
		}
	}
	if n := sw.Sim.Counts().ByRoute["GET /repos/{owner}/{repo}/contents/{path}"]; n != 1 {
		t.Errorf("three reads of the policy cost %d requests, want 1", n)
	}
	if _, err := repo.Fresh().Policy(ctx, ""); err == nil {
		t.Error("a fresh read of the broken policy: want its error")
	}
	if n := sw.Sim.Counts().ByRoute["GET /repos/{owner}/{repo}/contents/{path}"]; n != 2 {
		t.Errorf("a fresh read did not ask GitHub (%d requests)", n)
	}
}
