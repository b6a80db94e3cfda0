package githubsim_test

import (
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

func TestPermissions(t *testing.T) {
	e := newEnv(t, githubsim.Options{Permissions: map[string]string{"contents": "write", "issues": "read", "metadata": "read"}})
	if err := e.sim.CreateRepo("acme", "svc", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	base, _ := e.sim.Push("acme", "svc", "main", map[string][]byte{"README.md": []byte("hi\n")}, "init", "alice")
	n, _ := e.sim.OpenIssue("acme", "svc", "alice", "t", "", nil)
	if _, _, err := e.gh.Issues.Get(ctx(t), "acme", "svc", n); err != nil {
		t.Fatalf("issues: read: %v", err)
	}
	_, _, err := e.gh.Issues.CreateComment(ctx(t), "acme", "svc", n, &github.IssueComment{Body: github.String("x")})
	if code, msg := status(err); code != 403 || msg != "Resource not accessible by integration" {
		t.Fatalf("comment without issues: write: %d %q", code, msg)
	}
	_, _, err = e.gh.Repositories.Create(ctx(t), "acme", &github.Repository{Name: github.String("new")})
	if code, _ := status(err); code != 403 {
		t.Fatalf("create repo without administration: %d", code)
	}
	_, _, err = e.gh.Organizations.IsMember(ctx(t), "acme", "alice")
	if code, _ := status(err); code != 403 {
		t.Fatalf("membership without members: read: %d", code)
	}
	// Workflow files need workflows: write, whichever API writes them.
	_, _, err = e.gh.Repositories.CreateFile(ctx(t), "acme", "svc", ".github/workflows/ci.yml", &github.RepositoryContentFileOptions{
		Message: github.String("ci"), Content: []byte("on: push\n")})
	if code, msg := status(err); code != 403 || !strings.Contains(msg, "without `workflows` permission") {
		t.Fatalf("contents API workflow: %d %q", code, msg)
	}
	tree, _, err := e.gh.Git.CreateTree(ctx(t), "acme", "svc", "", []*github.TreeEntry{{Path: github.String(".github/workflows/ci.yml"),
		Mode: github.String("100644"), Type: github.String("blob"), Content: github.String("on: push\n")}})
	if err != nil {
		t.Fatal(err)
	}
	commit, _, err := e.gh.Git.CreateCommit(ctx(t), "acme", "svc", &github.Commit{Message: github.String("ci"), Tree: tree,
		Parents: []*github.Commit{{SHA: github.String(base)}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.gh.Git.UpdateRef(ctx(t), "acme", "svc", &github.Reference{Ref: github.String("refs/heads/main"), Object: &github.GitObject{SHA: commit.SHA}}, false)
	if code, msg := status(err); code != 403 || !strings.Contains(msg, ".github/workflows/ci.yml") {
		t.Fatalf("ref update with a workflow: %d %q", code, msg)
	}
	e.sim.SetPermissions(nil)
	if _, _, err := e.gh.Git.UpdateRef(ctx(t), "acme", "svc", &github.Reference{Ref: github.String("refs/heads/main"), Object: &github.GitObject{SHA: commit.SHA}}, false); err != nil {
		t.Fatalf("with the default permissions: %v", err)
	}
}

func TestRequiredPermissionCoversEveryRoute(t *testing.T) {
	sim := githubsim.New(githubsim.Options{})
	for _, r := range sim.Routes() {
		perm, level := githubsim.RequiredPermission(r)
		free := strings.Contains(r, " /app") || strings.Contains(r, " /_") || strings.Contains(r, "/users/") || strings.HasSuffix(r, "}/installation") ||
			strings.HasSuffix(r, " /orgs/{org}") || strings.HasSuffix(r, "/rate_limit")
		if perm == "" && !free {
			t.Errorf("%s needs no permission", r)
		}
		if perm != "" && level != "read" && level != "write" {
			t.Errorf("%s: level %q", r, level)
		}
	}
	if p, l := githubsim.RequiredPermission("POST /orgs/{org}/repos"); p != "administration" || l != "write" {
		t.Fatalf("POST /orgs/{org}/repos: %s %s", p, l)
	}
}
