package upgrade

import (
	"context"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
)

// TestSecondReplicaReadsSharedTemplates: a replica whose memory is cold
// reads the templates of an upgrade from the cache replicas share through
// the database, so its upgrade costs fewer GitHub requests than one without
// that cache (which is what every replica paid before), and never more.
func TestSecondReplicaReadsSharedTemplates(t *testing.T) {
	wd := newWorld(t, githubsim.Limits{Disabled: true}, testPolicy())
	wd.publish("1.0.0", skeletonV1, "## 1.0.0\n")
	repos := []string{"a", "b", "c"}
	for _, r := range repos {
		wd.scaffold(r, "1.0.0", skeletonV1)
	}
	wd.run()
	for _, r := range repos {
		if err := wd.w.RefreshRepo(wd.ctx, wd.inst, org, r, "main", ""); err != nil {
			t.Fatal(err)
		}
	}
	wd.publish("1.1.0", edited(skeletonV1, map[string]string{"NEW": "x\n"}), "## 1.1.0\n")
	shared := templatesrc.NewDBCache(wd.db)
	// A replica: its own GitHub App clients (cold tree cache) and templates
	// source, on the same database.
	replica := func(sh templatesrc.Shared) *Workflow {
		app := wd.sw.NewApp()
		cfg := wd.w.cfg
		cfg.Client = func(ctx context.Context, id int64) (GitHub, error) { return app.Installation(id), nil }
		cfg.Templates = templatesrc.New(templatesrc.Options{Shared: sh})
		w, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	cost := func(w *Workflow, repo string) int {
		t.Helper()
		before := wd.sim.Counts()
		if err := w.UpgradeRepo(wd.ctx, wd.args(repo, "svc/v1.1.0")); err != nil {
			t.Fatalf("upgrading %s: %v", repo, err)
		}
		n := 0
		for k, v := range wd.sim.Counts().ByRoute {
			if d := v - before.ByRoute[k]; d > 0 && !strings.Contains(k, "access_tokens") {
				n += d
			}
		}
		return n
	}
	unshared := cost(replica(nil), "a")
	first := cost(replica(shared), "b")
	second := cost(replica(shared), "c")
	t.Logf("requests of one upgrade: without the shared cache %d, first replica %d, second replica %d", unshared, first, second)
	if first != unshared {
		t.Errorf("the first replica paid %d requests, want %d as without the shared cache", first, unshared)
	}
	// Two templates (the old and the new version) read from the database:
	// at least one download each spared.
	if second > unshared-2 {
		t.Errorf("the second replica paid %d requests, want at most %d (two template downloads fewer than %d)", second, unshared-2, unshared)
	}
	for _, r := range repos {
		if n := len(wd.openPRs(r)); n != 1 {
			t.Errorf("%s has %d open pull requests, want 1", r, n)
		}
	}
}
