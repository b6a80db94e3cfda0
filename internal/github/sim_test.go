package github

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
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
