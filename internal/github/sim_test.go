package github

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	gh "github.com/google/go-github/v62/github"
)

// simEnv is the simulator over real HTTP and one installation's client.
type simEnv struct {
	sim    *githubsim.Sim
	app    *App
	client *Client
	url    string
}

func newSimEnv(t *testing.T, org string, ghes bool) *simEnv {
	t.Helper()
	sim := githubsim.New(githubsim.Options{Limits: githubsim.Limits{Disabled: true}})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	base := srv.URL
	if ghes {
		base += "/api/v3"
	}
	app, err := NewApp(AppConfig{AppID: sim.AppID(), PrivateKeyPEM: sim.AppPrivateKeyPEM(), BaseURL: base, Policy: fastPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	sim.AddOrg(org)
	inst := sim.Install(org)
	return &simEnv{sim: sim, app: app, client: app.Installation(inst), url: base}
}

// requests returns the simulator's counts by route since the last call,
// without the installation-token requests (one per hour per installation).
func (e *simEnv) requests() map[string]int {
	c := e.sim.Counts()
	e.sim.ResetCounts()
	out := map[string]int{}
	for k, v := range c.ByRoute {
		if !strings.Contains(k, "access_tokens") {
			out[k] = v
		}
	}
	return out
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func sameCounts(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: requests\n got  %v\n want %v", what, got, want)
	}
}

func TestCheckCredentials(t *testing.T) {
	for _, ghes := range []bool{false, true} {
		t.Run(fmt.Sprintf("ghes=%v", ghes), func(t *testing.T) {
			e := newSimEnv(t, "acme", ghes)
			info, err := e.app.CheckCredentials(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if info.ID != e.sim.AppID() || info.Slug == "" {
				t.Errorf("app = %+v, want id %d and a slug", info, e.sim.AppID())
			}
			// And the installation client reaches the same base.
			if _, err := e.client.IsOrgMember(context.Background(), "acme", "nobody"); err != nil {
				t.Errorf("installation request at %s: %v", e.url, err)
			}
		})
	}
}

func TestCheckCredentialsWrongKey(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	other := githubsim.New(githubsim.Options{})
	app, err := NewApp(AppConfig{AppID: e.sim.AppID(), PrivateKeyPEM: other.AppPrivateKeyPEM(), BaseURL: e.url, Policy: fastPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.CheckCredentials(context.Background()); err == nil {
		t.Fatal("a key of another App passed the credentials check")
	}
}

func TestInstallationClientsAreCached(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	if e.app.Installation(e.client.InstallationID()) != e.client {
		t.Error("a second Installation call built a new client")
	}
	ctx := context.Background()
	for range 3 {
		if _, err := e.client.TeamExists(ctx, "acme", "none"); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.sim.Counts().ByRoute["POST /app/installations/{installation_id}/access_tokens"]; n != 1 {
		t.Errorf("installation tokens minted %d times for 3 requests, want 1", n)
	}
}

func someFiles(n int) map[string]File {
	files := map[string]File{
		"scripts/build.sh":         {Data: []byte("#!/bin/sh\necho build\n"), Mode: 0o755},
		".github/workflows/ci.yml": {Data: []byte("on: push\njobs: {}\n")},
		"docs/empty.md":            {Data: []byte{}},
	}
	for i := len(files); i < n; i++ {
		files[fmt.Sprintf("pkg/p%02d/file.go", i)] = File{Data: []byte(fmt.Sprintf("package p%02d\n", i)), Mode: 0o644}
	}
	return files
}

func TestCreateRepoWithFiles(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	files := someFiles(30)
	e.requests()
	repo, err := e.client.CreateRepoWithFiles(ctx, "acme", "payments", RepoOptions{Description: "Payments"}, files, "Create payments from go-service v1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "create with 30 text files", e.requests(), map[string]int{
		"POST /orgs/{org}/repos":                     1,
		"POST /repos/{owner}/{repo}/git/trees":       1,
		"POST /repos/{owner}/{repo}/git/commits":     1,
		"PATCH /repos/{owner}/{repo}/git/refs/{ref}": 1,
	})
	if repo.HeadSHA == "" || repo.DefaultBranch == "" || !repo.Private || repo.HTMLURL == "" {
		t.Errorf("repo = %+v, want head, default branch, private, html url", repo)
	}
	commits, err := e.sim.Commits("acme", "payments", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(commits) != 1 || commits[0].SHA != repo.HeadSHA {
		t.Fatalf("history = %+v, want exactly one commit %s holding every file", commits, repo.HeadSHA)
	}
	got, sha, err := e.client.ReadTree(ctx, "acme", "payments", repo.DefaultBranch)
	if err != nil {
		t.Fatal(err)
	}
	if sha != repo.HeadSHA {
		t.Errorf("ReadTree resolved %s, want %s", sha, repo.HeadSHA)
	}
	if len(got) != len(files) {
		t.Errorf("repository holds %d files, want %d (auto-init README must be gone)", len(got), len(files))
	}
	for p, f := range files {
		g, ok := got[p]
		if !ok || !bytes.Equal(g.Data, f.Data) {
			t.Errorf("%s = %q, want %q", p, g.Data, f.Data)
		}
		if (g.Mode&0o111 != 0) != (f.Mode&0o111 != 0) {
			t.Errorf("%s mode = %v, want executable=%v", p, g.Mode, f.Mode&0o111 != 0)
		}
	}
}

func TestCreateRepoWithBinaryAndTopics(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	files := someFiles(5)
	files["assets/logo.png"] = File{Data: []byte{0x89, 'P', 'N', 'G', 0, 1, 2, 0xff}}
	e.requests()
	repo, err := e.client.CreateRepoWithFiles(ctx, "acme", "web", RepoOptions{Visibility: "public", Topics: []string{"goldenpath", "template-go-service"}}, files, "first")
	if err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "create with a binary and topics", e.requests(), map[string]int{
		"POST /orgs/{org}/repos":                     1,
		"POST /repos/{owner}/{repo}/git/blobs":       1,
		"POST /repos/{owner}/{repo}/git/trees":       1,
		"POST /repos/{owner}/{repo}/git/commits":     1,
		"PATCH /repos/{owner}/{repo}/git/refs/{ref}": 1,
		"PUT /repos/{owner}/{repo}/topics":           1,
	})
	if repo.Private {
		t.Error("public repository created private")
	}
	got, err := e.sim.Files("acme", "web", "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got["assets/logo.png"], files["assets/logo.png"].Data) {
		t.Errorf("binary file = %v, want %v", got["assets/logo.png"], files["assets/logo.png"].Data)
	}
	info, _ := e.sim.Repo("acme", "web")
	if fmt.Sprint(info.Topics) != "[goldenpath template-go-service]" {
		t.Errorf("topics = %v", info.Topics)
	}
}

func TestCreateRepoAlreadyExists(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	if _, err := e.sim.Push("acme", "taken", "main", nil, "", ""); err == nil {
		t.Log("pushed to a missing repository?")
	}
	if err := e.sim.CreateRepo("acme", "taken", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.Push("acme", "taken", "main", map[string][]byte{"README.md": []byte("theirs\n")}, "theirs", "alice"); err != nil {
		t.Fatal(err)
	}
	for _, adopt := range []bool{false, true} {
		e.requests()
		repo, err := e.client.CreateRepoWithFiles(ctx, "acme", "taken", RepoOptions{AdoptPristine: adopt}, someFiles(3), "mine")
		if !errors.Is(err, ErrAlreadyExists) {
			t.Fatalf("adopt=%v: error = %v, want ErrAlreadyExists", adopt, err)
		}
		if repo == nil || repo.Name != "taken" {
			t.Errorf("adopt=%v: existing repo = %+v, want it returned", adopt, repo)
		}
		req := e.requests()
		if w := req["POST /orgs/{org}/repos"]; w != 1 || total(req) > 3 {
			t.Errorf("adopt=%v: requests %v: want one create attempt and reads only", adopt, req)
		}
	}
	files, _ := e.sim.Files("acme", "taken", "")
	if string(files["README.md"]) != "theirs\n" || len(files) != 1 {
		t.Errorf("existing repository changed: %v", files)
	}
}

func TestCreateRepoAdoptsPristine(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	// What an earlier attempt leaves when it dies between create and commit.
	if err := e.sim.CreateRepo("acme", "half", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateRepoWithFiles(ctx, "acme", "half", RepoOptions{}, someFiles(3), "mine"); !errors.Is(err, ErrAlreadyExists) {
		t.Fatalf("without AdoptPristine: error = %v, want ErrAlreadyExists", err)
	}
	repo, err := e.client.CreateRepoWithFiles(ctx, "acme", "half", RepoOptions{AdoptPristine: true}, someFiles(3), "mine")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := e.sim.Files("acme", "half", "")
	commits, _ := e.sim.Commits("acme", "half", "")
	if len(files) != 3 || len(commits) != 1 || commits[0].SHA != repo.HeadSHA {
		t.Errorf("adopted repository: %d files, %d commits; want 3 files in one commit", len(files), len(commits))
	}
}

func TestCreateRepo502AfterWrite(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	e.sim.SetFaults([]githubsim.Fault{{Method: "POST", Pattern: "/orgs/{org}/repos", Nth: 1, Kind: githubsim.AfterWrite502}})
	e.requests()
	repo, err := e.client.CreateRepoWithFiles(ctx, "acme", "payments", RepoOptions{}, someFiles(10), "first")
	if err != nil {
		t.Fatal(err)
	}
	req := e.requests()
	if req["POST /orgs/{org}/repos"] != 1 {
		t.Errorf("create sent %d times, want once (a 502 after a write is not re-sent)", req["POST /orgs/{org}/repos"])
	}
	if n := len(e.sim.Repos()); n != 1 {
		t.Errorf("%d repositories, want 1", n)
	}
	commits, _ := e.sim.Commits("acme", "payments", "")
	files, _ := e.sim.Files("acme", "payments", "")
	if len(commits) != 1 || commits[0].SHA != repo.HeadSHA || len(files) != 10 {
		t.Errorf("after recovery: %d commits, %d files; want the files in one commit", len(commits), len(files))
	}
	t.Logf("requests with the recovery: %v", req)
}

func TestCreateRepo502BeforeWrite(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	e.sim.SetFaults([]githubsim.Fault{{Method: "POST", Pattern: "/orgs/{org}/repos", Nth: 1, Kind: githubsim.Error5xx}})
	if _, err := e.client.CreateRepoWithFiles(context.Background(), "acme", "payments", RepoOptions{}, someFiles(4), "first"); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.Counts().ByRoute["POST /orgs/{org}/repos"]; n != 2 {
		t.Errorf("create sent %d times, want 2 (read back: missing, so created again)", n)
	}
	if n := len(e.sim.Repos()); n != 1 {
		t.Errorf("%d repositories, want 1", n)
	}
}

func TestReadTreeCachedBySHA(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	if err := e.sim.CreateRepo("acme", "golden-paths", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	sha, err := e.sim.Push("acme", "golden-paths", "main", map[string][]byte{
		"templates/go-service/template.yaml": []byte("name: go-service\n"),
		"goldenpath.yaml":                    []byte("approval: {}\n"),
	}, "v1", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Tag("acme", "golden-paths", "go-service/v1.0.0", sha); err != nil {
		t.Fatal(err)
	}
	e.requests()
	for range 2 {
		files, got, err := e.client.ReadTree(ctx, "acme", "golden-paths", "go-service/v1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		if got != sha || string(files["goldenpath.yaml"].Data) != "approval: {}\n" || len(files) != 2 {
			t.Fatalf("ReadTree = %d files at %s, want 2 at %s", len(files), got, sha)
		}
		files["goldenpath.yaml"] = File{} // the caller's map: must not reach the cache
	}
	req := e.requests()
	if req["GET /repos/{owner}/{repo}/tarball/{ref}"] != 1 {
		t.Errorf("tarball downloaded %d times for one SHA, want 1: %v", req["GET /repos/{owner}/{repo}/tarball/{ref}"], req)
	}
	if req["GET /repos/{owner}/{repo}/commits/{ref}"] != 2 {
		t.Errorf("ref resolved %d times, want once per call: %v", req["GET /repos/{owner}/{repo}/commits/{ref}"], req)
	}
	// A full SHA needs no resolution and hits the cache: no request at all.
	if _, _, err := e.client.ReadTree(ctx, "acme", "golden-paths", sha); err != nil {
		t.Fatal(err)
	}
	if req := e.requests(); total(req) != 0 {
		t.Errorf("ReadTree by cached SHA made requests: %v", req)
	}
	if _, _, err := e.client.ReadTree(ctx, "acme", "golden-paths", "no-such-ref"); !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrValidation) {
		t.Errorf("unknown ref: error = %v, want not found", err)
	}
}

func TestListTagsAndGetFile(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	if err := e.sim.CreateRepo("acme", "golden-paths", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	sha, err := e.sim.Push("acme", "golden-paths", "main", map[string][]byte{"CHANGELOG.md": []byte("# v1\n")}, "v1", "alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"go-service/v1.0.0", "go-service/v1.1.0", "node-service/v1.0.0", "go-service-extra/v9.0.0"} {
		if err := e.sim.Tag("acme", "golden-paths", tag, sha); err != nil {
			t.Fatal(err)
		}
	}
	tags, err := e.client.ListTags(ctx, "acme", "golden-paths", "go-service/v")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tg := range tags {
		names = append(names, tg.Name)
		if tg.SHA != sha {
			t.Errorf("tag %s points at %s, want %s", tg.Name, tg.SHA, sha)
		}
	}
	if fmt.Sprint(names) != "[go-service/v1.0.0 go-service/v1.1.0]" {
		t.Errorf("tags = %v", names)
	}
	data, blob, err := e.client.GetFile(ctx, "acme", "golden-paths", "CHANGELOG.md", "main")
	if err != nil || string(data) != "# v1\n" || len(blob) != 40 {
		t.Errorf("GetFile = %q, %q, %v", data, blob, err)
	}
	if _, _, err := e.client.GetFile(ctx, "acme", "golden-paths", "missing.md", "main"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing file: error = %v, want ErrNotFound", err)
	}
}

func TestCommitFiles(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	if err := e.sim.CreateRepo("acme", "api", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	base, err := e.sim.Push("acme", "api", "main", map[string][]byte{"a.txt": []byte("a\n"), "b.txt": []byte("b\n")}, "init", "alice")
	if err != nil {
		t.Fatal(err)
	}
	e.requests()
	changes := map[string]*File{"a.txt": {Data: []byte("a2\n")}, "b.txt": nil, "bin/run": {Data: []byte("#!/bin/sh\n"), Mode: 0o755}}
	first, err := e.client.CommitFiles(ctx, "acme", "api", "goldenpath/upgrade-go-service", base, changes, "Upgrade", false)
	if err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "commit onto a new branch", e.requests(), map[string]int{
		"GET /repos/{owner}/{repo}/git/commits/{commit_sha}": 1,
		"POST /repos/{owner}/{repo}/git/trees":               1,
		"POST /repos/{owner}/{repo}/git/commits":             1,
		"POST /repos/{owner}/{repo}/git/refs":                1,
	})
	files, _ := e.sim.Files("acme", "api", "goldenpath/upgrade-go-service")
	if string(files["a.txt"]) != "a2\n" || files["b.txt"] != nil || string(files["bin/run"]) != "#!/bin/sh\n" {
		t.Errorf("branch files = %v", files)
	}
	tree, _, err := e.client.ReadTree(ctx, "acme", "api", first)
	if err != nil {
		t.Fatal(err)
	}
	if tree["bin/run"].Mode&0o111 == 0 {
		t.Errorf("bin/run mode = %v, want executable", tree["bin/run"].Mode)
	}

	// Rebuilt from the same base: not a fast-forward of the branch.
	e.requests()
	_, err = e.client.CommitFiles(ctx, "acme", "api", "goldenpath/upgrade-go-service", base, map[string]*File{"c.txt": {Data: []byte("c\n")}}, "Upgrade again", false)
	if !errors.Is(err, ErrNotFastForward) {
		t.Fatalf("rebuild without force: error = %v, want ErrNotFastForward", err)
	}
	if got := e.sim.Head("acme", "api", "goldenpath/upgrade-go-service"); got != first {
		t.Errorf("branch moved to %s without force", got)
	}
	second, err := e.client.CommitFiles(ctx, "acme", "api", "goldenpath/upgrade-go-service", base, map[string]*File{"c.txt": {Data: []byte("c\n")}}, "Upgrade again", true)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.sim.Head("acme", "api", "goldenpath/upgrade-go-service"); got != second {
		t.Errorf("forced branch at %s, want %s", got, second)
	}
	commits, _ := e.sim.Commits("acme", "api", "goldenpath/upgrade-go-service")
	if len(commits) != 2 {
		t.Errorf("branch history has %d commits, want base + one", len(commits))
	}
}

func TestCommitFiles502AfterRefWrite(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	if err := e.sim.CreateRepo("acme", "api", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	base, _ := e.sim.Push("acme", "api", "main", map[string][]byte{"a.txt": []byte("a\n")}, "init", "alice")
	// Every write of the commit answers 502 once after taking effect: the
	// content-addressed objects and the ref are re-sent, and land once.
	e.sim.SetFaults([]githubsim.Fault{
		{Method: "POST", Pattern: "/repos/{owner}/{repo}/git/trees", Nth: 1, Kind: githubsim.AfterWrite502},
		{Method: "POST", Pattern: "/repos/{owner}/{repo}/git/commits", Nth: 1, Kind: githubsim.AfterWrite502},
		{Method: "POST", Pattern: "/repos/{owner}/{repo}/git/refs", Nth: 1, Kind: githubsim.AfterWrite502},
	})
	sha, err := e.client.CommitFiles(ctx, "acme", "api", "feature", base, map[string]*File{"a.txt": {Data: []byte("b\n")}}, "change", false)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.sim.Head("acme", "api", "feature"); got != sha {
		t.Errorf("feature at %s, want %s", got, sha)
	}
	commits, _ := e.sim.Commits("acme", "api", "feature")
	if len(commits) != 2 {
		t.Errorf("%d commits on the branch, want 2 (base + one, no duplicate)", len(commits))
	}
}

func TestIssueOperations(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	if err := e.sim.CreateRepo("acme", "golden-paths", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	e.sim.AddUser("alice")
	n, err := e.sim.OpenIssue("acme", "golden-paths", "alice", "New service", "body", nil)
	if err != nil {
		t.Fatal(err)
	}
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

func TestFileModes(t *testing.T) {
	cases := map[fs.FileMode]string{0: "100644", 0o644: "100644", 0o600: "100644", 0o755: "100755", 0o700: "100755", fs.ModeSymlink | 0o777: "120000"}
	for m, want := range cases {
		if got := (File{Mode: m}).gitMode(); got != want {
			t.Errorf("gitMode(%v) = %s, want %s", m, got, want)
		}
	}
}

// TestPacingKeepsUnderSimulatedLimits runs writes from many goroutines against
// the simulator's secondary limits (scaled: 6 writes per 400ms) with pacing set
// to the same limits: no violation, and close to the floor the limits allow.
func TestPacingKeepsUnderSimulatedLimits(t *testing.T) {
	const perWindow, window, writes = 6, 400 * time.Millisecond, 24
	sim := githubsim.New(githubsim.Options{Limits: githubsim.Limits{
		ContentPerMinute: perWindow, MinuteWindow: window, ContentPerHour: 10000}})
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	p := fastPolicy()
	p.Pacing = Pacing{MinGap: time.Millisecond, Windows: []WindowLimit{{N: perWindow, Per: window}}}
	app, err := NewApp(AppConfig{AppID: sim.AppID(), PrivateKeyPEM: sim.AppPrivateKeyPEM(), BaseURL: srv.URL, Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	sim.AddOrg("acme")
	inst := sim.Install("acme")
	if err := sim.CreateRepo("acme", "golden-paths", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, writes)
	for i := range writes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Installation() from each goroutine: the pacer is per installation, not per call site.
			errs <- app.Installation(inst).EnsureLabels(ctx, "acme", "golden-paths", []Label{{Name: fmt.Sprintf("l%02d", i), Color: "ededed"}})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	if v := sim.Violations(); len(v) != 0 {
		t.Errorf("%d rate-limit violations, first %+v", len(v), v[0])
	}
	floor := time.Duration(writes/perWindow-1) * window // the last window needs no waiting out
	// Pacing must wait the limits out (no violation, never under the floor).
	// How close it stays to the floor is a performance figure, measured by
	// the Rollout200 benchmark in internal/upgrade, not asserted here.
	if elapsed < floor {
		t.Errorf("%d writes took %s, under the floor %s the limits allow", writes, elapsed, floor)
	}
	t.Logf("%d writes took %s; floor %s (%.2f×)", writes, elapsed, floor, float64(elapsed)/float64(floor))
}

func TestGetFileIfChanged(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	if err := e.sim.CreateRepo("acme", "api", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.Push("acme", "api", "main", map[string][]byte{".goldenpath.yml": []byte("version: 1.0.0\n")}, "init", "alice"); err != nil {
		t.Fatal(err)
	}
	f, changed, err := e.client.GetFileIfChanged(ctx, "acme", "api", ".goldenpath.yml", "", "")
	if err != nil || !changed || string(f.Data) != "version: 1.0.0\n" || f.ETag == "" {
		t.Fatalf("first read = %+v, %v, %v; want the file and an ETag", f, changed, err)
	}
	again, changed, err := e.client.GetFileIfChanged(ctx, "acme", "api", ".goldenpath.yml", "", f.ETag)
	if err != nil || changed || again != nil {
		t.Fatalf("unchanged read = %+v, %v, %v; want not modified", again, changed, err)
	}
	if _, err := e.sim.Push("acme", "api", "main", map[string][]byte{".goldenpath.yml": []byte("version: 1.1.0\n")}, "up", "alice"); err != nil {
		t.Fatal(err)
	}
	f2, changed, err := e.client.GetFileIfChanged(ctx, "acme", "api", ".goldenpath.yml", "", f.ETag)
	if err != nil || !changed || string(f2.Data) != "version: 1.1.0\n" {
		t.Fatalf("changed read = %+v, %v, %v; want the new content", f2, changed, err)
	}
	if _, _, err := e.client.GetFileIfChanged(ctx, "acme", "api", "missing", "", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing file: error = %v, want ErrNotFound", err)
	}
}

func TestEnterpriseBaseURL(t *testing.T) {
	e := newSimEnv(t, "acme", true)
	ctx := context.Background()
	repo, err := e.client.CreateRepoWithFiles(ctx, "acme", "svc", RepoOptions{}, someFiles(4), "first")
	if err != nil {
		t.Fatal(err)
	}
	files, sha, err := e.client.ReadTree(ctx, "acme", "svc", "main")
	if err != nil || sha != repo.HeadSHA || len(files) != 4 {
		t.Fatalf("ReadTree over /api/v3 = %d files at %s, %v; want 4 at %s", len(files), sha, err, repo.HeadSHA)
	}
}

func TestInstallationCacheBounded(t *testing.T) {
	sim := githubsim.New(githubsim.Options{Limits: githubsim.Limits{Disabled: true}})
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	app, err := NewApp(AppConfig{AppID: sim.AppID(), PrivateKeyPEM: sim.AppPrivateKeyPEM(), BaseURL: srv.URL, MaxClients: 2})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := sim.Install("a"), sim.Install("b"), sim.Install("c")
	first := app.Installation(a)
	app.Installation(b)
	app.Installation(c) // evicts a, the least recently used
	if len(app.clients) != 2 {
		t.Errorf("%d cached clients, want 2", len(app.clients))
	}
	again := app.Installation(a)
	if again == first {
		t.Error("evicted client returned from the cache")
	}
	if again.limiter != first.limiter {
		t.Error("a rebuilt client got a new pacer: writes of one installation must share one")
	}
}

func TestCreateRepoWhenTheBranchIsMissing(t *testing.T) {
	// An adopted empty repository whose first commit went to a branch other
	// than the default one: the default branch ref is created, not updated.
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	if err := e.sim.CreateRepo("acme", "svc", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.Push("acme", "svc", "other", map[string][]byte{"x": []byte("x")}, "x", "alice"); err != nil {
		t.Fatal(err)
	}
	err := e.client.setRef(ctx, "acme", "svc", "fresh", e.sim.Head("acme", "svc", "other"), true, false)
	if err != nil {
		t.Fatal(err)
	}
	if e.sim.Head("acme", "svc", "fresh") == "" {
		t.Error("branch not created")
	}
}

// TestWritesAfter502 pins down what each write guarantees when GitHub applies
// it and then answers 502: either the op recovers by itself, or it fails and
// the caller's next attempt (which re-reads first) finds the write, so a
// retry never duplicates anything.
func TestWritesAfter502(t *testing.T) {
	ctx := context.Background()
	type world struct {
		e     *simEnv
		issue int
		base  string
	}
	tests := []struct {
		name     string
		fault    githubsim.Fault
		op       func(w world) error
		recovers bool // the op itself succeeds despite the 502
		check    func(t *testing.T, w world)
	}{
		{name: "comment: fails, the retry finds it",
			fault: githubsim.Fault{Method: "POST", Pattern: "/repos/{owner}/{repo}/issues/{issue_number}/comments", Nth: 1, Kind: githubsim.AfterWrite502},
			op: func(w world) error {
				_, err := w.e.client.UpsertComment(ctx, "acme", "r", w.issue, "m", "hello")
				return err
			},
			check: func(t *testing.T, w world) {
				cs, _, err := w.e.client.gh.Issues.ListComments(ctx, "acme", "r", w.issue, nil)
				if err != nil || len(cs) != 1 {
					t.Errorf("%d comments (%v), want 1", len(cs), err)
				}
			}},
		{name: "labels: re-sent, tolerated",
			fault: githubsim.Fault{Method: "POST", Pattern: "/repos/{owner}/{repo}/labels", Nth: 1, Kind: githubsim.AfterWrite502},
			op: func(w world) error {
				return w.e.client.EnsureLabels(ctx, "acme", "r", []Label{{Name: "goldenpath", Color: "ededed"}})
			},
			recovers: true},
		{name: "issue labels: re-sent",
			fault: githubsim.Fault{Method: "POST", Pattern: "/repos/{owner}/{repo}/issues/{issue_number}/labels", Nth: 1, Kind: githubsim.AfterWrite502},
			op: func(w world) error {
				return w.e.client.AddLabels(ctx, "acme", "r", w.issue, []string{"goldenpath:created"})
			},
			recovers: true},
		{name: "close: re-sent",
			fault: githubsim.Fault{Method: "PATCH", Pattern: "/repos/{owner}/{repo}/issues/{issue_number}", Nth: 1, Kind: githubsim.AfterWrite502},
			op: func(w world) error {
				return w.e.client.CloseIssue(ctx, "acme", "r", w.issue, "completed")
			},
			recovers: true},
		{name: "topics: re-sent",
			fault: githubsim.Fault{Method: "PUT", Pattern: "/repos/{owner}/{repo}/topics", Nth: 1, Kind: githubsim.AfterWrite502},
			op: func(w world) error {
				return w.e.client.SetTopics(ctx, "acme", "r", []string{"goldenpath"})
			},
			recovers: true},
		{name: "pull request: fails, FindPR finds it",
			fault: githubsim.Fault{Method: "POST", Pattern: "/repos/{owner}/{repo}/pulls", Nth: 1, Kind: githubsim.AfterWrite502},
			op: func(w world) error {
				// As the upgrade workflow does: look first, open only if missing.
				if pr, err := w.e.client.FindPR(ctx, "acme", "r", "feature"); err != nil || pr != nil {
					return err
				}
				_, err := w.e.client.CreatePR(ctx, "acme", "r", NewPR{Title: "t", Head: "feature", Base: "main"})
				return err
			},
			check: func(t *testing.T, w world) {
				prs, _, err := w.e.client.gh.PullRequests.List(ctx, "acme", "r", &gh.PullRequestListOptions{State: "all"})
				if err != nil || len(prs) != 1 {
					t.Errorf("%d pull requests (%v), want 1", len(prs), err)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSimEnv(t, "acme", false)
			e.sim.AddUser("alice")
			if err := e.sim.CreateRepo("acme", "r", githubsim.RepoOptions{}); err != nil {
				t.Fatal(err)
			}
			base, _ := e.sim.Push("acme", "r", "main", map[string][]byte{"a": []byte("a\n")}, "init", "alice")
			if _, err := e.sim.Push("acme", "r", "feature", map[string][]byte{"a": []byte("b\n")}, "change", "alice"); err != nil {
				t.Fatal(err)
			}
			n, err := e.sim.OpenIssue("acme", "r", "alice", "t", "b", nil)
			if err != nil {
				t.Fatal(err)
			}
			w := world{e: e, issue: n, base: base}
			e.sim.SetFaults([]githubsim.Fault{tc.fault})
			err = tc.op(w)
			if tc.recovers && err != nil {
				t.Fatalf("op failed: %v", err)
			}
			if !tc.recovers {
				if err == nil {
					t.Fatal("op hid a 502 it cannot know the outcome of")
				}
				if err := tc.op(w); err != nil && !errors.Is(err, ErrAlreadyExists) {
					t.Errorf("the caller's retry: %v", err)
				}
			}
			if tc.check != nil {
				tc.check(t, w)
			}
		})
	}
}

func TestListInstallationsAndRepos(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	e.sim.Install("other")
	ins, err := e.app.Installations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var accounts []string
	for _, in := range ins {
		accounts = append(accounts, in.Account)
	}
	if fmt.Sprint(accounts) != "[acme other]" {
		t.Errorf("installations = %+v, want acme and other", ins)
	}
	for _, name := range []string{"a", "b"} {
		if _, err := e.client.CreateRepoWithFiles(ctx, "acme", name, RepoOptions{}, someFiles(3), "first"); err != nil {
			t.Fatal(err)
		}
	}
	repos, err := e.client.Repos(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range repos {
		names = append(names, r.FullName)
	}
	if fmt.Sprint(names) != "[acme/a acme/b]" {
		t.Errorf("repos = %v, want acme/a acme/b", names)
	}
}

// TestSetPRDraft turns an open pull request into a draft and back through
// GraphQL, on github.com's and GHES's endpoints: one POST each, paced as a
// write; GraphQL errors (HTTP 200) become wrapped errors of the usual kinds.
func TestSetPRDraft(t *testing.T) {
	for _, ghes := range []bool{false, true} {
		t.Run(fmt.Sprintf("ghes=%v", ghes), func(t *testing.T) {
			e := newSimEnv(t, "acme", ghes)
			ctx := context.Background()
			if err := e.sim.CreateRepo("acme", "api", githubsim.RepoOptions{}); err != nil {
				t.Fatal(err)
			}
			base, _ := e.sim.Push("acme", "api", "main", map[string][]byte{"a.txt": []byte("a\n")}, "init", "alice")
			const branch = "goldenpath/upgrade-go-service"
			if _, err := e.client.CommitFiles(ctx, "acme", "api", branch, base, map[string]*File{"a.txt": {Data: []byte("b\n")}}, "Upgrade", false); err != nil {
				t.Fatal(err)
			}
			made, err := e.client.CreatePR(ctx, "acme", "api", NewPR{Title: "t", Head: branch, Base: "main"})
			if err != nil {
				t.Fatal(err)
			}
			if made.NodeID == "" || made.Draft {
				t.Fatalf("created PR = %+v, want a node ID and not a draft", made)
			}
			e.requests()
			steps := []struct {
				name   string
				nodeID string
				draft  bool
				want   map[string]int
			}{
				{name: "to draft", nodeID: made.NodeID, draft: true, want: map[string]int{"POST /graphql": 1}},
				{name: "draft again (no-op on GitHub)", nodeID: made.NodeID, draft: true, want: map[string]int{"POST /graphql": 1}},
				{name: "ready", nodeID: made.NodeID, draft: false, want: map[string]int{"POST /graphql": 1}},
				{name: "draft, node ID looked up", nodeID: "", draft: true,
					want: map[string]int{"GET /repos/{owner}/{repo}/pulls/{pull_number}": 1, "POST /graphql": 1}},
			}
			for _, s := range steps {
				if err := e.client.SetPRDraft(ctx, "acme", "api", made.Number, s.nodeID, s.draft); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				sameCounts(t, s.name, e.requests(), s.want)
				found, err := e.client.FindPR(ctx, "acme", "api", branch)
				if err != nil || found.Draft != s.draft {
					t.Fatalf("%s: PR = %+v, %v; want draft=%v", s.name, found, err, s.draft)
				}
				e.requests()
			}

			// A node that does not exist: GitHub answers 200 with errors.
			err = e.client.SetPRDraft(ctx, "acme", "api", 999, "PR_nope", false)
			if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "acme/api#999") {
				t.Errorf("unknown node: error = %v, want ErrNotFound naming the PR", err)
			}
			// A closed pull request cannot change.
			closed := "closed"
			if _, err := e.client.UpdatePR(ctx, "acme", "api", made.Number, PRUpdate{State: &closed}); err != nil {
				t.Fatal(err)
			}
			if err := e.client.SetPRDraft(ctx, "acme", "api", made.Number, made.NodeID, false); !errors.Is(err, ErrConflict) {
				t.Errorf("closed PR: error = %v, want ErrConflict", err)
			}
		})
	}
}

func TestGraphQLURL(t *testing.T) {
	tests := map[string]string{
		"https://api.github.com":              "https://api.github.com/graphql",
		"https://ghe.example.com/api/v3":      "https://ghe.example.com/api/graphql",
		"https://ghe.example.com/api/v3/":     "https://ghe.example.com/api/graphql",
		"http://127.0.0.1:4000":               "http://127.0.0.1:4000/graphql",
		"http://proxy.internal/github/api/v3": "http://proxy.internal/github/api/graphql",
	}
	for base, want := range tests {
		if got := graphQLURL(base); got != want {
			t.Errorf("graphQLURL(%q) = %q, want %q", base, got, want)
		}
	}
}

// TestUpsertCommentOwnAppOnly: only a comment this App wrote is edited; the
// marker quoted by a person or by another App's bot leaves that comment alone
// and a new one is created (editing it would answer 403 on real GitHub).
func TestUpsertCommentOwnAppOnly(t *testing.T) {
	tests := []struct {
		name     string
		author   func(e *simEnv) string
		clientID func(e *simEnv) int64 // the App id the client acts for
		wantEdit bool
	}{
		{"this App's bot", func(e *simEnv) string { return e.sim.BotLogin() }, func(e *simEnv) int64 { return e.sim.AppID() }, true},
		{"a person", func(*simEnv) string { return "alice" }, func(e *simEnv) int64 { return e.sim.AppID() }, false},
		// The simulator has one App, so another App's bot is its bot seen by a
		// client of a different App id: performed_via_github_app names 314159.
		{"another App's bot", func(e *simEnv) string { return e.sim.BotLogin() }, func(e *simEnv) int64 { return e.sim.AppID() + 1 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSimEnv(t, "acme", false)
			ctx := context.Background()
			if err := e.sim.CreateRepo("acme", "r", githubsim.RepoOptions{}); err != nil {
				t.Fatal(err)
			}
			e.sim.AddUser("alice")
			n, err := e.sim.OpenIssue("acme", "r", "alice", "New service", "body", nil)
			if err != nil {
				t.Fatal(err)
			}
			before := "old status\n\n" + Marker("request") + "\n"
			existing, err := e.sim.Comment("acme", "r", n, tt.author(e), before)
			if err != nil {
				t.Fatal(err)
			}
			c := *e.client
			c.appID = tt.clientID(e)
			id, err := c.UpsertComment(ctx, "acme", "r", n, "request", "new status")
			if err != nil {
				t.Fatal(err)
			}
			comments := e.sim.Comments("acme", "r", n)
			if tt.wantEdit {
				if id != existing || len(comments) != 1 || !strings.HasPrefix(comments[0].Body, "new status") {
					t.Errorf("id %d (existing %d), %d comments: want the existing comment edited", id, existing, len(comments))
				}
				return
			}
			if id == existing || len(comments) != 2 {
				t.Fatalf("id %d (existing %d), %d comments: want a new comment", id, existing, len(comments))
			}
			if comments[0].Body != before || !strings.HasPrefix(comments[1].Body, "new status") || comments[1].Author != e.sim.BotLogin() {
				t.Errorf("comments %+v: want the first untouched and the bot's new one second", comments)
			}
		})
	}
}

// TestCacheTreeServesReadTree: files put in the tree cache from elsewhere
// (the replicas' shared cache) are what ReadTree and CachedTree answer by
// SHA, with no request; refs that are not full SHAs are never cached.
func TestCacheTreeServesReadTree(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	sha := strings.Repeat("ab", 20)
	if _, ok := e.client.CachedTree("acme", "golden-paths", sha); ok {
		t.Fatal("an empty cache answered")
	}
	e.client.CacheTree("acme", "golden-paths", strings.ToUpper(sha), map[string]File{"a.txt": {Data: []byte("a"), Mode: 0o644}})
	e.client.CacheTree("acme", "golden-paths", "main", map[string]File{"b.txt": {Data: []byte("b")}})
	e.requests()
	files, ok := e.client.CachedTree("ACME", "golden-paths", sha)
	if !ok || string(files["a.txt"].Data) != "a" || len(files) != 1 {
		t.Fatalf("CachedTree = %v, %v", files, ok)
	}
	files["a.txt"] = File{} // the caller's map: must not reach the cache
	got, resolved, err := e.client.ReadTree(ctx, "acme", "golden-paths", sha)
	if err != nil || resolved != sha || string(got["a.txt"].Data) != "a" {
		t.Fatalf("ReadTree = %v, %s, %v", got, resolved, err)
	}
	if _, ok := e.client.CachedTree("acme", "golden-paths", "main"); ok {
		t.Error("a branch name was cached as if it were a commit")
	}
	if _, ok := e.client.CachedTree("acme", "other", sha); ok {
		t.Error("another repository's files were served by SHA")
	}
	if req := e.requests(); total(req) != 0 {
		t.Errorf("cached reads made requests: %v", req)
	}
}

// TestCloseWithLabels: one PATCH sets the label set and closes as completed.
func TestCloseWithLabels(t *testing.T) {
	e := newSimEnv(t, "acme", false)
	ctx := context.Background()
	if err := e.sim.CreateRepo("acme", "golden-paths", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"goldenpath", "goldenpath:needs-changes", "goldenpath:created"} {
		if err := e.sim.CreateLabel("acme", "golden-paths", l, "ededed", ""); err != nil {
			t.Fatal(err)
		}
	}
	n, err := e.sim.OpenIssue("acme", "golden-paths", "alice", "New service", "body", []string{"goldenpath", "goldenpath:needs-changes"})
	if err != nil {
		t.Fatal(err)
	}
	e.requests()
	for range 2 { // a repeat changes nothing
		if err := e.client.CloseWithLabels(ctx, "acme", "golden-paths", n, "completed", []string{"goldenpath", "goldenpath:created"}); err != nil {
			t.Fatal(err)
		}
	}
	sameCounts(t, "close with labels ×2", e.requests(), map[string]int{"PATCH /repos/{owner}/{repo}/issues/{issue_number}": 2})
	is, _, err := e.client.gh.Issues.Get(ctx, "acme", "golden-paths", n)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, l := range is.Labels {
		labels = append(labels, l.GetName())
	}
	sort.Strings(labels)
	if is.GetState() != "closed" || is.GetStateReason() != "completed" || fmt.Sprint(labels) != "[goldenpath goldenpath:created]" {
		t.Errorf("issue: state %s (%s), labels %v", is.GetState(), is.GetStateReason(), labels)
	}
}
