package githubsim_test

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

// BenchmarkScaffoldFlow measures the simulator on the bot's scaffold
// sequence (create repo, first commit, one tree of 30 files, commit, ref,
// comment), so fleet-scale tests are not bound by the simulator.
func BenchmarkScaffoldFlow(b *testing.B) {
	sim := githubsim.New(githubsim.Options{Limits: githubsim.Limits{Disabled: true}})
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	sim.AddOrg("acme", "alice")
	inst := sim.Install("acme")
	gh := instClient(b, sim, srv.URL, inst)
	_ = sim.CreateRepo("acme", "tpl", githubsim.RepoOptions{})
	n, _ := sim.OpenIssue("acme", "tpl", "alice", "t", "", nil)
	ctx := b.Context()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("svc-%d", i)
		if _, _, err := gh.Repositories.Create(ctx, "acme", &github.Repository{Name: github.String(name), AutoInit: github.Bool(true)}); err != nil {
			b.Fatal(err)
		}
		ref, _, err := gh.Git.GetRef(ctx, "acme", name, "heads/main")
		if err != nil {
			b.Fatal(err)
		}
		var entries []*github.TreeEntry
		for f := 0; f < 30; f++ {
			entries = append(entries, &github.TreeEntry{Path: github.String(fmt.Sprintf("dir%d/file%d.txt", f%5, f)), Mode: github.String("100644"),
				Type: github.String("blob"), Content: github.String(fmt.Sprintf("content %d %d\n", i, f))})
		}
		tree, _, err := gh.Git.CreateTree(ctx, "acme", name, "", entries)
		if err != nil {
			b.Fatal(err)
		}
		c, _, err := gh.Git.CreateCommit(ctx, "acme", name, &github.Commit{Message: github.String("scaffold"), Tree: tree, Parents: []*github.Commit{{SHA: ref.Object.SHA}}}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := gh.Git.UpdateRef(ctx, "acme", name, &github.Reference{Ref: github.String("refs/heads/main"), Object: &github.GitObject{SHA: c.SHA}}, true); err != nil {
			b.Fatal(err)
		}
		if _, _, err := gh.Issues.CreateComment(ctx, "acme", "tpl", n, &github.IssueComment{Body: github.String("done " + name)}); err != nil {
			b.Fatal(err)
		}
	}
}
