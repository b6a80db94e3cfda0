package githubsim_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

// TestReadEndpoints walks the remaining endpoints so that each response is
// validated against GitHub's description, and checks what each returns.
func TestReadEndpoints(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	f := newReadFixture(t, e)
	c := ctx(t)
	if _, err := e.sim.PublishRelease("acme", "svc", "v1.0.0", "First", "notes", "alice", false); err != nil {
		t.Fatal(err)
	}
	checkReleaseReads(t, e, c)
	checkGitReads(t, e, c, f)
	checkContentReads(t, e, c)
	checkIssueReads(t, e, c, f)
	checkPullReads(t, e, c, f)
	checkAccountReads(t, e, c)
	if _, err := e.gh.Issues.DeleteComment(c, "acme", "svc", f.cid); err != nil {
		t.Fatal(err)
	}
	if got := e.sim.Comments("acme", "svc", f.n); len(got) != 0 {
		t.Fatalf("comments after delete %v", got)
	}
}

// readFixture is what TestReadEndpoints reads back: a repository with two
// branches (c1 on main, tagged v1.0.0; c2 on feature), pull request pr
// from feature, and issue n with comment cid.
type readFixture struct {
	c1, c2 string
	pr, n  int
	cid    int64
}

func newReadFixture(t *testing.T, e *env) readFixture {
	t.Helper()
	e.sim.AddTeam("acme", "platform", "alice")
	if err := e.sim.CreateRepo("acme", "svc", githubsim.RepoOptions{Description: "a service"}); err != nil {
		t.Fatal(err)
	}
	c1, _ := e.sim.Push("acme", "svc", "main", map[string][]byte{"a.txt": []byte("1\n2\n"), "dir/b.txt": []byte("b\n")}, "one", "alice")
	c2, _ := e.sim.Push("acme", "svc", "feature", map[string][]byte{"a.txt": []byte("1\n3\n"), "dir/b.txt": nil}, "two", "bob")
	if err := e.sim.Tag("acme", "svc", "v1.0.0", c1); err != nil {
		t.Fatal(err)
	}
	pr, err := e.sim.OpenPR("acme", "svc", "bob", "feature", "main", "Feature", "body", false)
	if err != nil {
		t.Fatal(err)
	}
	// A label without a description: null in a full pull request, "" in the
	// list's pull-request-simple, as GitHub's description has it.
	if err := e.sim.CreateLabel("acme", "svc", "upgrade", "ededed", ""); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.LabelIssue("acme", "svc", pr, "bob", "upgrade"); err != nil {
		t.Fatal(err)
	}
	n, _ := e.sim.OpenIssue("acme", "svc", "alice", "Issue", "body", []string{"bug"})
	cid, _ := e.sim.Comment("acme", "svc", n, "bob", "hello")
	return readFixture{c1: c1, c2: c2, pr: pr, n: n, cid: cid}
}

func checkReleaseReads(t *testing.T, e *env, c context.Context) {
	t.Helper()
	if rels, _, err := e.gh.Repositories.ListReleases(c, "acme", "svc", nil); err != nil || len(rels) != 1 {
		t.Fatalf("releases %v %v", rels, err)
	}
	if rel, _, err := e.gh.Repositories.GetLatestRelease(c, "acme", "svc"); err != nil || rel.GetTagName() != "v1.0.0" {
		t.Fatalf("latest release %v %v", rel, err)
	}
	if rel, _, err := e.gh.Repositories.GetReleaseByTag(c, "acme", "svc", "v1.0.0"); err != nil || rel.GetBody() != "notes" {
		t.Fatalf("release by tag %v %v", rel, err)
	}
}

func checkGitReads(t *testing.T, e *env, c context.Context, f readFixture) {
	t.Helper()
	c1, c2 := f.c1, f.c2
	br, _, err := e.gh.Repositories.GetBranch(c, "acme", "svc", "main", 0)
	if err != nil || br.GetCommit().GetSHA() != c1 {
		t.Fatalf("branch %v %v", br, err)
	}
	brs, _, err := e.gh.Repositories.ListBranches(c, "acme", "svc", nil)
	if err != nil || len(brs) != 2 {
		t.Fatalf("branches %d %v", len(brs), err)
	}
	cmp, _, err := e.gh.Repositories.CompareCommits(c, "acme", "svc", "main", "feature", nil)
	if err != nil || cmp.GetAheadBy() != 1 || cmp.GetBehindBy() != 0 || cmp.GetStatus() != "ahead" || len(cmp.Files) != 2 {
		t.Fatalf("compare %v %v", cmp, err)
	}
	commits, _, err := e.gh.Repositories.ListCommits(c, "acme", "svc", &github.CommitsListOptions{SHA: "feature"})
	if err != nil || len(commits) != 2 || commits[0].GetSHA() != c2 {
		t.Fatalf("commits %d %v", len(commits), err)
	}
	rc, _, err := e.gh.Repositories.GetCommit(c, "acme", "svc", c2, nil)
	if err != nil || len(rc.Files) != 2 || rc.GetStats().GetAdditions() != 1 {
		t.Fatalf("commit %v %v", rc, err)
	}
	tree, _, err := e.gh.Git.GetTree(c, "acme", "svc", c1, false)
	if err != nil || len(tree.Entries) != 2 {
		t.Fatalf("tree %v %v", tree, err)
	}
	var blobSHA string
	for _, te := range tree.Entries {
		if te.GetPath() == "a.txt" {
			blobSHA = te.GetSHA()
		}
	}
	blob, _, err := e.gh.Git.GetBlob(c, "acme", "svc", blobSHA)
	if err != nil || blob.GetSize() != 4 {
		t.Fatalf("blob %v %v", blob, err)
	}
	_, dir, _, err := e.gh.Repositories.GetContents(c, "acme", "svc", "", &github.RepositoryContentGetOptions{Ref: "v1.0.0"})
	if err != nil || len(dir) != 2 {
		t.Fatalf("root dir %d %v", len(dir), err)
	}
	u, _, err := e.gh.Repositories.GetArchiveLink(c, "acme", "svc", github.Zipball, nil, 0)
	if err != nil || u == nil {
		t.Fatalf("zipball %v", err)
	}
	if resp, err := http.Get(u.String()); err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("zip download %v", err)
	}
}

func checkContentReads(t *testing.T, e *env, c context.Context) {
	t.Helper()
	rc2, _, err := e.gh.Repositories.DownloadContents(c, "acme", "svc", "dir/b.txt", &github.RepositoryContentGetOptions{Ref: "v1.0.0"})
	if err != nil {
		t.Fatalf("download contents: %v", err)
	}
	raw, _ := io.ReadAll(rc2)
	rc2.Close()
	if string(raw) != "b\n" {
		t.Fatalf("downloaded %q", raw)
	}
	req, _ := e.gh.NewRequest("GET", "repos/acme/svc/contents/a.txt", nil)
	req.Header.Set("Accept", "application/vnd.github.raw+json")
	var buf bytes.Buffer
	if _, err := e.gh.Do(c, req, &buf); err != nil || buf.String() != "1\n2\n" {
		t.Fatalf("raw contents %q %v", buf.String(), err)
	}
}

func checkIssueReads(t *testing.T, e *env, c context.Context, f readFixture) {
	t.Helper()
	n, cid := f.n, f.cid
	comments, _, err := e.gh.Issues.ListComments(c, "acme", "svc", n, nil)
	if err != nil || len(comments) != 1 || comments[0].GetID() != cid {
		t.Fatalf("comments %v %v", comments, err)
	}
	if cm, _, err := e.gh.Issues.GetComment(c, "acme", "svc", cid); err != nil || cm.GetBody() != "hello" {
		t.Fatalf("comment %v %v", cm, err)
	}
	labels, _, err := e.gh.Issues.ListLabels(c, "acme", "svc", nil)
	if err != nil || len(labels) != 10 { // GitHub's nine defaults and "upgrade"
		t.Fatalf("default labels %d %v", len(labels), err)
	}
	if l, _, err := e.gh.Issues.GetLabel(c, "acme", "svc", "good first issue"); err != nil || l.GetColor() != "7057ff" {
		t.Fatalf("label %v %v", l, err)
	}
	if _, _, err := e.gh.Issues.EditLabel(c, "acme", "svc", "bug", &github.Label{Color: github.String("ff0000")}); err != nil {
		t.Fatal(err)
	}
	if ls, _, err := e.gh.Issues.ReplaceLabelsForIssue(c, "acme", "svc", n, []string{"question", "wontfix"}); err != nil || len(ls) != 2 {
		t.Fatalf("replace labels %v %v", ls, err)
	}
	if ls, _, err := e.gh.Issues.ListLabelsByIssue(c, "acme", "svc", n, nil); err != nil || len(ls) != 2 {
		t.Fatalf("issue labels %v %v", ls, err)
	}
}

func checkPullReads(t *testing.T, e *env, c context.Context, f readFixture) {
	t.Helper()
	pr, c2 := f.pr, f.c2
	prc, _, err := e.gh.PullRequests.ListCommits(c, "acme", "svc", pr, nil)
	if err != nil || len(prc) != 1 || prc[0].GetSHA() != c2 {
		t.Fatalf("pr commits %v %v", prc, err)
	}
	upd, _, err := e.gh.PullRequests.Edit(c, "acme", "svc", pr, &github.PullRequest{Title: github.String("Feature 2"), State: github.String("closed")})
	if err != nil || upd.GetState() != "closed" || upd.GetTitle() != "Feature 2" {
		t.Fatalf("pr edit %v %v", upd, err)
	}
	if prs, _, err := e.gh.PullRequests.List(c, "acme", "svc", &github.PullRequestListOptions{State: "closed"}); err != nil || len(prs) != 1 {
		t.Fatalf("closed prs %d %v", len(prs), err)
	}
}

func checkAccountReads(t *testing.T, e *env, c context.Context) {
	t.Helper()
	if u, _, err := e.gh.Users.Get(c, "alice"); err != nil || u.GetLogin() != "alice" {
		t.Fatalf("user %v %v", u, err)
	}
	if o, _, err := e.gh.Organizations.Get(c, "acme"); err != nil || o.GetLogin() != "acme" {
		t.Fatalf("org %v %v", o, err)
	}
	if m, _, err := e.gh.Organizations.GetOrgMembership(c, "alice", "acme"); err != nil || m.GetRole() != "member" {
		t.Fatalf("org membership %v %v", m, err)
	}
	if ts, _, err := e.gh.Teams.ListTeams(c, "acme", nil); err != nil || len(ts) != 1 {
		t.Fatalf("teams %v %v", ts, err)
	}
	if ms, _, err := e.gh.Teams.ListTeamMembersBySlug(c, "acme", "platform", nil); err != nil || len(ms) != 1 {
		t.Fatalf("team members %v %v", ms, err)
	}
	repos, _, err := e.gh.Apps.ListRepos(c, nil)
	if err != nil || repos.GetTotalCount() != 1 {
		t.Fatalf("installation repos %v %v", repos, err)
	}
	if rs, _, err := e.gh.Repositories.ListByOrg(c, "acme", nil); err != nil || len(rs) != 1 {
		t.Fatalf("org repos %v %v", rs, err)
	}
	if r, _, err := e.gh.Repositories.Edit(c, "acme", "svc", &github.Repository{Description: github.String("new")}); err != nil || r.GetDescription() != "new" {
		t.Fatalf("repo edit %v %v", r, err)
	}
	if tp, _, err := e.gh.Repositories.ListAllTopics(c, "acme", "svc"); err != nil || len(tp) != 0 {
		t.Fatalf("topics %v %v", tp, err)
	}
	if rl, _, err := e.gh.RateLimit.Get(c); err != nil || rl.GetCore().Limit != 5000 {
		t.Fatalf("rate limit %v %v", rl, err)
	}
	if in, _, err := e.app.Apps.GetInstallation(c, e.instID); err != nil || in.GetAccount().GetLogin() != "acme" {
		t.Fatalf("installation %v %v", in, err)
	}
}
