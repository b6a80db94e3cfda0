package githubsim_test

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

func TestCreateRepoRules(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	r, _, err := e.gh.Repositories.Create(ctx(t), "acme", &github.Repository{Name: github.String("My Service!"), Private: github.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetName() != "My-Service-" || !r.GetPrivate() || r.GetVisibility() != "private" {
		t.Fatalf("name %q private %v visibility %q", r.GetName(), r.GetPrivate(), r.GetVisibility())
	}
	_, _, err = e.gh.Repositories.Create(ctx(t), "acme", &github.Repository{Name: github.String("My-Service-")})
	if code, msg := status(err); code != 422 || !strings.Contains(msg, "name already exists on this account") {
		t.Fatalf("duplicate: %d %q", code, msg)
	}
	// An empty repository: the Git Data API answers 409.
	_, _, err = e.gh.Git.CreateBlob(ctx(t), "acme", "My-Service-", &github.Blob{Content: github.String("x"), Encoding: github.String("utf-8")})
	if code, msg := status(err); code != 409 || msg != "Git Repository is empty." {
		t.Fatalf("blob on empty repo: %d %q", code, msg)
	}
	_, _, err = e.gh.Git.CreateTree(ctx(t), "acme", "My-Service-", "", []*github.TreeEntry{{Path: github.String("a"), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String("a")}})
	if code, _ := status(err); code != 409 {
		t.Fatalf("tree on empty repo: %d", code)
	}
	_, _, err = e.gh.Git.GetRef(ctx(t), "acme", "My-Service-", "heads/main")
	if code, _ := status(err); code != 409 {
		t.Fatalf("ref on empty repo: %d", code)
	}
	// The Contents API makes the first commit; sha is then required to update.
	res, _, err := e.gh.Repositories.CreateFile(ctx(t), "acme", "My-Service-", "README.md", &github.RepositoryContentFileOptions{
		Message: github.String("init"), Content: []byte("hello\n")})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.gh.Repositories.CreateFile(ctx(t), "acme", "My-Service-", "README.md", &github.RepositoryContentFileOptions{
		Message: github.String("again"), Content: []byte("bye\n")})
	if code, msg := status(err); code != 422 || !strings.Contains(msg, "sha") {
		t.Fatalf("update without sha: %d %q", code, msg)
	}
	_, _, err = e.gh.Repositories.UpdateFile(ctx(t), "acme", "My-Service-", "README.md", &github.RepositoryContentFileOptions{
		Message: github.String("again"), Content: []byte("bye\n"), SHA: res.Content.SHA})
	if err != nil {
		t.Fatal(err)
	}
	fc, _, _, err := e.gh.Repositories.GetContents(ctx(t), "acme", "My-Service-", "README.md", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := fc.GetContent(); got != "bye\n" {
		t.Fatalf("content %q", got)
	}
	if _, _, err := e.gh.Git.GetRef(ctx(t), "acme", "My-Service-", "heads/main"); err != nil {
		t.Fatalf("ref after first commit: %v", err)
	}
	// auto_init makes a commit at once.
	r2, _, err := e.gh.Repositories.Create(ctx(t), "acme", &github.Repository{Name: github.String("inited"), AutoInit: github.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := e.sim.Repo("acme", r2.GetName()); info.Empty || info.Branches["main"] == "" {
		t.Fatalf("auto_init repo: %+v", info)
	}
	topics, _, err := e.gh.Repositories.ReplaceAllTopics(ctx(t), "acme", "inited", []string{"goldenpath", "template-go-service"})
	if err != nil || len(topics) != 2 {
		t.Fatalf("topics %v %v", topics, err)
	}
	e.sim.AddTeam("acme", "Platform Team", "alice")
	if _, err := e.gh.Teams.AddTeamRepoBySlug(ctx(t), "acme", "platform-team", "acme", "inited", &github.TeamAddTeamRepoOptions{Permission: "push"}); err != nil {
		t.Fatal(err)
	}
	if p := e.sim.TeamRepoPermission("acme", "platform-team", "acme", "inited"); p != "push" {
		t.Fatalf("team permission %q", p)
	}
}

func TestRefRules(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	if err := e.sim.CreateRepo("acme", "svc", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	first, _ := e.sim.Push("acme", "svc", "main", map[string][]byte{"a": []byte("1")}, "one", "alice")
	second, _ := e.sim.Push("acme", "svc", "main", map[string][]byte{"a": []byte("2")}, "two", "alice")
	_, _, err := e.gh.Git.CreateRef(ctx(t), "acme", "svc", &github.Reference{Ref: github.String("refs/heads/main"), Object: &github.GitObject{SHA: github.String(first)}})
	if code, msg := status(err); code != 422 || msg != "Reference already exists" {
		t.Fatalf("existing ref: %d %q", code, msg)
	}
	if _, _, err := e.gh.Git.CreateRef(ctx(t), "acme", "svc", &github.Reference{Ref: github.String("refs/heads/b"), Object: &github.GitObject{SHA: github.String(second)}}); err != nil {
		t.Fatal(err)
	}
	back := &github.Reference{Ref: github.String("refs/heads/b"), Object: &github.GitObject{SHA: github.String(first)}}
	_, _, err = e.gh.Git.UpdateRef(ctx(t), "acme", "svc", back, false)
	if code, msg := status(err); code != 422 || msg != "Update is not a fast forward" {
		t.Fatalf("non-fast-forward: %d %q", code, msg)
	}
	if _, _, err := e.gh.Git.UpdateRef(ctx(t), "acme", "svc", back, true); err != nil {
		t.Fatalf("forced: %v", err)
	}
	refs, _, err := e.gh.Git.ListMatchingRefs(ctx(t), "acme", "svc", &github.ReferenceListOptions{Ref: "heads/"})
	if err != nil || len(refs) != 2 {
		t.Fatalf("matching refs: %d %v", len(refs), err)
	}
	if _, err := e.gh.Git.DeleteRef(ctx(t), "acme", "svc", "heads/b"); err != nil {
		t.Fatal(err)
	}
	if info, _ := e.sim.Repo("acme", "svc"); len(info.Branches) != 1 {
		t.Fatalf("branches after delete: %v", info.Branches)
	}
}

func TestPullRequestRules(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	if err := e.sim.CreateRepo("acme", "svc", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	base, _ := e.sim.Push("acme", "svc", "main", map[string][]byte{"a": []byte("1\n")}, "one", "alice")
	if err := e.sim.SetRef("acme", "svc", "refs/heads/empty", base, "alice"); err != nil {
		t.Fatal(err)
	}
	newPR := &github.NewPullRequest{Title: github.String("t"), Head: github.String("empty"), Base: github.String("main")}
	_, _, err := e.gh.PullRequests.Create(ctx(t), "acme", "svc", newPR)
	if code, msg := status(err); code != 422 || !strings.Contains(msg, "No commits between main and empty") {
		t.Fatalf("no commits: %d %q", code, msg)
	}
	if _, err := e.sim.Push("acme", "svc", "feature", map[string][]byte{"b": []byte("2\n")}, "two", "alice"); err != nil {
		t.Fatal(err)
	}
	newPR.Head = github.String("acme:feature")
	pr, _, err := e.gh.PullRequests.Create(ctx(t), "acme", "svc", newPR)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.gh.PullRequests.Create(ctx(t), "acme", "svc", newPR)
	if code, msg := status(err); code != 422 || !strings.Contains(msg, "A pull request already exists for acme:feature.") {
		t.Fatalf("duplicate PR: %d %q", code, msg)
	}
	list, _, err := e.gh.PullRequests.List(ctx(t), "acme", "svc", &github.PullRequestListOptions{Head: "acme:feature", State: "open"})
	if err != nil || len(list) != 1 || list[0].GetNumber() != pr.GetNumber() {
		t.Fatalf("list by head: %v %v", list, err)
	}
	files, _, err := e.gh.PullRequests.ListFiles(ctx(t), "acme", "svc", pr.GetNumber(), nil)
	if err != nil || len(files) != 1 || files[0].GetFilename() != "b" || files[0].GetStatus() != "added" {
		t.Fatalf("files: %v %v", files, err)
	}
	res, _, err := e.gh.PullRequests.Merge(ctx(t), "acme", "svc", pr.GetNumber(), "", nil)
	if err != nil || !res.GetMerged() {
		t.Fatalf("merge: %v %v", res, err)
	}
	got, _ := e.sim.Files("acme", "svc", "main")
	if string(got["b"]) != "2\n" {
		t.Fatalf("main after merge: %v", got)
	}
	pr, _, _ = e.gh.PullRequests.Get(ctx(t), "acme", "svc", pr.GetNumber())
	if !pr.GetMerged() || pr.GetState() != "closed" {
		t.Fatalf("merged PR: merged=%v state=%s", pr.GetMerged(), pr.GetState())
	}
}

func TestDraftAndConflicts(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	if err := e.sim.CreateRepo("acme", "svc", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	_, _ = e.sim.Push("acme", "svc", "main", map[string][]byte{"a": []byte("1\n")}, "one", "alice")
	_, _ = e.sim.Push("acme", "svc", "upgrade", map[string][]byte{"a": []byte("template\n")}, "bot", "")
	pr, _, err := e.gh.PullRequests.Create(ctx(t), "acme", "svc", &github.NewPullRequest{Title: github.String("Upgrade"), Head: github.String("upgrade"), Base: github.String("main")})
	if err != nil || pr.GetMergeable() != true || pr.GetDraft() {
		t.Fatalf("PR %v mergeable %v draft %v", err, pr.GetMergeable(), pr.GetDraft())
	}
	_, _ = e.sim.Push("acme", "svc", "main", map[string][]byte{"a": []byte("owner\n")}, "edit", "alice")
	pr, _, _ = e.gh.PullRequests.Get(ctx(t), "acme", "svc", pr.GetNumber())
	if pr.GetMergeable() || pr.GetMergeableState() != "dirty" {
		t.Fatalf("conflicting PR: mergeable %v state %s", pr.GetMergeable(), pr.GetMergeableState())
	}
	if _, _, err := e.gh.PullRequests.Merge(ctx(t), "acme", "svc", pr.GetNumber(), "", nil); err == nil {
		t.Fatal("a conflicting PR merged")
	}
	// GraphQL turns it into a draft (GHES path /api/graphql).
	q := map[string]any{"query": "mutation($id: ID!) { convertPullRequestToDraft(input: {pullRequestId: $id}) { pullRequest { isDraft } } }",
		"variables": map[string]any{"id": pr.GetNodeID(), "input": map[string]any{"pullRequestId": pr.GetNodeID()}}}
	req, _ := e.gh.NewRequest("POST", e.srv.URL+"/api/graphql", q)
	var out map[string]any
	if _, err := e.gh.Do(ctx(t), req, &out); err != nil {
		t.Fatal(err)
	}
	if info, _ := e.sim.Issue("acme", "svc", pr.GetNumber()); !info.Draft {
		t.Fatalf("not a draft after convertPullRequestToDraft: %v", out)
	}
}

func TestBodyTooLong(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	if err := e.sim.CreateRepo("acme", "svc", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	n, _ := e.sim.OpenIssue("acme", "svc", "alice", "hi", "", nil)
	ok := strings.Repeat("é", 65536)
	if _, _, err := e.gh.Issues.CreateComment(ctx(t), "acme", "svc", n, &github.IssueComment{Body: github.String(ok)}); err != nil {
		t.Fatalf("65,536 characters: %v", err)
	}
	_, _, err := e.gh.Issues.CreateComment(ctx(t), "acme", "svc", n, &github.IssueComment{Body: github.String(ok + "x")})
	if code, msg := status(err); code != 422 || !strings.Contains(msg, "too long") {
		t.Fatalf("comment over the limit: %d %q", code, msg)
	}
	_, _, err = e.gh.Issues.Create(ctx(t), "acme", "svc", &github.IssueRequest{Title: github.String("t"), Body: github.String(ok + "x")})
	if code, _ := status(err); code != 422 {
		t.Fatalf("issue over the limit: %d", code)
	}
	if c := e.sim.Comments("acme", "svc", n); len(c) != 1 {
		t.Fatalf("comments: %d", len(c))
	}
}

func TestIssuesLabelsComments(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	if err := e.sim.CreateRepo("acme", "tpl", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.gh.Issues.CreateLabel(ctx(t), "acme", "tpl", &github.Label{Name: github.String("goldenpath"), Color: github.String("0e8a16")}); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.gh.Issues.CreateLabel(ctx(t), "acme", "tpl", &github.Label{Name: github.String("GoldenPath"), Color: github.String("0e8a16")})
	if code, msg := status(err); code != 422 || !strings.Contains(msg, "already_exists") {
		t.Fatalf("duplicate label: %d %q", code, msg)
	}
	// Issue forms drop labels that do not exist.
	n, _ := e.sim.OpenIssue("acme", "tpl", "alice", "New service", "### Name\n\nx", []string{"goldenpath", "template:nope"})
	is, _, err := e.gh.Issues.Get(ctx(t), "acme", "tpl", n)
	if err != nil || len(is.Labels) != 1 || is.GetUser().GetLogin() != "alice" {
		t.Fatalf("issue: %v %v", is, err)
	}
	if _, _, err := e.gh.Issues.AddLabelsToIssue(ctx(t), "acme", "tpl", n, []string{"goldenpath:created"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.gh.Issues.RemoveLabelForIssue(ctx(t), "acme", "tpl", n, "goldenpath"); err != nil {
		t.Fatal(err)
	}
	c, _, err := e.gh.Issues.CreateComment(ctx(t), "acme", "tpl", n, &github.IssueComment{Body: github.String("<!-- goldenpath:status -->\nworking")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.gh.Issues.EditComment(ctx(t), "acme", "tpl", c.GetID(), &github.IssueComment{Body: github.String("<!-- goldenpath:status -->\ndone")}); err != nil {
		t.Fatal(err)
	}
	closed, _, err := e.gh.Issues.Edit(ctx(t), "acme", "tpl", n, &github.IssueRequest{State: github.String("closed"), StateReason: github.String("completed")})
	if err != nil || closed.GetState() != "closed" || closed.GetStateReason() != "completed" {
		t.Fatalf("close: %v %v", closed, err)
	}
	info, _ := e.sim.Issue("acme", "tpl", n)
	comments := e.sim.Comments("acme", "tpl", n)
	if info.State != "closed" || len(info.Labels) != 1 || info.Labels[0] != "goldenpath:created" || len(comments) != 1 || !strings.HasSuffix(comments[0].Body, "done") {
		t.Fatalf("state %+v comments %+v", info, comments)
	}
	if comments[0].Author != e.sim.BotLogin() {
		t.Fatalf("comment author %q", comments[0].Author)
	}
	// Membership checks.
	if isMember, _, err := e.gh.Organizations.IsMember(ctx(t), "acme", "alice"); err != nil || !isMember {
		t.Fatalf("alice member: %v %v", isMember, err)
	}
	if isMember, _, err := e.gh.Organizations.IsMember(ctx(t), "acme", "mallory"); err != nil || isMember {
		t.Fatalf("mallory member: %v %v", isMember, err)
	}
	e.sim.AddTeam("acme", "approvers", "bob")
	m, _, err := e.gh.Teams.GetTeamMembershipBySlug(ctx(t), "acme", "approvers", "bob")
	if err != nil || m.GetState() != "active" {
		t.Fatalf("team membership: %v %v", m, err)
	}
	_, _, err = e.gh.Teams.GetTeamMembershipBySlug(ctx(t), "acme", "approvers", "alice")
	if code, _ := status(err); code != 404 {
		t.Fatalf("non-member team membership: %d", code)
	}
	_, _, err = e.gh.Teams.GetTeamBySlug(ctx(t), "acme", "ghosts")
	if code, _ := status(err); code != 404 {
		t.Fatalf("missing team: %d", code)
	}
}

func TestTarballAndPagination(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	if err := e.sim.CreateRepo("acme", "tpl", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	sha, _ := e.sim.Push("acme", "tpl", "main", map[string][]byte{"go-service/template.yaml": []byte("name: go-service\n"), "README.md": []byte("hi\n")}, "init", "alice")
	if err := e.sim.Tag("acme", "tpl", "go-service/v1.0.0", sha); err != nil {
		t.Fatal(err)
	}
	u, resp, err := e.gh.Repositories.GetArchiveLink(ctx(t), "acme", "tpl", github.Tarball, &github.RepositoryContentGetOptions{Ref: "go-service/v1.0.0"}, 0)
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("archive link: %v %v", u, err)
	}
	dl, err := http.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Body.Close()
	gz, err := gzip.NewReader(dl.Body)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	top := "acme-tpl-" + sha[:7] + "/"
	sort.Strings(names)
	want := []string{top, top + "README.md", top + "go-service/", top + "go-service/template.yaml"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("tar entries %v, want %v", names, want)
	}
	tags, _, err := e.gh.Repositories.ListTags(ctx(t), "acme", "tpl", nil)
	if err != nil || len(tags) != 1 || tags[0].GetCommit().GetSHA() != sha {
		t.Fatalf("tags %v %v", tags, err)
	}
	for i := 0; i < 5; i++ {
		if _, err := e.sim.OpenIssue("acme", "tpl", "alice", "t", "", nil); err != nil {
			t.Fatal(err)
		}
	}
	page, resp, err := e.gh.Issues.ListByRepo(ctx(t), "acme", "tpl", &github.IssueListByRepoOptions{ListOptions: github.ListOptions{PerPage: 2}})
	if err != nil || len(page) != 2 || resp.NextPage != 2 || resp.LastPage != 3 {
		t.Fatalf("page 1: %d next %d last %d %v", len(page), resp.NextPage, resp.LastPage, err)
	}
	// Unknown routes answer 404 and are recorded.
	req, _ := e.gh.NewRequest("GET", "repos/acme/tpl/no-such-thing", nil)
	_, err = e.gh.Do(ctx(t), req, nil)
	if code, _ := status(err); code != 404 {
		t.Fatalf("unknown route: %d", code)
	}
	if got := e.sim.UnknownRoutes(); len(got) != 1 || got[0] != "GET /repos/acme/tpl/no-such-thing" {
		t.Fatalf("unknown routes %v", got)
	}
}
