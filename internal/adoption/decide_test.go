package adoption

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/adopt"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/issueform"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade"
)

func TestDecide(t *testing.T) {
	target := semver.MustParse("1.2.0")
	ok := &adopt.Result{Answers: template.Answers{"name": "billing"}}
	ready := func(f facts) facts {
		f.name, f.target, f.head, f.answers = "svc", target, "base1", ok
		if f.row.State == "" {
			f.row.State = Queued
		}
		return f
	}
	ours := upgrade.Meta{Template: "svc", To: "1.2.0", Base: "base1", Commit: "c1"}
	tests := []struct {
		name      string
		f         facts
		wantAct   action
		wantState string
		wantPR    int
		reason    string // a part of the row's reason
	}{
		{name: "nothing there yet", f: ready(facts{}), wantAct: actOpen, wantState: Open},
		{name: "empty repository", f: facts{row: Row{State: Queued}, name: "svc", target: target}, wantAct: actRecord, wantState: Skipped, reason: "no commits"},
		{name: "already on the template", f: ready(facts{recorded: []byte("template: svc\nversion: 1.0.0\nsource: acme/golden-paths\nanswers: {}\n")}),
			wantAct: actRecord, wantState: Skipped, reason: "already on svc v1.0.0"},
		{name: "adoption merged before a newer version", f: ready(facts{row: Row{State: Open, PR: 4}, recorded: []byte("template: svc\nversion: 1.0.0\nsource: acme/golden-paths\nanswers: {}\n")}),
			wantAct: actRecord, wantState: Merged, wantPR: 4},
		{name: "owner not inferred", f: func() facts {
			f := ready(facts{})
			f.answers = &adopt.Result{Problems: []template.Problem{{Param: "owner", Message: "no CODEOWNERS"}}}
			return f
		}(), wantAct: actRecord, wantState: Failed, reason: "`owner`: no CODEOWNERS"},
		{name: "open and current", f: ready(facts{pr: &github.PR{Number: 4, State: "open", HeadSHA: "c1"}, meta: ours}), wantAct: actRecord, wantState: Open, wantPR: 4},
		{name: "open for an older version", f: ready(facts{pr: &github.PR{Number: 4, State: "open", HeadSHA: "c1"}, meta: upgrade.Meta{Template: "svc", To: "1.0.0", Base: "base1", Commit: "c1"}}),
			wantAct: actUpdate, wantState: Open, wantPR: 4},
		{name: "default branch moved", f: ready(facts{pr: &github.PR{Number: 4, State: "open", HeadSHA: "c1"}, meta: upgrade.Meta{Template: "svc", To: "1.2.0", Base: "old", Commit: "c1"}}),
			wantAct: actUpdate, wantState: Open, wantPR: 4},
		{name: "a person pushed to the branch", f: ready(facts{pr: &github.PR{Number: 4, State: "open", HeadSHA: "theirs"}, meta: ours, who: "@bob"}),
			wantAct: actRecord, wantState: Blocked, wantPR: 4, reason: "@bob pushed"},
		{name: "the bot's own later commit", f: ready(facts{pr: &github.PR{Number: 4, State: "open", HeadSHA: "c2"}, meta: ours, owned: true}),
			wantAct: actUpdate, wantState: Open, wantPR: 4},
		{name: "closed unmerged for this request", f: ready(facts{row: Row{State: Open, PR: 4}, pr: &github.PR{Number: 4, State: "closed"}, meta: ours}),
			wantAct: actRecord, wantState: Closed, wantPR: 4, reason: "not reopened"},
		{name: "closed unmerged for an earlier request", f: ready(facts{pr: &github.PR{Number: 2, State: "closed"}, meta: ours}), wantAct: actOpen, wantState: Open},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(tc.f)
			if d.act != tc.wantAct || d.row.State != tc.wantState || d.row.PR != tc.wantPR || !strings.Contains(d.row.Reason, tc.reason) {
				t.Errorf("decide = act %d, row %+v; want act %d, state %s, PR %d, reason with %q", d.act, d.row, tc.wantAct, tc.wantState, tc.wantPR, tc.reason)
			}
		})
	}
}

func TestSelectRows(t *testing.T) {
	repos := []*github.Repo{
		{Owner: "acme", Name: "Billing", DefaultBranch: "main", Topics: []string{"payments"}},
		{Owner: "acme", Name: "ledger", DefaultBranch: "trunk", Topics: []string{"payments"}},
		{Owner: "acme", Name: "old", Archived: true, Topics: []string{"payments"}},
		{Owner: "acme", Name: "golden-paths", Topics: []string{"payments"}},
		{Owner: "other", Name: "stranger", Topics: []string{"payments"}},
	}
	req := Request{Org: "acme", TemplatesRepo: "golden-paths", Template: "svc", Repositories: issueform.RepositoryList{
		Names: []string{"billing", "old", "missing"}, Topics: []string{"payments"}, Problems: []string{"`a b` is not a repository name"},
	}}
	var got []string
	for _, r := range selectRows(req, repos) {
		got = append(got, r.Repo+":"+r.State+":"+r.DefaultBranch)
		if r.State == Skipped && r.Reason == "" {
			t.Errorf("%s is skipped without a reason", r.Repo)
		}
	}
	want := "Billing:queued:main,old:skipped:,missing:skipped:,ledger:queued:trunk,entry 1:skipped:"
	if strings.Join(got, ",") != want {
		t.Errorf("rows %s, want %s", strings.Join(got, ","), want)
	}
}

func TestComment(t *testing.T) {
	base := Row{Org: "acme", Template: "svc"}
	row := func(repo, state string, pr int, version, reason string) Row {
		r := base
		r.Repo, r.State, r.PR, r.Version, r.Reason = repo, state, pr, version, reason
		return r
	}
	rows := []Row{
		row("billing", Open, 3, "1.2.0", ""),
		row("orphan", Failed, 0, "", "answers could not be inferred: `owner`: no CODEOWNERS | no catalog"),
		row("ledger", Queued, 0, "", ""),
	}
	got, done := Comment(rows)
	if done {
		t.Error("a queued row is not final")
	}
	rows[2] = row("ledger", Merged, 5, "1.2.0", "")
	final, done := Comment(rows)
	if !done {
		t.Error("every row is final")
	}
	golden := filepath.Join("testdata", "comment.golden.md")
	all := got + "\n---\n\n" + final
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, []byte(all), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if all != string(want) {
		t.Errorf("comment:\n%s\nwant (UPDATE_GOLDEN=1 to rewrite):\n%s", all, want)
	}
}

func TestDashboardSection(t *testing.T) {
	row := func(issue int, repo, state string) Row {
		return Row{Org: "acme", TemplatesRepo: "golden-paths", Template: "svc", Issue: issue, Repo: repo, State: state}
	}
	tests := []struct {
		name string
		rows []Row
		want string // a line of the section; "" for no section
	}{
		{name: "nothing", want: ""},
		{name: "all final and merged", rows: []Row{row(1, "a", Merged), row(1, "b", Skipped)}, want: ""},
		{name: "in progress", rows: []Row{row(2, "a", Open), row(2, "b", Queued), row(2, "c", Merged), row(2, "d", Failed)},
			want: "| acme/golden-paths#2 | `svc` | 4 | 1 | 1 | 1 |"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := dashboardSection(tc.rows)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("section:\n%s\nwant a line %q", got, tc.want)
			}
		})
	}
}
