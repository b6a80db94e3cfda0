package upgrade

import (
	"fmt"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

const (
	readmeOwner = "# payments\n\nThe payments API: takes card payments.\n\nOwned by team-payments.\n"
	mainOwner   = "package main\n\nfunc main() {\n\tprintln(\"payments, v2\")\n}\n"
)

// TestUpgradeLifecycle walks one repository through the upgrade lifecycle
// on the simulator (real client over HTTP, SQLite fleet index), checking the
// pull request, the branch and the dashboard after each step.
func TestUpgradeLifecycle(t *testing.T) {
	wd := newWorld(t, githubsim.Limits{Disabled: true}, testPolicy())
	pr, v110, cl := lifecycleFirstPR(t, wd)
	v120, cl := lifecycleNextVersionAndClose(t, wd, pr, v110, cl)
	pr3, v130, cl := lifecycleBlocked(t, wd, pr, v120, cl)
	lifecycleRebuildAndMerge(t, wd, pr3, v130, cl)
}

// lifecycleFirstPR: scaffolded at 1.0.0 and edited by its owner, the
// repository gets one pull request for 1.1.0.
func lifecycleFirstPR(t *testing.T, wd *world) (githubsim.IssueInfo, map[string]string, string) {
	cl := "## 1.0.0\n\n- First release.\n"
	wd.publish("1.0.0", skeletonV1, cl)
	wd.scaffold("payments", "1.0.0", skeletonV1)
	wd.run()
	if v := wd.fleetVersion("payments"); v != "1.0.0" {
		t.Fatalf("after the scaffold push the fleet says %q", v)
	}
	wd.wantDashboard("## `svc`", "| v1.0.0 (newest) | 1: acme/payments |")

	// The owner edits README.md (which the next version also changes,
	// further down) and main.go (which it does not).
	wd.push("payments", "main", map[string]string{"README.md": readmeOwner, "main.go": mainOwner}, "alice")
	wd.run()

	// v1.1.0: an appended line, a new file, a changelog entry.
	v110 := edited(skeletonV1, map[string]string{
		"README.md":       skeletonV1["README.md"] + "\nSee docs/runbook.md when paged.\n",
		"docs/runbook.md": "# Runbook of {{ .name }}\n",
	})
	cl = "## 1.1.0\n\n- A runbook for on-call.\n\n" + cl
	wd.publish("1.1.0", v110, cl)
	wd.run()
	pr := wd.onlyOpenPR("payments")
	if pr.Title != "Upgrade svc template to v1.1.0" || pr.Head != "goldenpath/upgrade-svc" || pr.Base != "main" || pr.Draft {
		t.Errorf("pull request = %+v", pr)
	}
	if !contains(pr.Labels, Label) {
		t.Errorf("labels = %v, want %s", pr.Labels, Label)
	}
	for _, s := range []string{"from version **1.0.0** to **1.1.0**", "> - A runbook for on-call.", "| `docs/runbook.md` | added |", "| `README.md` | updated |", "- [ ] " + RebuildMarker, "<!-- goldenpath:meta "} {
		if !strings.Contains(pr.Body, s) {
			t.Errorf("body lacks %q:\n%s", s, pr.Body)
		}
	}
	if strings.Contains(pr.Body, "First release") {
		t.Errorf("body quotes the changelog of the version the repository is already on")
	}
	head := wd.files("payments", pr.Head)
	if want := readmeOwner + "\nSee docs/runbook.md when paged.\n"; head["README.md"] != want {
		t.Errorf("README.md on the branch = %q, want %q", head["README.md"], want)
	}
	if head["main.go"] != mainOwner {
		t.Errorf("main.go lost the owner's edit: %q", head["main.go"])
	}
	if head["docs/runbook.md"] != "# Runbook of payments\n" {
		t.Errorf("docs/runbook.md = %q", head["docs/runbook.md"])
	}
	if v := answersVersion(t, head); v != "1.1.0" {
		t.Errorf(".goldenpath.yml on the branch says %s", v)
	}
	wd.oneCommitOnMain("payments", pr.Head)
	if n := wd.lastJobCounts.Total; n > 15 {
		t.Errorf("one upgrade pull request took %d requests, want at most 15: %v", n, wd.lastJobCounts.ByRoute)
	}
	t.Logf("requests for one upgrade pull request (cold caches): %d %v", wd.lastJobCounts.Total, wd.lastJobCounts.ByRoute)
	wd.wantDashboard("| v1.0.0 | 1: acme/payments |", fmt.Sprintf("| acme/payments | v1.1.0 | acme/payments#%d | open |", pr.Number), "1 open")

	return pr, v110, cl
}

// lifecycleNextVersionAndClose: 1.2.0 updates the same pull request; a
// repeated job writes nothing; closed unmerged, it is not reopened.
func lifecycleNextVersionAndClose(t *testing.T, wd *world, pr githubsim.IssueInfo, v110 map[string]string, cl string) (map[string]string, string) {
	// v1.2.0: the same pull request is rebuilt and edited.
	v120 := edited(v110, map[string]string{"config.yml": "name: {{ .name }}\nport: 9090\n"})
	cl = "## 1.2.0\n\n- Listen on 9090.\n\n" + cl
	wd.publish("1.2.0", v120, cl)
	wd.run()
	pr2 := wd.onlyOpenPR("payments")
	if pr2.Number != pr.Number || pr2.Title != "Upgrade svc template to v1.2.0" {
		t.Errorf("after v1.2.0: pull request #%d %q, want #%d updated", pr2.Number, pr2.Title, pr.Number)
	}
	if !strings.Contains(pr2.Body, "> - Listen on 9090.") || !strings.Contains(pr2.Body, "> - A runbook for on-call.") {
		t.Errorf("body does not quote both versions' changelog:\n%s", pr2.Body)
	}
	head := wd.files("payments", pr2.Head)
	if answersVersion(t, head) != "1.2.0" || head["config.yml"] != "name: payments\nport: 9090\n" || head["main.go"] != mainOwner {
		t.Errorf("branch after v1.2.0: %v", head)
	}
	wd.oneCommitOnMain("payments", pr2.Head)
	wd.wantDashboard(fmt.Sprintf("| acme/payments | v1.2.0 | acme/payments#%d | open |", pr.Number))

	// Running the job again changes nothing and writes nothing.
	before := wd.sim.Counts()
	wd.q.EnqueueUpgrades(wd.ctx, []RepoArgs{wd.args("payments", "svc/v1.2.0")})
	wd.run()
	if w := wd.sim.Counts().Writes() - before.Writes(); w != 0 {
		t.Errorf("a repeated job wrote %d times", w)
	}

	// Closed unmerged: not reopened for v1.2.0; a comment says how to get it back.
	if err := wd.sim.ClosePR(org, "payments", pr.Number, "alice"); err != nil {
		t.Fatal(err)
	}
	wd.run()
	if c := wd.sim.Comments(org, "payments", pr.Number); len(c) != 1 || !strings.Contains(c[0].Body, "reopen this pull request") {
		t.Errorf("comments on the closed pull request: %+v", c)
	}
	before = wd.sim.Counts()
	wd.q.EnqueueUpgrades(wd.ctx, []RepoArgs{wd.args("payments", "svc/v1.2.0")})
	wd.run()
	if len(wd.openPRs("payments")) != 0 {
		t.Fatalf("a pull request closed unmerged came back for the same version")
	}
	if w := wd.sim.Counts().Writes() - before.Writes(); w != 0 {
		t.Errorf("the job for a closed version wrote %d times", w)
	}
	wd.wantDashboard("closed unmerged (skipped)")

	return v120, cl
}

// lifecycleBlocked: 1.3.0 opens a new pull request; a person pushes to its
// branch, and later versions never force-push over it (said once).
func lifecycleBlocked(t *testing.T, wd *world, pr githubsim.IssueInfo, v120 map[string]string, cl string) (githubsim.IssueInfo, map[string]string, string) {
	// A newer version opens a new pull request.
	v130 := edited(v120, map[string]string{"Makefile": "test:\n\tgo test ./...\n"})
	cl = "## 1.3.0\n\n- A Makefile.\n\n" + cl
	wd.publish("1.3.0", v130, cl)
	wd.run()
	pr3 := wd.onlyOpenPR("payments")
	if pr3.Number == pr.Number || pr3.Title != "Upgrade svc template to v1.3.0" {
		t.Errorf("after v1.3.0: %+v", pr3)
	}
	wd.oneCommitOnMain("payments", pr3.Head)

	// A person pushes to the branch: never force-pushed again, said once.
	human := wd.push("payments", pr3.Head, map[string]string{"NOTES.md": "my notes\n"}, "alice")
	for _, v := range []string{"1.4.0", "1.5.0"} {
		skel := edited(v130, map[string]string{"VERSION": v + "\n"})
		cl = "## " + v + "\n\n- VERSION file " + v + ".\n\n" + cl
		wd.publish(v, skel, cl)
		wd.run()
		if h := wd.sim.Head(org, "payments", pr3.Head); h != human {
			t.Fatalf("after v%s the branch moved from the person's commit %s to %s", v, human, h)
		}
	}
	blocked := 0
	for _, c := range wd.sim.Comments(org, "payments", pr3.Number) {
		if strings.Contains(c.Body, "no longer updates this pull request") {
			blocked++
			if !strings.Contains(c.Body, "@alice") {
				t.Errorf("blocked comment does not name the person: %s", c.Body)
			}
		}
	}
	if blocked != 1 {
		t.Errorf("%d blocked comments, want exactly 1", blocked)
	}
	wd.wantDashboard("blocked: someone pushed to the branch")

	return pr3, v130, cl
}

// lifecycleRebuildAndMerge: the rebuild box rebuilds the branch at the
// newest version; merged, the index has it; then a job costs nothing.
func lifecycleRebuildAndMerge(t *testing.T, wd *world, pr3 githubsim.IssueInfo, v130 map[string]string, cl string) {
	// Ticking the rebuild box rebuilds the branch at the newest version.
	ticked := strings.Replace(wd.onlyOpenPR("payments").Body, "- [ ] "+RebuildMarker, "- [x] "+RebuildMarker, 1)
	if err := wd.sim.EditIssue(org, "payments", pr3.Number, "alice", nil, &ticked); err != nil {
		t.Fatal(err)
	}
	wd.run()
	pr4 := wd.onlyOpenPR("payments")
	head := wd.files("payments", pr4.Head)
	if pr4.Number != pr3.Number || pr4.Title != "Upgrade svc template to v1.5.0" || answersVersion(t, head) != "1.5.0" {
		t.Errorf("after the rebuild: #%d %q version %s", pr4.Number, pr4.Title, answersVersion(t, head))
	}
	if _, ok := head["NOTES.md"]; ok {
		t.Errorf("the rebuild kept the person's commit")
	}
	if RebuildRequested(pr4.Body) {
		t.Errorf("the rebuild box is still ticked")
	}
	wd.oneCommitOnMain("payments", pr4.Head)
	wd.wantDashboard(fmt.Sprintf("| acme/payments | v1.5.0 | acme/payments#%d | open |", pr4.Number))

	// Merged: the fleet index shows the new version.
	if _, err := wd.sim.MergePR(org, "payments", pr4.Number, "alice"); err != nil {
		t.Fatal(err)
	}
	wd.run()
	if v := wd.fleetVersion("payments"); v != "1.5.0" {
		t.Errorf("after the merge the fleet says %s, want 1.5.0", v)
	}
	rec, err := wd.fleet.UpgradePR(wd.ctx, org, "payments", "svc")
	if err != nil || rec.State != fleet.PRMerged {
		t.Errorf("upgrade PR record = %+v, %v", rec, err)
	}
	wd.wantDashboard("| v1.5.0 (newest) | 1: acme/payments |", "1 merged")

	// Up to date: a job for a version it has makes no request at all.
	before := wd.sim.Counts()
	wd.q.EnqueueUpgrades(wd.ctx, []RepoArgs{wd.args("payments", "svc/v1.5.0")})
	wd.run()
	if n := wd.sim.Counts().Total - before.Total; n != 0 {
		t.Errorf("a job for an up-to-date repository made %d requests", n)
	}
	if v := wd.sim.Violations(); len(v) != 0 {
		t.Errorf("rate-limit violations: %v", v)
	}
	if u := wd.sim.UnknownRoutes(); len(u) != 0 {
		t.Errorf("unknown routes: %v", u)
	}
}

// TestConflictOpensADraft: an owner's edit of a line the template also
// changes gives a draft with markers and the conflict listed.
func TestConflictOpensADraft(t *testing.T) {
	wd := newWorld(t, githubsim.Limits{Disabled: true}, testPolicy())
	wd.publish("1.0.0", skeletonV1, "## 1.0.0\n")
	wd.scaffold("orders", "1.0.0", skeletonV1)
	wd.push("orders", "main", map[string]string{"config.yml": "name: orders\nport: 7070\n"}, "alice")
	wd.run()
	wd.publish("1.1.0", edited(skeletonV1, map[string]string{"config.yml": "name: {{ .name }}\nport: 9090\n"}), "## 1.1.0\n\n- Port 9090.\n")
	wd.run()
	pr := wd.onlyOpenPR("orders")
	if !pr.Draft {
		t.Errorf("a conflicting upgrade is not a draft")
	}
	want := "name: orders\n<<<<<<< repository\nport: 7070\n=======\nport: 9090\n>>>>>>> template v1.1.0\n"
	if got := wd.files("orders", pr.Head)["config.yml"]; got != want {
		t.Errorf("config.yml = %q, want %q", got, want)
	}
	for _, s := range []string{"1 file with conflicts", "- `config.yml` (1 conflict)", "| `config.yml` | **conflict** |"} {
		if !strings.Contains(pr.Body, s) {
			t.Errorf("body lacks %q:\n%s", s, pr.Body)
		}
	}
	wd.wantDashboard("open, ⚠️ 1 conflict", "1 with conflicts")
}

// TestUpToDateAndPrerelease: a prerelease is never rolled out; a repository
// whose index entry is stale but which is already on the version gets no
// write, and the index catches up.
func TestUpToDateAndPrerelease(t *testing.T) {
	wd := newWorld(t, githubsim.Limits{Disabled: true}, testPolicy())
	wd.publish("1.0.0", skeletonV1, "## 1.0.0\n")
	wd.publish("1.1.0", edited(skeletonV1, map[string]string{"NEW": "x\n"}), "## 1.1.0\n")
	wd.scaffold("ledger", "1.1.0", edited(skeletonV1, map[string]string{"NEW": "x\n"}))
	wd.run()
	// The index is told an older version than the repository holds.
	if err := wd.fleet.Upsert(wd.ctx, fleet.Repo{InstallationID: wd.inst, Owner: org, Name: "ledger", Template: "svc", Version: "1.0.0", DefaultBranch: "main"}); err != nil {
		t.Fatal(err)
	}
	wd.publish("1.2.0-rc.1", edited(skeletonV1, map[string]string{"RC": "x\n"}), "## 1.2.0-rc.1\n")
	wd.run()
	if n := len(wd.sim.PullRequests(org, "ledger")); n != 0 {
		t.Fatalf("a prerelease opened %d pull requests", n)
	}
	before := wd.sim.Counts()
	wd.q.EnqueueUpgrades(wd.ctx, []RepoArgs{wd.args("ledger", "svc/v1.1.0")})
	wd.run()
	if w := wd.sim.Counts().Writes() - before.Writes(); w != 0 {
		t.Errorf("an up-to-date repository got %d writes", w)
	}
	if v := wd.fleetVersion("ledger"); v != "1.1.0" {
		t.Errorf("the index did not catch up: %s", v)
	}
}

func (wd *world) args(repo, tag string) RepoArgs {
	return RepoArgs{InstallationID: wd.inst, Owner: org, Repo: repo, Tag: tag, TemplatesOwner: org, TemplatesRepo: config.DefaultTemplatesRepo, Cause: "test"}
}

// oneCommitOnMain checks the branch is exactly one commit on the default
// branch's current head.
func (wd *world) oneCommitOnMain(repo, branch string) {
	wd.t.Helper()
	commits, err := wd.sim.Commits(org, repo, branch)
	if err != nil {
		wd.t.Fatal(err)
	}
	main := wd.sim.Head(org, repo, "main")
	if len(commits) == 0 || len(commits[0].Parents) != 1 || commits[0].Parents[0] != main {
		wd.t.Errorf("branch %s is not one commit on main %s: %+v", branch, main, commits[:min(2, len(commits))])
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var _ = template.AnswersFileName

// TestClosedBranchWithAPersonsCommit: a closed upgrade pull request whose
// branch a person pushed to is never force-pushed by the next version; the
// failure is on the dashboard with what to do.
func TestClosedBranchWithAPersonsCommit(t *testing.T) {
	wd := newWorld(t, githubsim.Limits{Disabled: true}, testPolicy())
	wd.publish("1.0.0", skeletonV1, "## 1.0.0\n")
	wd.scaffold("search", "1.0.0", skeletonV1)
	wd.run()
	wd.publish("1.1.0", edited(skeletonV1, map[string]string{"A": "a\n"}), "## 1.1.0\n")
	wd.run()
	pr := wd.onlyOpenPR("search")
	human := wd.push("search", pr.Head, map[string]string{"MINE": "mine\n"}, "alice")
	if err := wd.sim.ClosePR(org, "search", pr.Number, "alice"); err != nil {
		t.Fatal(err)
	}
	wd.run()
	wd.publish("1.2.0", edited(skeletonV1, map[string]string{"A": "b\n"}), "## 1.2.0\n")
	wd.run()
	if h := wd.sim.Head(org, "search", pr.Head); h != human {
		t.Fatalf("the branch with a person's commit moved to %s", h)
	}
	if n := len(wd.openPRs("search")); n != 0 {
		t.Errorf("%d pull requests open", n)
	}
	wd.wantDashboard("❌ failed: branch goldenpath/upgrade-svc has commits by @alice: it is never force-pushed")
}

// TestDraftFollowsConflicts: an open upgrade pull request that gains
// conflicts on an update becomes a draft, and one whose conflicts are gone
// becomes ready for review, each with one GraphQL request; a pull request
// already in the right state costs none.
func TestDraftFollowsConflicts(t *testing.T) {
	wd := newWorld(t, githubsim.Limits{Disabled: true}, testPolicy())
	wd.publish("1.0.0", skeletonV1, "## 1.0.0\n")
	wd.scaffold("orders", "1.0.0", skeletonV1)
	wd.run()
	steps := []struct {
		name      string
		ownerEdit map[string]string // pushed to main before the version
		version   string
		skel      map[string]string
		wantDraft bool
		wantGQL   int
	}{
		{name: "clean: opened ready", version: "1.1.0",
			skel: edited(skeletonV1, map[string]string{"NOTES": "n\n"}), wantDraft: false, wantGQL: 0},
		{name: "conflict: becomes a draft", ownerEdit: map[string]string{"config.yml": "name: orders\nport: 7070\n"}, version: "1.2.0",
			skel: edited(skeletonV1, map[string]string{"NOTES": "n\n", "config.yml": "name: {{ .name }}\nport: 9090\n"}), wantDraft: true, wantGQL: 1},
		{name: "still conflicting: stays a draft", version: "1.3.0",
			skel: edited(skeletonV1, map[string]string{"NOTES": "m\n", "config.yml": "name: {{ .name }}\nport: 9090\n"}), wantDraft: true, wantGQL: 0},
		{name: "conflict resolved on main: ready", ownerEdit: map[string]string{"config.yml": "name: orders\nport: 9090\n"}, version: "1.4.0",
			skel: edited(skeletonV1, map[string]string{"NOTES": "o\n", "config.yml": "name: {{ .name }}\nport: 9090\n"}), wantDraft: false, wantGQL: 1},
	}
	number := 0
	for _, s := range steps {
		if s.ownerEdit != nil {
			wd.push("orders", "main", s.ownerEdit, "alice")
			wd.run()
		}
		wd.publish(s.version, s.skel, "## "+s.version+"\n")
		wd.run()
		pr := wd.onlyOpenPR("orders")
		if number == 0 {
			number = pr.Number
		}
		if pr.Number != number || pr.Title != "Upgrade svc template to v"+s.version {
			t.Fatalf("%s: pull request #%d %q, want #%d updated to v%s", s.name, pr.Number, pr.Title, number, s.version)
		}
		if pr.Draft != s.wantDraft {
			t.Errorf("%s: draft = %v, want %v", s.name, pr.Draft, s.wantDraft)
		}
		if n := wd.lastJobCounts.ByRoute["POST /graphql"]; n != s.wantGQL {
			t.Errorf("%s: %d GraphQL requests, want %d", s.name, n, s.wantGQL)
		}
	}
	if v := wd.sim.Violations(); len(v) != 0 {
		t.Errorf("rate-limit violations: %v", v)
	}
}
