package githubsim_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

// TestCommitCommentsAndTeams: commit comments (OpenAPI-checked by the
// environment's validating handler), conditional tree reads, and teams
// renamed and deleted.
func TestCommitCommentsAndTeams(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	if err := e.sim.CreateRepo("acme", "svc", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	sha, err := e.sim.Push("acme", "svc", "main", map[string][]byte{"a": []byte("1\n")}, "one", "alice")
	if err != nil {
		t.Fatal(err)
	}
	cm, _, err := e.gh.Repositories.CreateComment(ctx(t), "acme", "svc", sha, &github.RepositoryComment{Body: github.String("<!-- goldenpath:answers -->\nproblems")})
	if err != nil || cm.GetCommitID() != sha {
		t.Fatalf("creating a commit comment: %+v, %v", cm, err)
	}
	list, _, err := e.gh.Repositories.ListCommitComments(ctx(t), "acme", "svc", sha, nil)
	if err != nil || len(list) != 1 || list[0].GetBody() != cm.GetBody() || list[0].GetUser().GetLogin() != e.sim.BotLogin() {
		t.Fatalf("listing commit comments: %+v, %v", list, err)
	}
	if got := e.sim.CommitComments("acme", "svc", sha); len(got) != 1 || !strings.HasSuffix(got[0].Body, "problems") {
		t.Fatalf("CommitComments = %+v", got)
	}
	_, _, err = e.gh.Repositories.CreateComment(ctx(t), "acme", "svc", strings.Repeat("0", 40), &github.RepositoryComment{Body: github.String("x")})
	if code, _ := status(err); code != http.StatusNotFound {
		t.Fatalf("a comment on a commit that is not there: %d", code)
	}
	_, _, err = e.gh.Repositories.CreateComment(ctx(t), "acme", "svc", sha, &github.RepositoryComment{})
	if code, _ := status(err); code != http.StatusUnprocessableEntity {
		t.Fatalf("a comment without a body: %d", code)
	}

	// The tree endpoint answers If-None-Match with 304 while the branch
	// holds the same tree.
	tree, resp, err := e.gh.Git.GetTree(ctx(t), "acme", "svc", "main", true)
	if err != nil || len(tree.Entries) != 1 {
		t.Fatalf("tree: %+v, %v", tree, err)
	}
	etag := resp.Header.Get("ETag")
	req, _ := e.gh.NewRequest(http.MethodGet, "repos/acme/svc/git/trees/main?recursive=1", nil)
	req.Header.Set("If-None-Match", etag)
	if resp, err := e.gh.Do(ctx(t), req, nil); resp == nil || resp.StatusCode != http.StatusNotModified {
		t.Fatalf("conditional tree read: %v, %v; want 304", resp, err)
	}

	e.sim.AddTeam("acme", "Payments", "alice")
	id := e.sim.TeamID("acme", "payments")
	slug, err := e.sim.RenameTeam("acme", "payments", "Payments Core", "alice")
	if err != nil || slug != "payments-core" || e.sim.TeamID("acme", "payments-core") != id || e.sim.TeamID("acme", "payments") != 0 {
		t.Fatalf("rename: %q, %v", slug, err)
	}
	got, _, err := e.gh.Teams.GetTeamBySlug(ctx(t), "acme", "payments-core")
	if err != nil || got.GetID() != id || got.GetName() != "Payments Core" {
		t.Fatalf("renamed team: %+v, %v", got, err)
	}
	if err := e.sim.DeleteTeam("acme", "payments-core", "alice"); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.gh.Teams.GetTeamBySlug(ctx(t), "acme", "payments-core")
	if code, _ := status(err); code != http.StatusNotFound {
		t.Fatalf("deleted team: %d", code)
	}
	if _, err := e.sim.RenameTeam("acme", "payments-core", "X", "alice"); err == nil {
		t.Fatal("renaming a deleted team succeeded")
	}
}

// renameAndDeleteTeam makes a team of acme, renames it and deletes it: two
// team webhooks.
func renameAndDeleteTeam(t *testing.T, sim *githubsim.Sim) {
	t.Helper()
	sim.AddTeam("acme", "Payments", "alice")
	if _, err := sim.RenameTeam("acme", "payments", "Payments Core", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := sim.DeleteTeam("acme", "payments-core", "alice"); err != nil {
		t.Fatal(err)
	}
}
