package githubsim_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// The simulator's blob, tree and commit SHAs are exactly git's.
func TestObjectsHashLikeGit(t *testing.T) {
	gitBin := testenv.Tool(t, "git")
	e := newEnv(t, githubsim.Options{})
	if err := e.sim.CreateRepo("acme", "hash", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"README.md":            []byte("# hash\n"),
		"a/b/c.txt":            []byte("deep\n"),
		"a/b.txt":              []byte("sibling sorts before the b/ directory\n"),
		"a-b":                  []byte("dash sorts before a/\n"),
		"empty":                {},
		"bin/data.bin":         {0, 1, 2, 255},
		"z/unicode-ü.txt":      []byte("ü\n"),
		".github/workflow.yml": []byte("on: push\n"),
	}
	sha, err := e.sim.Push("acme", "hash", "main", files, "first commit\n", "alice")
	if err != nil {
		t.Fatal(err)
	}
	commits, err := e.sim.Commits("acme", "hash", "main")
	if err != nil || len(commits) != 1 {
		t.Fatalf("commits %v %v", commits, err)
	}

	dir := t.TempDir()
	run := func(stdin string, env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command(gitBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("", nil, "init", "-q")
	for p, b := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Blob: via the REST API, compared with git hash-object.
	ref, _, err := e.gh.Git.GetRef(ctx(t), "acme", "hash", "heads/main")
	if err != nil {
		t.Fatal(err)
	}
	tree, _, err := e.gh.Git.GetTree(ctx(t), "acme", "hash", commits[0].Tree, true)
	if err != nil {
		t.Fatal(err)
	}
	blobs := 0
	for _, te := range tree.Entries {
		if te.GetType() != "blob" {
			continue
		}
		want := run("", nil, "hash-object", filepath.FromSlash(te.GetPath()))
		if te.GetSHA() != want {
			t.Errorf("blob %s: sim %s, git %s", te.GetPath(), te.GetSHA(), want)
		}
		blobs++
	}
	if blobs != len(files) {
		t.Errorf("recursive tree lists %d blobs, want %d", blobs, len(files))
	}
	run("", nil, "add", "-A")
	wantTree := run("", nil, "write-tree")
	if commits[0].Tree != wantTree {
		t.Fatalf("tree: sim %s, git %s", commits[0].Tree, wantTree)
	}
	// Commit: same author, committer, date and message through commit-tree.
	c, _, err := e.gh.Git.GetCommit(ctx(t), "acme", "hash", ref.Object.GetSHA())
	if err != nil {
		t.Fatal(err)
	}
	date := c.Author.GetDate().Format("2006-01-02T15:04:05Z")
	env := []string{"GIT_AUTHOR_NAME=" + c.Author.GetName(), "GIT_AUTHOR_EMAIL=" + c.Author.GetEmail(), "GIT_AUTHOR_DATE=" + date,
		"GIT_COMMITTER_NAME=" + c.Committer.GetName(), "GIT_COMMITTER_EMAIL=" + c.Committer.GetEmail(), "GIT_COMMITTER_DATE=" + date, "TZ=UTC"}
	wantCommit := run("first commit\n", env, "commit-tree", wantTree)
	if sha != wantCommit || ref.Object.GetSHA() != wantCommit {
		t.Fatalf("commit: sim %s (ref %s), git %s", sha, ref.Object.GetSHA(), wantCommit)
	}
	// A second commit with a parent, made through the Git Data API.
	nt, _, err := e.gh.Git.CreateTree(ctx(t), "acme", "hash", wantTree, []*github.TreeEntry{
		{Path: github.String("a/b/c.txt"), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String("changed\n")},
		{Path: github.String("empty"), Mode: github.String("100644"), Type: github.String("blob")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a", "b", "c.txt"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("", nil, "rm", "-q", "-f", "empty")
	run("", nil, "add", "-A")
	wantTree2 := run("", nil, "write-tree")
	if nt.GetSHA() != wantTree2 {
		t.Fatalf("tree with base_tree, inline content and sha:null: sim %s, git %s", nt.GetSHA(), wantTree2)
	}
	when := github.Timestamp{Time: c.Author.GetDate().Time}
	author := &github.CommitAuthor{Name: github.String("Alice"), Email: github.String("alice@example.com"), Date: &when}
	nc, _, err := e.gh.Git.CreateCommit(ctx(t), "acme", "hash", &github.Commit{Message: github.String("second"), Tree: &github.Tree{SHA: nt.SHA},
		Parents: []*github.Commit{{SHA: github.String(wantCommit)}}, Author: author, Committer: author}, nil)
	if err != nil {
		t.Fatal(err)
	}
	env2 := []string{"GIT_AUTHOR_NAME=Alice", "GIT_AUTHOR_EMAIL=alice@example.com", "GIT_AUTHOR_DATE=" + date,
		"GIT_COMMITTER_NAME=Alice", "GIT_COMMITTER_EMAIL=alice@example.com", "GIT_COMMITTER_DATE=" + date, "TZ=UTC"}
	if want := run("second", env2, "commit-tree", wantTree2, "-p", wantCommit); nc.GetSHA() != want {
		t.Fatalf("commit with parent: sim %s, git %s", nc.GetSHA(), want)
	}
}

// Annotated tags hash like git's and their refs point at the tag object.
func TestAnnotatedTag(t *testing.T) {
	gitBin := testenv.Tool(t, "git")
	e := newEnv(t, githubsim.Options{})
	if err := e.sim.CreateRepo("acme", "tpl", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	sha, _ := e.sim.Push("acme", "tpl", "main", map[string][]byte{"a": []byte("1\n")}, "init", "alice")
	tagSHA, err := e.sim.AnnotatedTag("acme", "tpl", "go-service/v1.2.0", sha, "Release 1.2.0\n", "alice")
	if err != nil {
		t.Fatal(err)
	}
	ref, _, err := e.gh.Git.GetRef(ctx(t), "acme", "tpl", "tags/go-service/v1.2.0")
	if err != nil || ref.Object.GetType() != "tag" || ref.Object.GetSHA() != tagSHA {
		t.Fatalf("tag ref %v %v", ref, err)
	}
	tag, _, err := e.gh.Git.GetTag(ctx(t), "acme", "tpl", tagSHA)
	if err != nil || tag.Object.GetSHA() != sha || tag.GetMessage() != "Release 1.2.0\n" {
		t.Fatalf("tag %v %v", tag, err)
	}
	// Same object through git mktag.
	dir := t.TempDir()
	cmd := exec.Command(gitBin, "init", "-q", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	date := tag.Tagger.GetDate().Unix()
	text := "object " + sha + "\ntype commit\ntag go-service/v1.2.0\ntagger " + tag.Tagger.GetName() + " <" + tag.Tagger.GetEmail() + "> " +
		strconv.FormatInt(date, 10) + " +0000\n\nRelease 1.2.0\n"
	cmd = exec.Command(gitBin, "hash-object", "-t", "tag", "--stdin", "--literally")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != tagSHA {
		t.Fatalf("tag object: sim %s, git %s", tagSHA, got)
	}
	tags, _, err := e.gh.Repositories.ListTags(ctx(t), "acme", "tpl", nil)
	if err != nil || len(tags) != 1 || tags[0].GetCommit().GetSHA() != sha {
		t.Fatalf("tags list peels to the commit: %v %v", tags, err)
	}
}
