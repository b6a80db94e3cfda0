package upgrade

import (
	"context"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

// TestReconcile: a repository adopted while deliveries were lost joins the
// fleet, an unchanged answers file costs a 304, a missed rollout is caught
// up, and a repository that drops its answers file leaves the fleet.
func TestReconcile(t *testing.T) {
	wd := newWorld(t, githubsim.Limits{Disabled: true}, testPolicy())
	wd.w.cfg.Installations = func(ctx context.Context) ([]github.InstallationInfo, error) {
		return []github.InstallationInfo{{ID: wd.inst, Account: org}}, nil
	}
	wd.publish("1.0.0", skeletonV1, "## 1.0.0\n")
	wd.scaffold("billing", "1.0.0", skeletonV1)
	wd.publish("1.1.0", edited(skeletonV1, map[string]string{"NEW.md": "new\n"}), "## 1.1.0\n\n- NEW.md.\n")
	wd.seen = len(wd.sim.Deliveries()) // every delivery so far is lost

	if err := wd.w.ReconcileAll(wd.ctx); err != nil {
		t.Fatal(err)
	}
	if v := wd.fleetVersion("billing"); v != "1.0.0" {
		t.Fatalf("fleet after reconcile: %s", v)
	}
	wd.run()
	pr := wd.onlyOpenPR("billing")
	if pr.Title != "Upgrade svc template to v1.1.0" {
		t.Errorf("missed rollout not caught up: %+v", pr)
	}

	// Nothing changed: the answers files are answered 304.
	if etag, _, err := wd.fleet.ETag(wd.ctx, "answers:acme/billing"); err != nil || etag == "" {
		t.Fatalf("no ETag kept for the answers file: %q %v", etag, err)
	}
	before := wd.sim.Counts()
	if err := wd.w.Reconcile(wd.ctx, wd.inst, org); err != nil {
		t.Fatal(err)
	}
	after := wd.sim.Counts()
	if w := after.Writes() - before.Writes(); w != 0 {
		t.Errorf("an idle reconcile wrote %d times", w)
	}
	wd.run()
	if n := len(wd.sim.PullRequests(org, "billing")); n != 1 {
		t.Errorf("%d pull requests after a second reconcile, want 1", n)
	}

	// The answers file goes: the repository leaves the fleet.
	if _, err := wd.sim.Push(org, "billing", "main", map[string][]byte{".goldenpath.yml": nil}, "bye", "alice"); err != nil {
		t.Fatal(err)
	}
	wd.seen = len(wd.sim.Deliveries())
	if err := wd.w.Reconcile(wd.ctx, wd.inst, org); err != nil {
		t.Fatal(err)
	}
	if _, err := wd.fleet.Get(wd.ctx, org, "billing"); err == nil || !strings.Contains(err.Error(), "not in the fleet") {
		t.Errorf("billing still in the fleet: %v", err)
	}
}

// TestInstallationEvents: repositories added to the installation join the
// fleet by their answers file; removed ones leave it.
func TestInstallationEvents(t *testing.T) {
	wd := newWorld(t, githubsim.Limits{Disabled: true}, testPolicy())
	wd.scaffold("inventory", "1.0.0", skeletonV1)
	wd.seen = len(wd.sim.Deliveries()) // the scaffold push is lost
	if err := wd.sim.AddInstallationRepos(org, "inventory"); err != nil {
		t.Fatal(err)
	}
	wd.run()
	if v := wd.fleetVersion("inventory"); v != "1.0.0" {
		t.Fatalf("fleet version %q", v)
	}
	payload := []byte(`{"action":"removed","installation":{"id":1,"account":{"login":"acme"}},"repositories_added":[],"repositories_removed":[{"full_name":"acme/inventory"}]}`)
	if err := wd.w.HandleEvent(wd.ctx, "installation_repositories", "d1", wd.inst, payload); err != nil {
		t.Fatal(err)
	}
	if _, err := wd.fleet.Get(wd.ctx, org, "inventory"); err == nil {
		t.Errorf("a removed repository stayed in the fleet")
	}
}

// TestReconcileKeepsARepositoryRecordedMeanwhile: a reconcile lists the
// installation's repositories, then the fleet; a repository a request
// recorded in between (or one GitHub's listing does not show yet) is not
// "gone" — forgetting it would leave it out of every rollout. (Seen in
// TestGitHubFaults: two of ten new repositories lost their fleet record to
// the installation's reconcile and never got their upgrade pull request.)
func TestReconcileKeepsARepositoryRecordedMeanwhile(t *testing.T) {
	wd := newWorld(t, githubsim.Limits{Disabled: true}, testPolicy())
	wd.publish("1.0.0", skeletonV1, "## 1.0.0\n")
	if err := wd.fleet.Upsert(wd.ctx, fleet.Repo{InstallationID: wd.inst, Owner: org, Name: "brand-new", Template: "svc", Version: "1.0.0", DefaultBranch: "main"}); err != nil {
		t.Fatal(err)
	}
	if err := wd.w.Reconcile(wd.ctx, wd.inst, org); err != nil {
		t.Fatal(err)
	}
	if _, err := wd.fleet.Get(wd.ctx, org, "brand-new"); err != nil {
		t.Fatalf("a repository recorded just before the reconcile was forgotten: %v", err)
	}
}
