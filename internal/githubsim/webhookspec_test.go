package githubsim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// Webhook payloads are checked against @octokit/openapi-webhooks, GitHub's
// description of its webhooks (OpenAPI 3.1, which kin-openapi does not load,
// so a small JSON Schema walker here checks types, required properties,
// enums, nullability and the combinators).

type schemaDoc struct {
	Components struct {
		Schemas map[string]any `json:"schemas"`
	} `json:"components"`
}

type checker struct {
	doc schemaDoc
}

func (c *checker) resolve(s map[string]any) map[string]any {
	for i := 0; i < 20; i++ {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		next, _ := c.doc.Components.Schemas[name].(map[string]any)
		if next == nil {
			return s
		}
		s = next
	}
	return s
}

func typeOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "?"
}

// check returns the problems of v against schema s at path.
func (c *checker) check(s map[string]any, v any, path string) []string {
	s = c.resolve(s)
	var errs []string
	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			errs = append(errs, c.check(sub.(map[string]any), v, path)...)
		}
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if alts, ok := s[key].([]any); ok {
			var best []string
			matched := false
			for _, sub := range alts {
				e := c.check(sub.(map[string]any), v, path)
				if len(e) == 0 {
					matched = true
					break
				}
				if best == nil || len(e) < len(best) {
					best = e
				}
			}
			if !matched {
				errs = append(errs, best...)
			}
		}
	}
	if t, ok := s["type"]; ok {
		var types []string
		switch x := t.(type) {
		case string:
			types = []string{x}
		case []any:
			for _, y := range x {
				types = append(types, y.(string))
			}
		}
		if n, _ := s["nullable"].(bool); n {
			types = append(types, "null")
		}
		got := typeOf(v)
		okType := false
		for _, want := range types {
			if want == got || (want == "number" && got == "integer") {
				okType = true
			}
		}
		if !okType {
			return append(errs, fmt.Sprintf("%s: %s, want %v", path, got, types))
		}
	}
	if enum, ok := s["enum"].([]any); ok && v != nil {
		found := false
		for _, e := range enum {
			if e == v {
				found = true
			}
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s: %v not in %v", path, v, enum))
		}
	}
	if obj, ok := v.(map[string]any); ok {
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, has := obj[r.(string)]; !has {
					errs = append(errs, fmt.Sprintf("%s: missing %q", path, r))
				}
			}
		}
		if props, ok := s["properties"].(map[string]any); ok {
			for k, sub := range props {
				if val, has := obj[k]; has {
					errs = append(errs, c.check(sub.(map[string]any), val, path+"/"+k)...)
				}
			}
		}
	}
	if arr, ok := v.([]any); ok {
		if items, ok := s["items"].(map[string]any); ok {
			for i, it := range arr {
				errs = append(errs, c.check(items, it, fmt.Sprintf("%s/%d", path, i))...)
			}
		}
	}
	return errs
}

func TestWebhookPayloadsMatchGitHubsDescription(t *testing.T) {
	dir := testenv.NodeModule(t, "@octokit/openapi-webhooks")
	raw, err := os.ReadFile(filepath.Join(dir, "generated", "api.github.com.json"))
	if err != nil {
		t.Fatal(err)
	}
	ck := &checker{}
	if err := json.Unmarshal(raw, &ck.doc); err != nil {
		t.Fatal(err)
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(202) }))
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
	sim.Uninstall("acme")
	sim.WaitDeliveries()

	seen := map[string]int{}
	for _, d := range sim.Deliveries() {
		name := "webhook-" + strings.ReplaceAll(d.Event, "_", "-")
		if d.Action != "" {
			name += "-" + strings.ReplaceAll(d.Action, "_", "-")
		}
		schema, ok := ck.doc.Components.Schemas[name].(map[string]any)
		if !ok {
			t.Errorf("no schema %s in GitHub's webhook description", name)
			continue
		}
		var payload any
		if err := json.Unmarshal(d.Payload, &payload); err != nil {
			t.Fatal(err)
		}
		seen[name]++
		if errs := ck.check(schema, payload, ""); len(errs) > 0 {
			sort.Strings(errs)
			if len(errs) > 15 {
				errs = append(errs[:15], "…")
			}
			t.Errorf("%s does not match GitHub's description:\n  %s", name, strings.Join(errs, "\n  "))
		}
		if d.StatusCode != 202 {
			t.Errorf("%s delivered with status %d", name, d.StatusCode)
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
