package apispec

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"testing"

	"github.com/google/go-github/v62/github"
)

// examples answers every request with the example GitHub's description
// gives for the operation's success response, so the requests the real
// go-github client builds can be checked without a simulator.
func examples(s *Spec) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := *r.URL
		if p := u.EscapedPath(); len(p) > len(apiPrefix) && p[:len(apiPrefix)+1] == apiPrefix+"/" {
			u.RawPath = p[len(apiPrefix):]
			u.Path, _ = url.PathUnescape(u.RawPath)
		}
		rr := r.Clone(r.Context())
		rr.URL = &u
		route, _ := s.api.router.route(s.api.doc, rr)
		if route == nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`))
			return
		}
		codes := []string{}
		for code := range route.Operation.Responses.Map() {
			if code[0] == '2' || code == "302" {
				codes = append(codes, code)
			}
		}
		sort.Strings(codes)
		resp := route.Operation.Responses.Value(codes[0]).Value
		if codes[0] == "302" {
			w.Header().Set("Location", "https://codeload.example/archive")
			w.WriteHeader(http.StatusFound)
			return
		}
		status := map[string]int{"200": 200, "201": 201, "204": 204}[codes[0]]
		mt := resp.Content.Get("application/json")
		if mt == nil {
			w.WriteHeader(status)
			return
		}
		var body any
		for _, ex := range mt.Examples {
			body = ex.Value.Value
			break
		}
		b, _ := json.Marshal(body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		w.Write(b)
	})
}

// TestGoGitHubRequests checks that the requests go-github v62 builds for the
// calls the bot makes are ones GitHub's description accepts, through the
// Transport, with a GHES base URL so the /api/v3 prefix is exercised too.
func TestGoGitHubRequests(t *testing.T) {
	s := Load(t)
	srv := httptest.NewServer(examples(s))
	defer srv.Close()
	client, err := github.NewClient(&http.Client{Transport: s.Transport(nil)}).WithEnterpriseURLs(srv.URL, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sha := "aa218f56b14c9653891f9e74264a383fa43fefbd"
	calls := []struct {
		op   string
		call func() error
	}{
		{"git/create-ref", func() error {
			_, _, err := client.Git.CreateRef(ctx, "o", "r", &github.Reference{Ref: github.String("refs/heads/feature/x"), Object: &github.GitObject{SHA: &sha}})
			return err
		}},
		{"git/get-ref", func() error { _, _, err := client.Git.GetRef(ctx, "o", "r", "heads/feature/x"); return err }},
		{"git/update-ref", func() error {
			_, _, err := client.Git.UpdateRef(ctx, "o", "r", &github.Reference{Ref: github.String("heads/feature/x"), Object: &github.GitObject{SHA: &sha}}, true)
			return err
		}},
		{"git/create-blob", func() error {
			_, _, err := client.Git.CreateBlob(ctx, "o", "r", &github.Blob{Content: github.String("hi"), Encoding: github.String("utf-8")})
			return err
		}},
		{"git/create-tree", func() error {
			_, _, err := client.Git.CreateTree(ctx, "o", "r", sha, []*github.TreeEntry{{Path: github.String("a/b.txt"), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String("x")}})
			return err
		}},
		{"repos/get-content", func() error {
			_, _, _, err := client.Repositories.GetContents(ctx, "o", "r", "dir/a.txt", &github.RepositoryContentGetOptions{Ref: "main"})
			return err
		}},
		{"repos/download-tarball-archive", func() error {
			_, _, err := client.Repositories.GetArchiveLink(ctx, "o", "r", github.Tarball, &github.RepositoryContentGetOptions{Ref: "v1.2.0"}, 0)
			return err
		}},
		{"pulls/list", func() error {
			_, _, err := client.PullRequests.List(ctx, "o", "r", &github.PullRequestListOptions{State: "open", Head: "o:goldenpath/upgrade-v2", ListOptions: github.ListOptions{PerPage: 100}})
			return err
		}},
		{"pulls/create", func() error {
			_, _, err := client.PullRequests.Create(ctx, "o", "r", &github.NewPullRequest{Title: github.String("t"), Head: github.String("b"), Base: github.String("main"), Body: github.String("x")})
			return err
		}},
		{"issues/create-comment", func() error {
			_, _, err := client.Issues.CreateComment(ctx, "o", "r", 1, &github.IssueComment{Body: github.String("hello")})
			return err
		}},
		{"repos/create-in-org", func() error {
			_, _, err := client.Repositories.Create(ctx, "org", &github.Repository{Name: github.String("svc"), Private: github.Bool(true), AutoInit: github.Bool(true)})
			return err
		}},
		{"teams/get-membership-for-user-in-org", func() error { _, _, err := client.Teams.GetTeamMembershipBySlug(ctx, "org", "team", "u"); return err }},
		{"apps/create-installation-access-token", func() error { _, _, err := client.Apps.CreateInstallationToken(ctx, 7, nil); return err }},
	}
	for _, c := range calls {
		// Decoding errors of the examples are go-github's business; the
		// check is of the traffic.
		_ = c.call()
	}
	rep := s.Report()
	for _, c := range calls {
		if rep.Count(c.op) != 1 {
			t.Errorf("operation %s seen %d times, want 1 (covered %v)", c.op, rep.Count(c.op), rep.Covered())
		}
	}
	// The description's own examples lack a few properties its schemas
	// require (has_discussions, requested_teams[].type); nothing else may
	// differ, and requests must be clean.
	missing := regexp.MustCompile(`^Error at "[^"]*": property "[a-z_]+" is missing$`)
	for _, v := range rep.Violations() {
		if v.Kind != KindResponse || !missing.MatchString(v.Message) {
			t.Errorf("%s", v)
		}
	}
}
