package app_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/goldenpath-dev/goldenpath/internal/catalog/catalogtest"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/sandbox"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// existingRepo makes a repository that existed before goldenpath: its own
// files on main, pushed by a developer.
func (w *world) existingRepo(name, description string, topics []string, files map[string]string) {
	w.t.Helper()
	if err := w.Sim.CreateRepo(org, name, githubsim.RepoOptions{Description: description, Topics: topics}); err != nil {
		w.t.Fatal(err)
	}
	data := map[string][]byte{}
	for p, s := range files {
		data[p] = []byte(s)
	}
	if _, err := w.Sim.Push(org, name, "main", data, "The service as it was", developer); err != nil {
		w.t.Fatal(err)
	}
}

// fileAdoption opens an adoption issue for go-service, as the adoption form
// submits it.
func (w *world) fileAdoption(repos []string, answers map[string]any) int {
	w.t.Helper()
	n, err := w.FileAdoption(sandbox.BuiltinTemplates(), "go-service", developer, repos, answers)
	if err != nil {
		w.t.Fatal(err)
	}
	w.settle()
	return n
}

// ownDockerfile is the golden path's Dockerfile with the team's own
// addition at the end: kept by the adoption, merged into by upgrades.
func ownDockerfile(t *testing.T, name string) string {
	skel := readFile(t, "templates/go-service/skeleton/Dockerfile")
	return strings.ReplaceAll(string(skel), "{{ .name }}", name) + "LABEL org.opencontainers.image.vendor=acme-billing\n"
}

// TestAdoptionOfExistingRepositories follows SPEC §6 end to end: an
// adoption issue naming a repository with its own README.md, Dockerfile and
// CODEOWNERS, one whose owner cannot be inferred, one owned through its
// maintaining team, an archived one and one that does not exist; one
// adoption pull request that adds what is missing and keeps the rest byte
// for byte (although GitHub loses the answer to one create); the issue's one
// comment; redeliveries that add nothing; a newer version moving the open
// pull request; the merge that puts the repository in the fleet; and the
// next version reaching it as an upgrade that 3-way merges into its
// Dockerfile.
func TestAdoptionOfExistingRepositories(t *testing.T) {
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d, nil)
		readme := "# Billing\n\nBills customers every month. Ask #billing.\n"
		dockerfile := ownDockerfile(t, "billing")
		w.existingRepo("billing", "Bills customers every month.", nil, map[string]string{
			"README.md": readme, "Dockerfile": dockerfile, "CODEOWNERS": "* @acme/" + team + "\n", "main.go": "package main\n\nfunc main() {}\n",
		})
		w.existingRepo("orphan", "Nobody remembers who runs this.", nil, map[string]string{"README.md": "# Orphan\n"})
		// No CODEOWNERS, no catalog: the one team that maintains it owns it.
		w.existingRepo("ledger", "Keeps the books of every payment.", nil, map[string]string{"README.md": "# Ledger\n"})
		if err := w.Sim.GrantTeamRepo(org, team, org, "ledger", "maintain"); err != nil {
			t.Fatal(err)
		}

		if err := w.Sim.CreateRepo(org, "attic", githubsim.RepoOptions{Archived: true}); err != nil {
			t.Fatal(err)
		}

		// GitHub opens the first adoption pull request but the bot never
		// hears so (a 502 after the write): the retried job must find it.
		w.Sim.SetFaults([]githubsim.Fault{{Method: "POST", Pattern: "/repos/{owner}/{repo}/pulls", Nth: 1, Kind: githubsim.AfterWrite502}})
		n := w.fileAdoption([]string{"billing", "orphan", "no-such-repo", "ledger", "attic"}, map[string]any{"system": "billing"})
		w.settleAdoption(n)
		if got := w.Sim.Counts().ByRoute["POST /repos/{owner}/{repo}/pulls"]; got != 2 {
			t.Errorf("POST pulls sent %d times for billing's and ledger's pull requests, want 2 (one lost answer, no second pull request)", got)
		}
		for _, repo := range []string{"billing", "ledger"} {
			if pr, err := w.App.Fleet.UpgradePR(w.ctx, org, repo, "go-service"); err != nil || pr.State != "open" || pr.Number != 1 {
				t.Errorf("the fleet index records %s's pull request as %+v (%v), want open #1", repo, pr, err)
			}
		}

		prs := w.Sim.PullRequests(org, "billing")
		if len(prs) != 1 {
			t.Fatalf("billing has %d pull requests, want 1: %+v", len(prs), prs)
		}
		pr := prs[0]
		if pr.Title != "Adopt the go-service golden path (v1.0.0)" || pr.Head != "goldenpath/upgrade-go-service" || pr.State != "open" {
			t.Errorf("pull request %q from %s (%s)", pr.Title, pr.Head, pr.State)
		}
		w.wantAdoptionPR(pr, n)
		if prs := w.Sim.PullRequests(org, "ledger"); len(prs) != 1 {
			t.Errorf("ledger has %d pull requests, want one (owner from its only maintaining team)", len(prs))
		} else if files, err := w.Sim.Files(org, "ledger", prs[0].Head); err != nil || !regexp.MustCompile(`(?m)^\s*owner: "?`+team+`"?$`).Match(files["catalog-info.yaml"]) {
			t.Errorf("ledger's catalog-info.yaml (%v) does not name %s:\n%s", err, team, files["catalog-info.yaml"])
		}
		if len(w.Sim.PullRequests(org, "orphan")) != 0 {
			t.Error("orphan got a pull request though its owner cannot be inferred")
		}

		comment := w.wantOneComment(n, "acme/billing#1", "acme/orphan", "`owner`", "acme/no-such-repo", "not a repository", "acme/ledger#1", "acme/attic", "archived")
		is := w.issue(n)
		if is.State != "closed" || is.StateReason != "completed" || !has(is.Labels, "goldenpath:created") {
			t.Errorf("issue #%d is %s (%s) with %v, want closed as completed and goldenpath:created\n%s", n, is.State, is.StateReason, is.Labels, comment)
		}

		// Redelivered three times: still one pull request, one comment.
		var opened string
		for _, d := range w.Sim.Deliveries() {
			if d.Event == "issues" && d.Action == "opened" {
				opened = d.ID
			}
		}
		for range 3 {
			if err := w.Sim.Redeliver(opened); err != nil {
				t.Fatal(err)
			}
			w.settle()
		}
		for _, repo := range []string{"billing", "ledger"} {
			if prs := w.Sim.PullRequests(org, repo); len(prs) != 1 {
				t.Errorf("after redeliveries %s has %d pull requests, want 1", repo, len(prs))
			}
		}
		if prs := w.Sim.PullRequests(org, "orphan"); len(prs) != 0 {
			t.Errorf("after redeliveries orphan has %d pull requests, want none", len(prs))
		}
		w.wantOneComment(n, "acme/billing#1")

		// A person commits on ledger's adoption branch: the newer version
		// must not force-push over it.
		personal, err := w.Sim.Push(org, "ledger", "goldenpath/upgrade-go-service", map[string][]byte{"NOTES.md": []byte("Ask #ledger.\n")}, "Notes", developer)
		if err != nil {
			t.Fatal(err)
		}
		w.moveMergeAndUpgrade(pr, n, readme, dockerfile)
		if prs := w.Sim.PullRequests(org, "ledger"); len(prs) != 1 || prs[0].HeadSHA != personal || prs[0].Title != "Adopt the go-service golden path (v1.0.0)" {
			t.Errorf("ledger's pull request after v1.0.1 and v1.1.0: %+v, want it left at v1.0.0 on %s's commit", prs, developer)
		}
		w.wantOneComment(n, "acme/ledger#1: @"+developer+" pushed to goldenpath/upgrade-go-service")
	})
}

// wantAdoptionPR checks billing's adoption pull request (SPEC §6): nothing
// the repository has is changed, catalog (Backstage-valid, owner from
// CODEOWNERS), CI and .goldenpath.yml are added in one commit, and the body
// lists README.md and Dockerfile as kept.
func (w *world) wantAdoptionPR(pr githubsim.IssueInfo, n int) {
	t := w.t
	t.Helper()
	main, err := w.Sim.Files(org, "billing", "main")
	if err != nil {
		t.Fatal(err)
	}
	branch, err := w.Sim.Files(org, "billing", pr.Head)
	if err != nil {
		t.Fatal(err)
	}
	for p, data := range main {
		if string(branch[p]) != string(data) {
			t.Errorf("the adoption changed %s", p)
		}
	}
	for _, p := range []string{"catalog-info.yaml", ".github/workflows/ci.yml", ".goldenpath.yml"} {
		if _, ok := branch[p]; !ok {
			t.Errorf("the adoption does not add %s", p)
		}
	}
	if commits, err := w.Sim.Commits(org, "billing", pr.Head); err != nil || len(commits) != 2 {
		t.Errorf("the branch has %d commits (%v), want the repository's one and the adoption's one", len(commits), err)
	}
	var entity struct{ Spec struct{ Owner string } }
	if err := yaml.Unmarshal(branch["catalog-info.yaml"], &entity); err != nil || entity.Spec.Owner != team {
		t.Errorf("catalog-info.yaml owner %q (%v), want %s from CODEOWNERS", entity.Spec.Owner, err, team)
	}
	if err := catalogtest.Backstage(t, branch["catalog-info.yaml"]); err != nil {
		t.Errorf("Backstage rejects the adopted catalog-info.yaml: %v", err)
	}
	af, err := template.ParseAnswersFile(branch[".goldenpath.yml"])
	if err != nil || af.Template != "go-service" || af.Version != "1.0.0" || !strings.HasSuffix(af.Request, fmt.Sprintf("/issues/%d", n)) {
		t.Errorf(".goldenpath.yml = %+v, %v", af, err)
	}
	kept := pr.Body[strings.Index(pr.Body, "### Kept"):strings.Index(pr.Body, "### Already")]
	for _, p := range []string{"`README.md`", "`Dockerfile`"} {
		if !strings.Contains(kept, p) {
			t.Errorf("the body does not list %s as kept:\n%s", p, pr.Body)
		}
	}
}

// moveMergeAndUpgrade follows billing's open adoption pull request: a newer
// version moves it (same pull request), the merge puts the repository in the
// fleet and its comment row says so, and the next version is an upgrade that
// 3-way merges into the Dockerfile the repository kept.
func (w *world) moveMergeAndUpgrade(pr githubsim.IssueInfo, n int, readme, dockerfile string) {
	t := w.t
	t.Helper()
	// While it is open, a newer version moves the same pull request.
	if _, err := w.PublishVersion("go-service", "1.0.1", "- Clearer docs.", "platform-team", nil); err != nil {
		t.Fatal(err)
	}
	w.settle()
	var moved githubsim.IssueInfo
	err := sandbox.WaitFor(w.ctx, 2*timeout, "the adoption pull request to move to v1.0.1", func() bool {
		prs := w.Sim.PullRequests(org, "billing")
		if len(prs) == 1 {
			moved = prs[0]
		}
		return len(prs) == 1 && moved.Title == "Adopt the go-service golden path (v1.0.1)"
	})
	if err != nil || moved.Number != pr.Number || moved.State != "open" {
		t.Fatalf("%v: billing's pull requests %+v, want #%d moved to v1.0.1", err, w.Sim.PullRequests(org, "billing"), pr.Number)
	}
	branch, err := w.Sim.Files(org, "billing", pr.Head)
	if err != nil {
		t.Fatal(err)
	}
	if af, err := template.ParseAnswersFile(branch[".goldenpath.yml"]); err != nil || af.Version != "1.0.1" || string(branch["Dockerfile"]) != dockerfile {
		t.Errorf("after the move .goldenpath.yml = %+v (%v), Dockerfile kept: %v", af, err, string(branch["Dockerfile"]) == dockerfile)
	}

	// Merged: in the fleet; the next version is an upgrade that merges
	// into the Dockerfile the repository kept.
	if _, err := w.Sim.MergePR(org, "billing", pr.Number, developer); err != nil {
		t.Fatal(err)
	}
	w.settle()
	if rec, err := w.App.Fleet.Get(w.ctx, org, "billing"); err != nil || rec.Template != "go-service" || rec.Version != "1.0.1" {
		t.Fatalf("after the merge the fleet index says %+v, %v", rec, err)
	}
	if err := sandbox.WaitFor(w.ctx, 2*timeout, "the comment to say billing's adoption was merged", func() bool {
		cs := w.botComments(n)
		return len(cs) == 1 && strings.Contains(cs[0].Body, "acme/billing#1 merged: in the fleet at v1.0.1")
	}); err != nil {
		t.Errorf("%v: %+v", err, w.botComments(n))
	}
	skel := string(readFile(t, "templates/go-service/skeleton/Dockerfile"))
	if _, err := w.PublishVersion("go-service", "1.1.0", "- Expose the metrics port.", "platform-team", map[string][]byte{
		"skeleton/Dockerfile": []byte(strings.Replace(skel, "EXPOSE 8080\n", "EXPOSE 8080 9090\n", 1)),
	}); err != nil {
		t.Fatal(err)
	}
	w.settle()
	up := openPRs(w.Sim.PullRequests(org, "billing"))
	if len(up) != 1 || up[0].Title != "Upgrade go-service template to v1.1.0" || up[0].Draft {
		t.Fatalf("after v1.1.0 billing has open pull requests %+v, want one upgrade without conflicts", up)
	}
	head, err := w.Sim.Files(org, "billing", up[0].Head)
	if err != nil {
		t.Fatal(err)
	}
	got := string(head["Dockerfile"])
	if !strings.Contains(got, "EXPOSE 8080 9090") || !strings.Contains(got, "vendor=acme-billing") {
		t.Errorf("the upgrade did not merge both sides into the kept Dockerfile:\n%s", got)
	}
	if string(head["README.md"]) != readme {
		t.Errorf("the upgrade changed the repository's own README.md:\n%s", head["README.md"])
	}
}

// settleAdoption waits until the adoption issue is closed: its comment is
// a batched job that follows the repository jobs.
func (w *world) settleAdoption(n int) {
	w.t.Helper()
	err := sandbox.WaitFor(w.ctx, 4*timeout, "the adoption issue to close", func() bool {
		is, err := w.Sim.Issue(org, w.TemplatesRepo, n)
		return err == nil && is.State == "closed"
	})
	if err != nil {
		cs := w.botComments(n)
		w.t.Fatalf("%v; bot comments: %+v", err, cs)
	}
	w.settle()
}
