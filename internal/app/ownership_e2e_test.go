package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/sandbox"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade"
)

// changeAnswers pushes, as a person, .goldenpath.yml of repo with the
// answers set, and returns the pushed commit.
func (w *world) changeAnswers(repo string, set map[string]any) string {
	w.t.Helper()
	files, err := w.Sim.Files(org, repo, "main")
	if err != nil {
		w.t.Fatal(err)
	}
	af, err := template.ParseAnswersFile(files[template.AnswersFileName])
	if err != nil {
		w.t.Fatal(err)
	}
	for k, v := range set {
		af.Answers[k] = v
	}
	sha, err := w.Sim.Push(org, repo, "main", map[string][]byte{template.AnswersFileName: af.Marshal()}, "Change the answers", developer)
	if err != nil {
		w.t.Fatal(err)
	}
	w.settle()
	return sha
}

// editReadme pushes, as a person, an edit of repo's README.md and returns
// the line it added.
func (w *world) editReadme(repo string) string {
	w.t.Helper()
	files, err := w.Sim.Files(org, repo, "main")
	if err != nil {
		w.t.Fatal(err)
	}
	title, rest, _ := strings.Cut(string(files["README.md"]), "\n")
	line := "On call: #" + repo + "-oncall."
	if _, err := w.Sim.Push(org, repo, "main", map[string][]byte{"README.md": []byte(title + "\n\n" + line + "\n" + rest)}, "Say who is on call", developer); err != nil {
		w.t.Fatal(err)
	}
	w.settle()
	return line
}

// onePR returns repo's one open pull request, failing if it has not
// exactly one.
func (w *world) onePR(repo string) githubsim.IssueInfo {
	w.t.Helper()
	prs := openPRs(w.Sim.PullRequests(org, repo))
	if len(prs) != 1 {
		w.t.Fatalf("%s has %d open pull requests, want 1: %+v", repo, len(prs), prs)
	}
	return prs[0]
}

// branchFiles reads the files of a pull request's branch.
func (w *world) branchFiles(repo, branch string) map[string]string {
	w.t.Helper()
	files, err := w.Sim.Files(org, repo, branch)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]string{}
	for p, b := range files {
		out[p] = string(b)
	}
	return out
}

// redeliverPush delivers again the push of commit sha, and settles.
func (w *world) redeliverPush(sha string) {
	w.t.Helper()
	for _, dl := range w.Sim.Deliveries() {
		if dl.Event == "push" && strings.Contains(string(dl.Payload), sha) {
			if err := w.Sim.Redeliver(dl.ID); err != nil {
				w.t.Fatal(err)
			}
		}
	}
	w.settle()
}

func wantContains(t *testing.T, what, text string, want ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(text, s) {
			t.Errorf("%s lacks %q:\n%s", what, s, text)
		}
	}
}

// TestAnswersChangedByAPerson: the owners change owner and lifecycle in
// .goldenpath.yml; one pull request brings catalog-info.yaml and CODEOWNERS
// along and keeps their own edits; redeliveries add nothing; merging it
// opens nothing more.
func TestAnswersChangedByAPerson(t *testing.T) {
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d, nil, func(o *sandbox.Options) { o.DashboardEvery = time.Hour; o.ReconcileEvery = -1 })
		w.Sim.AddTeam(org, "team-ledger", developer)
		n := w.request(developer, goAnswers("payments-api"))
		w.wantCreated(n, "payments-api")
		edit := w.editReadme("payments-api")
		pushed := w.changeAnswers("payments-api", map[string]any{"owner": "team-ledger", "lifecycle": "deprecated"})

		pr := w.onePR("payments-api")
		if pr.Title != "Apply new answers to go-service (v1.0.0)" || pr.Head != "goldenpath/upgrade-go-service" {
			t.Errorf("pull request %q from %s", pr.Title, pr.Head)
		}
		wantContains(t, "the body", pr.Body, "| `owner` | `team-payments` | `team-ledger` |", "| `lifecycle` | `production` | `deprecated` |")
		files := w.branchFiles("payments-api", pr.Head)
		wantContains(t, "catalog-info.yaml", files["catalog-info.yaml"], `owner: "team-ledger"`, "lifecycle: deprecated")
		wantContains(t, "CODEOWNERS", files["CODEOWNERS"], "@acme/team-ledger")
		wantContains(t, "README.md", files["README.md"], edit)
		if strings.Contains(files["CODEOWNERS"], "team-payments") {
			t.Errorf("CODEOWNERS still names the old team:\n%s", files["CODEOWNERS"])
		}
		if rec, err := w.App.Fleet.Get(w.ctx, org, "payments-api"); err != nil || rec.Ownership.Team != "team-ledger" ||
			rec.Ownership.Lifecycle != "deprecated" || !rec.Ownership.HasTeam() {
			t.Errorf("fleet index: %+v, %v", rec.Ownership, err)
		}

		// Redelivered: nothing written twice.
		writes := w.Sim.Counts().Writes()
		w.redeliverPush(pushed)
		if got := w.Sim.Counts().Writes(); got != writes {
			t.Errorf("the redelivered push caused %d writes, want 0", got-writes)
		}

		// Merged: the answers' change is the bot's own; nothing follows.
		if _, err := w.Sim.MergePR(org, "payments-api", pr.Number, developer); err != nil {
			t.Fatal(err)
		}
		w.settle()
		if prs := openPRs(w.Sim.PullRequests(org, "payments-api")); len(prs) != 0 {
			t.Errorf("after the merge: %d open pull requests: %+v", len(prs), prs)
		}
	})
}

// TestInvalidAnswersGetACommitComment: an invalid lifecycle is answered on
// the pushed commit, once, with no pull request.
func TestInvalidAnswersGetACommitComment(t *testing.T) {
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d, nil, func(o *sandbox.Options) { o.DashboardEvery = time.Hour; o.ReconcileEvery = -1 })
		n := w.request(developer, goAnswers("payments-api"))
		w.wantCreated(n, "payments-api")
		sha := w.changeAnswers("payments-api", map[string]any{"lifecycle": "retired", "system": "Not A Slug"})
		if prs := openPRs(w.Sim.PullRequests(org, "payments-api")); len(prs) != 0 {
			t.Errorf("invalid answers opened %d pull requests: %+v", len(prs), prs)
		}
		comments := w.Sim.CommitComments(org, "payments-api", sha)
		if len(comments) != 1 || comments[0].Author != w.Sim.BotLogin() {
			t.Fatalf("commit comments = %+v, want one by the bot", comments)
		}
		wantContains(t, "the commit comment", comments[0].Body, "`lifecycle` (Lifecycle)", "retired", "`system` (System)", "no pull request")
		w.redeliverPush(sha)
		if got := w.Sim.CommitComments(org, "payments-api", sha); len(got) != 1 {
			t.Errorf("after a redelivery: %d commit comments, want 1", len(got))
		}
	})
}

// TestUpgradeThenAnswers: an upgrade pull request is open when the answers
// change; the same pull request then carries both.
func TestUpgradeThenAnswers(t *testing.T) {
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d, nil, func(o *sandbox.Options) { o.DashboardEvery = time.Hour; o.ReconcileEvery = -1 })
		w.Sim.AddTeam(org, "team-ledger", developer)
		n := w.request(developer, goAnswers("payments-api"))
		w.wantCreated(n, "payments-api")
		skeletonReadme := readFile(t, "templates/go-service/skeleton/README.md")
		if _, err := w.PublishVersion("go-service", "1.1.0", "- A runbook for on-call.", "platform-team", map[string][]byte{
			"skeleton/README.md":       append(skeletonReadme, []byte("\nWhen paged, follow [the runbook](docs/runbook.md).\n")...),
			"skeleton/docs/runbook.md": []byte("# Runbook of {{ .name }}, owned by {{ .owner }}\n"),
		}); err != nil {
			t.Fatal(err)
		}
		w.settle()
		before := w.onePR("payments-api")
		w.changeAnswers("payments-api", map[string]any{"owner": "team-ledger"})

		pr := w.onePR("payments-api")
		if pr.Number != before.Number || pr.Title != "Upgrade go-service template to v1.1.0" {
			t.Errorf("pull request #%d %q, want #%d rebuilt", pr.Number, pr.Title, before.Number)
		}
		files := w.branchFiles("payments-api", pr.Head)
		wantContains(t, "docs/runbook.md", files["docs/runbook.md"], "owned by team-ledger")
		wantContains(t, "README.md", files["README.md"], "follow [the runbook]")
		wantContains(t, "CODEOWNERS", files["CODEOWNERS"], "@acme/team-ledger")
		wantContains(t, "catalog-info.yaml", files["catalog-info.yaml"], `owner: "team-ledger"`)
		af, err := template.ParseAnswersFile([]byte(files[template.AnswersFileName]))
		if err != nil || af.Version != "1.1.0" || af.Answers["owner"] != "team-ledger" {
			t.Errorf(".goldenpath.yml on the branch: %+v, %v", af, err)
		}
		wantContains(t, "the body", pr.Body, "| `owner` | `team-payments` | `team-ledger` |")
	})
}

// TestTeamRenamedAndDeleted: the team owning three repositories is renamed
// (three pull requests with the new slug, none elsewhere), then deleted
// (the dashboard lists its repositories first, without an owner).
func TestTeamRenamedAndDeleted(t *testing.T) {
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		// The dashboard is refreshed by the test, not in batches among the
		// redelivery's (absent) writes.
		w := newWorld(t, d, nil, func(o *sandbox.Options) { o.DashboardEvery = time.Hour; o.ReconcileEvery = -1 })
		w.Sim.AddTeam(org, "team-ledger", developer)
		owned := []string{"pay-one", "pay-two", "pay-three"}
		for _, name := range owned {
			w.wantCreated(w.request(developer, goAnswers(name)), name)
		}
		other := goAnswers("ledger-api")
		other["owner"] = "team-ledger"
		w.request(developer, other)

		slug, err := w.Sim.RenameTeam(org, team, "Team Payments Core", "pat")
		if err != nil {
			t.Fatal(err)
		}
		w.settle()
		for _, name := range owned {
			pr := w.onePR(name)
			if pr.Title != "Apply new answers to go-service (v1.0.0)" {
				t.Errorf("%s: %q", name, pr.Title)
			}
			wantContains(t, name+"'s pull request", pr.Body, "was renamed to `"+slug+"`")
			files := w.branchFiles(name, pr.Head)
			wantContains(t, name+"'s CODEOWNERS", files["CODEOWNERS"], "@acme/"+slug)
			wantContains(t, name+"'s catalog-info.yaml", files["catalog-info.yaml"], `owner: "`+slug+`"`)
		}
		if prs := openPRs(w.Sim.PullRequests(org, "ledger-api")); len(prs) != 0 {
			t.Errorf("ledger-api (another team's) got %d pull requests", len(prs))
		}
		writes := w.Sim.Counts().Writes()
		for _, dl := range w.Sim.Deliveries() {
			if dl.Event == "team" && dl.Action == "edited" {
				if err := w.Sim.Redeliver(dl.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		w.settle()
		if got := w.Sim.Counts().Writes(); got != writes {
			t.Errorf("the redelivered team.edited caused %d writes, want 0", got-writes)
		}

		if err := w.Sim.DeleteTeam(org, slug, "pat"); err != nil {
			t.Fatal(err)
		}
		w.settle()
		if err := w.App.Upgrades.RefreshDashboard(w.ctx, dashboardArgs(w)); err != nil {
			t.Fatal(err)
		}
		dash := dashboardBody(w)
		section := dash[strings.Index(dash, "## Ownership"):]
		ledger := strings.Index(section, "acme/ledger-api")
		for _, name := range owned {
			i := strings.Index(section, "acme/"+name)
			if i < 0 || ledger < 0 || i > ledger {
				t.Errorf("%s is not listed before ledger-api in the ownership section:\n%s", name, section)
			}
		}
		wantContains(t, "the ownership section", section, "without an owner team")
		// Nobody edited a rendered file: no drift.
		wantContains(t, "the dashboard", dash, "| `go-service` | 0 of 4 |")
	})
}

func dashboardArgs(w *world) upgrade.DashboardArgs {
	return upgrade.DashboardArgs{InstallationID: w.Installation, Owner: org}
}

// dashboardBody is the fleet dashboard issue's body ("" when none).
func dashboardBody(w *world) string {
	for _, is := range w.Sim.Issues(org, w.TemplatesRepo) {
		if is.Title == upgrade.DashboardTitle {
			return is.Body
		}
	}
	return ""
}
