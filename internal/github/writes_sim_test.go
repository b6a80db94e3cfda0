package github

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	gh "github.com/google/go-github/v62/github"
)

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
