package github

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

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
