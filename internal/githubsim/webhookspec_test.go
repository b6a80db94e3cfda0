package githubsim_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/goldenpath-dev/goldenpath/internal/apispec"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

// Webhook deliveries are checked by apispec against
// @octokit/openapi-webhooks, GitHub's description of its webhooks: as the
// receiver sees them (the headers GitHub sends and the payload's schema).

// received is one delivery as the receiving server saw it.
type received struct {
	header http.Header
	body   []byte
}

func TestWebhookPayloadsMatchGitHubsDescription(t *testing.T) {
	hooks := apispec.LoadWebhooks(t)
	var mu sync.Mutex
	got := map[string]received{} // by X-GitHub-Delivery
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading a delivery: %v", err)
		}
		mu.Lock()
		got[r.Header.Get("X-GitHub-Delivery")] = received{header: r.Header.Clone(), body: body}
		mu.Unlock()
		w.WriteHeader(202)
	}))
	defer hook.Close()

	sim := githubsim.New(githubsim.Options{})
	srv := httptest.NewServer(validating(t, sim.Handler()))
	defer srv.Close()
	sim.SetWebhook(hook.URL, "s")
	sim.AddOrg("acme", "alice", "bob")
	inst := sim.Install("acme")
	gh := instClient(t, sim, srv.URL, inst)
	c := ctx(t)
	if err := sim.CreateRepo("acme", "svc", githubsim.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	_ = sim.AddInstallationRepos("acme", "svc")
	base, _ := sim.Push("acme", "svc", "main", map[string][]byte{"a": []byte("1\n")}, "one", "alice")
	_ = sim.Tag("acme", "svc", "v1.0.0", base)
	if _, err := sim.PublishRelease("acme", "svc", "v1.0.0", "v1.0.0", "notes", "alice", false); err != nil {
		t.Fatal(err)
	}
	_, _ = sim.Push("acme", "svc", "feature", map[string][]byte{"b": []byte("2\n")}, "two", "alice")
	n, _ := sim.OpenIssue("acme", "svc", "alice", "Issue", "body", []string{"bug"})
	body := "edited"
	_ = sim.EditIssue("acme", "svc", n, "alice", nil, &body)
	_, _ = sim.Comment("acme", "svc", n, "bob", "hi")
	cm, _, err := gh.Issues.CreateComment(c, "acme", "svc", n, &github.IssueComment{Body: github.String("bot")})
	if err != nil {
		t.Fatal(err)
	}
	_, _, _ = gh.Issues.EditComment(c, "acme", "svc", cm.GetID(), &github.IssueComment{Body: github.String("bot 2")})
	_, _, _ = gh.Issues.AddLabelsToIssue(c, "acme", "svc", n, []string{"question"})
	_, _ = gh.Issues.RemoveLabelForIssue(c, "acme", "svc", n, "question")
	_, _, _ = gh.Issues.Edit(c, "acme", "svc", n, &github.IssueRequest{State: github.String("closed"), StateReason: github.String("not_planned")})
	_ = sim.SetIssueState("acme", "svc", n, "alice", "open", "")
	_, _ = gh.Issues.DeleteComment(c, "acme", "svc", cm.GetID())
	pr, _, err := gh.PullRequests.Create(c, "acme", "svc", &github.NewPullRequest{Title: github.String("PR"), Head: github.String("feature"), Base: github.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	_, _, _ = gh.PullRequests.Edit(c, "acme", "svc", pr.GetNumber(), &github.PullRequest{Body: github.String("new body")})
	_, _, _ = gh.Issues.AddLabelsToIssue(c, "acme", "svc", pr.GetNumber(), []string{"bug"})
	_, _ = sim.Push("acme", "svc", "feature", map[string][]byte{"c": []byte("3\n")}, "three", "bob")
	_ = sim.ClosePR("acme", "svc", pr.GetNumber(), "alice")
	_ = sim.SetIssueState("acme", "svc", pr.GetNumber(), "alice", "open", "")
	if _, err := sim.MergePR("acme", "svc", pr.GetNumber(), "alice"); err != nil {
		t.Fatal(err)
	}
	_, _ = gh.Git.DeleteRef(c, "acme", "svc", "heads/feature")
	renameAndDeleteTeam(t, sim)
	sim.Uninstall("acme")
	sim.WaitDeliveries()

	seen := map[string]int{}
	mu.Lock()
	defer mu.Unlock()
	for _, d := range sim.Deliveries() {
		name := d.Event
		if d.Action != "" {
			name += "." + d.Action
		}
		seen[name]++
		if d.StatusCode != 202 {
			t.Errorf("%s delivered with status %d", name, d.StatusCode)
		}
		// The simulator's record must name what it sent.
		if err := hooks.Validate(d.Event, d.Action, d.Payload); err != nil {
			t.Errorf("%s as recorded: %v", name, err)
		}
		r, ok := got[d.ID]
		if !ok {
			t.Errorf("%s %s: not received", name, d.ID)
			continue
		}
		if ev := r.header.Get("X-GitHub-Event"); ev != d.Event {
			t.Errorf("%s %s: received as X-GitHub-Event %q", name, d.ID, ev)
		}
		if err := hooks.ValidateDelivery(r.header, r.body); err != nil {
			t.Errorf("%s as received: %v", name, err)
		}
	}
	var names []string
	for k := range seen {
		names = append(names, k)
	}
	sort.Strings(names)
	t.Logf("payload kinds checked: %d: %s", len(names), strings.Join(names, ", "))
	if len(names) < 20 {
		t.Errorf("only %d kinds of payload checked", len(names))
	}
}
