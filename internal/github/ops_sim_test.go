package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

// requestIssue creates acme/golden-paths and an issue by alice in it, and
// returns its number.
func (e *simEnv) requestIssue(t *testing.T) int {
	t.Helper()
	if err := e.sim.CreateRepo("acme", "golden-paths", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	e.sim.AddUser("alice")
	n, err := e.sim.OpenIssue("acme", "golden-paths", "alice", "New service", "body", nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIssueOperations(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	n := e.requestIssue(t)
	if _, err := e.sim.Comment("acme", "golden-paths", n, "alice", "hello, pasting "+Marker("request")); err != nil {
		t.Fatal(err)
	}

	// Comments by marker: one comment, edited only when it changes.
	e.requests()
	id1, err := e.client.UpsertComment(ctx, "acme", "golden-paths", n, "request", "Checking…")
	if err != nil {
		t.Fatal(err)
	}
	id2, err := e.client.UpsertComment(ctx, "acme", "golden-paths", n, "request", "Checking…")
	if err != nil {
		t.Fatal(err)
	}
	id3, err := e.client.UpsertComment(ctx, "acme", "golden-paths", n, "request", "Created acme/payments")
	if err != nil {
		t.Fatal(err)
	}
	if id1 != id2 || id2 != id3 {
		t.Errorf("comment ids %d %d %d, want one comment", id1, id2, id3)
	}
	sameCounts(t, "upsert ×3", e.requests(), map[string]int{
		"GET /repos/{owner}/{repo}/issues/{issue_number}/comments":  3,
		"POST /repos/{owner}/{repo}/issues/{issue_number}/comments": 1,
		"PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}":  1,
	})
	comments, _, err := e.client.gh.Issues.ListComments(ctx, "acme", "golden-paths", n, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(comments) != 2 || comments[0].GetUser().GetLogin() != "alice" || !strings.HasPrefix(comments[1].GetBody(), "Created acme/payments") || !strings.Contains(comments[1].GetBody(), Marker("request")) {
		t.Errorf("comments = %d, last %q", len(comments), comments[len(comments)-1].GetBody())
	}

	// Labels.
	if err := e.sim.CreateLabel("acme", "golden-paths", "goldenpath", "ededed", ""); err != nil {
		t.Fatal(err)
	}
	want := []Label{{Name: "goldenpath", Color: "0e8a16"}, {Name: "template:go-service", Color: "#1d76db", Description: "go-service"}, {Name: "goldenpath:created", Color: "0e8a16"}}
	e.requests()
	for range 2 {
		if err := e.client.EnsureLabels(ctx, "acme", "golden-paths", want); err != nil {
			t.Fatal(err)
		}
	}
	sameCounts(t, "ensure labels ×2", e.requests(), map[string]int{
		"GET /repos/{owner}/{repo}/labels":  2,
		"POST /repos/{owner}/{repo}/labels": 2,
	})
	if err := e.client.AddLabels(ctx, "acme", "golden-paths", n, []string{"goldenpath:created", "template:go-service"}); err != nil {
		t.Fatal(err)
	}
	if err := e.client.RemoveLabel(ctx, "acme", "golden-paths", n, "template:go-service"); err != nil {
		t.Fatal(err)
	}
	if err := e.client.RemoveLabel(ctx, "acme", "golden-paths", n, "not-there"); err != nil {
		t.Errorf("removing an absent label: %v", err)
	}
	if err := e.client.CloseIssue(ctx, "acme", "golden-paths", n, "completed"); err != nil {
		t.Fatal(err)
	}
	is, _, err := e.client.gh.Issues.Get(ctx, "acme", "golden-paths", n)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, l := range is.Labels {
		labels = append(labels, l.GetName())
	}
	if is.GetState() != "closed" || is.GetStateReason() != "completed" || fmt.Sprint(labels) != "[goldenpath:created]" {
		t.Errorf("issue: state %s (%s), labels %v", is.GetState(), is.GetStateReason(), labels)
	}

	// The dashboard issue: created once, then edited, then left alone.
	var nums []int
	for _, body := range []string{"v1", "v2", "v2"} {
		d, err := e.client.CreateOrUpdateIssueByTitle(ctx, "acme", "golden-paths", IssueSpec{Title: "Golden path fleet", Body: body, Labels: []string{"goldenpath"}})
		if err != nil {
			t.Fatal(err)
		}
		if d.Body != body || d.State != "open" {
			t.Errorf("dashboard = %+v, want body %s, open", d, body)
		}
		nums = append(nums, d.Number)
	}
	if nums[0] != nums[1] || nums[1] != nums[2] || nums[0] == n {
		t.Errorf("dashboard issue numbers %v, want one new issue", nums)
	}
}

func TestOrgOperations(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	e.sim.AddUser("alice")
	e.sim.AddUser("mallory")
	if err := e.sim.AddOrgMember("acme", "alice", "member"); err != nil {
		t.Fatal(err)
	}
	slug := e.sim.AddTeam("acme", "Team Pay", "alice")
	if err := e.sim.CreateRepo("acme", "payments", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		got  func() (bool, error)
		want bool
	}{
		{"member", func() (bool, error) { return e.client.IsOrgMember(ctx, "acme", "alice") }, true},
		{"not a member", func() (bool, error) { return e.client.IsOrgMember(ctx, "acme", "mallory") }, false},
		{"team exists", func() (bool, error) { return e.client.TeamExists(ctx, "acme", slug) }, true},
		{"team missing", func() (bool, error) { return e.client.TeamExists(ctx, "acme", "ghosts") }, false},
		{"team member", func() (bool, error) { return e.client.IsTeamMember(ctx, "acme", slug, "alice") }, true},
		{"not in team", func() (bool, error) { return e.client.IsTeamMember(ctx, "acme", slug, "mallory") }, false},
	}
	for _, c := range checks {
		got, err := c.got()
		if err != nil || got != c.want {
			t.Errorf("%s = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	for range 2 {
		if err := e.client.GrantTeam(ctx, "acme", slug, "acme", "payments", "maintain"); err != nil {
			t.Fatal(err)
		}
	}
	if p := e.sim.TeamRepoPermission("acme", slug, "acme", "payments"); p != "maintain" {
		t.Errorf("team permission = %q, want maintain", p)
	}
	if err := e.client.GrantTeam(ctx, "acme", "ghosts", "acme", "payments", "push"); !errors.Is(err, ErrNotFound) {
		t.Errorf("granting a missing team: error = %v, want ErrNotFound", err)
	}
}

func TestPullRequestOperations(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	e.sim.AddUser("alice")
	if err := e.sim.CreateRepo("acme", "api", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	base, _ := e.sim.Push("acme", "api", "main", map[string][]byte{"a.txt": []byte("a\n")}, "init", "alice")
	const branch = "goldenpath/upgrade-go-service"
	if pr, err := e.client.FindPR(ctx, "acme", "api", branch); err != nil || pr != nil {
		t.Fatalf("FindPR before any = %+v, %v; want nil, nil", pr, err)
	}
	if _, err := e.client.CommitFiles(ctx, "acme", "api", branch, base, map[string]*File{"a.txt": {Data: []byte("b\n")}}, "Upgrade", false); err != nil {
		t.Fatal(err)
	}
	made, err := e.client.CreatePR(ctx, "acme", "api", NewPR{Title: "Upgrade go-service template to v1.1.0", Body: "body", Head: branch, Base: "main", Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	if !made.Draft || made.State != "open" || made.HeadRef != branch {
		t.Errorf("created PR = %+v", made)
	}
	if _, err := e.client.CreatePR(ctx, "acme", "api", NewPR{Title: "again", Head: branch, Base: "main"}); !errors.Is(err, ErrAlreadyExists) {
		t.Errorf("second PR for the branch: error = %v, want ErrAlreadyExists", err)
	}
	title := "Upgrade go-service template to v1.2.0"
	if _, err := e.client.UpdatePR(ctx, "acme", "api", made.Number, PRUpdate{Title: &title}); err != nil {
		t.Fatal(err)
	}
	found, err := e.client.FindPR(ctx, "acme", "api", branch)
	if err != nil || found == nil || found.Number != made.Number || found.Title != title {
		t.Fatalf("FindPR = %+v, %v; want #%d titled %q", found, err, made.Number, title)
	}
	commits, err := e.client.BranchCommits(ctx, "acme", "api", "main", branch)
	if err != nil {
		t.Fatal(err)
	}
	if len(commits) != 1 {
		t.Fatalf("branch commits = %+v, want the bot's one", commits)
	}
	// A person pushes to the bot's branch: visible by author.
	if _, err := e.sim.Push("acme", "api", branch, map[string][]byte{"mine.txt": []byte("x\n")}, "my fix", "alice"); err != nil {
		t.Fatal(err)
	}
	commits, err = e.client.BranchCommits(ctx, "acme", "api", "main", branch)
	if err != nil {
		t.Fatal(err)
	}
	if len(commits) != 2 || commits[1].AuthorLogin != "alice" || commits[0].AuthorLogin == "alice" {
		t.Errorf("branch commits = %+v, want the bot's then alice's", commits)
	}
}
