package github

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/apispec"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

// TestTrafficMatchesGitHubDescription runs every operation once through a
// transport that checks each request (and the simulator's answer) against
// GitHub's published OpenAPI description: the requests this package builds
// are ones GitHub documents, not only ones the simulator accepts.
func TestTrafficMatchesGitHubDescription(t *testing.T) {
	spec := apispec.Load(t)
	spec.Exempt("/_codeload")
	sim := githubsim.New(githubsim.Options{Limits: githubsim.Limits{Disabled: true}})
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	app, err := NewApp(AppConfig{AppID: sim.AppID(), PrivateKeyPEM: sim.AppPrivateKeyPEM(), BaseURL: srv.URL,
		Policy: fastPolicy(), Transport: spec.Transport(nil)})
	if err != nil {
		t.Fatal(err)
	}
	sim.AddUser("alice")
	sim.AddOrg("acme", "alice")
	slug := sim.AddTeam("acme", "Team Pay", "alice")
	c := app.Installation(sim.Install("acme"))
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = app.CheckCredentials(ctx)
	must(err)

	files := someFiles(6)
	files["logo.png"] = File{Data: []byte{0x89, 'P', 'N', 'G', 0}}
	repo, err := c.CreateRepoWithFiles(ctx, "acme", "svc", RepoOptions{Description: "d", Topics: []string{"goldenpath"}}, files, "first")
	must(err)
	_, err = c.CreateRepoWithFiles(ctx, "acme", "svc", RepoOptions{AdoptPristine: true}, files, "first")
	if err == nil {
		t.Fatal("second create succeeded")
	}
	_, _, err = c.ReadTree(ctx, "acme", "svc", "main")
	must(err)
	must(sim.Tag("acme", "svc", "svc/v1.0.0", repo.HeadSHA))
	_, err = c.ListTags(ctx, "acme", "svc", "svc/v")
	must(err)
	_, _, err = c.GetFile(ctx, "acme", "svc", "scripts/build.sh", "main")
	must(err)
	fv, _, err := c.GetFileIfChanged(ctx, "acme", "svc", "scripts/build.sh", "main", "")
	must(err)
	_, _, err = c.GetFileIfChanged(ctx, "acme", "svc", "scripts/build.sh", "main", fv.ETag)
	must(err)
	_, err = c.CommitFiles(ctx, "acme", "svc", "goldenpath/upgrade-x", repo.HeadSHA,
		map[string]*File{"docs/empty.md": nil, "new.txt": {Data: []byte("n\n")}, "bin": {Data: []byte{0, 1}, Mode: 0o755}}, "up", false)
	must(err)
	_, err = c.CommitFiles(ctx, "acme", "svc", "goldenpath/upgrade-x", repo.HeadSHA, map[string]*File{"x": {Data: []byte("x")}}, "up", true)
	must(err)
	pr, err := c.CreatePR(ctx, "acme", "svc", NewPR{Title: "t", Body: "b", Head: "goldenpath/upgrade-x", Base: "main", Draft: true})
	must(err)
	title := "t2"
	_, err = c.UpdatePR(ctx, "acme", "svc", pr.Number, PRUpdate{Title: &title})
	must(err)
	_, err = c.FindPR(ctx, "acme", "svc", "goldenpath/upgrade-x")
	must(err)
	_, err = c.BranchCommits(ctx, "acme", "svc", "main", "goldenpath/upgrade-x")
	must(err)

	n, err := sim.OpenIssue("acme", "svc", "alice", "req", "body", nil)
	must(err)
	_, err = c.UpsertComment(ctx, "acme", "svc", n, "m", "one")
	must(err)
	_, err = c.UpsertComment(ctx, "acme", "svc", n, "m", "two")
	must(err)
	must(c.EnsureLabels(ctx, "acme", "svc", []Label{{Name: "goldenpath", Color: "ededed", Description: "d"}}))
	must(c.AddLabels(ctx, "acme", "svc", n, []string{"goldenpath"}))
	must(c.RemoveLabel(ctx, "acme", "svc", n, "goldenpath"))
	must(c.CloseIssue(ctx, "acme", "svc", n, "completed"))
	_, err = c.CreateOrUpdateIssueByTitle(ctx, "acme", "svc", IssueSpec{Title: "Golden path fleet", Body: "x", Labels: []string{"goldenpath"}})
	must(err)
	_, err = c.CreateOrUpdateIssueByTitle(ctx, "acme", "svc", IssueSpec{Title: "Golden path fleet", Body: "y", Labels: []string{"goldenpath"}})
	must(err)

	_, err = c.IsOrgMember(ctx, "acme", "alice")
	must(err)
	_, err = c.IsOrgMember(ctx, "acme", "nobody")
	must(err)
	_, err = c.TeamExists(ctx, "acme", slug)
	must(err)
	_, err = c.IsTeamMember(ctx, "acme", slug, "alice")
	must(err)
	must(c.GrantTeam(ctx, "acme", slug, "acme", "svc", "push"))
	_, err = c.GetRepo(ctx, "acme", "svc")
	must(err)

	// Requests are this package's to get right; answers are the simulator's
	// (logged so its maintainers see them).
	spec.AssertClean(t, func(v apispec.Violation) bool {
		if v.Kind == apispec.KindResponse {
			t.Logf("simulator answer off GitHub's description: %s", v)
			return true
		}
		return false
	})
}
