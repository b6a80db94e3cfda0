package app

import (
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/webhook"
)

func TestRelevance(t *testing.T) {
	relevant := relevance(func(repo string) bool { return strings.EqualFold(repo, "golden-paths") })
	main := func(repo, ref string) webhook.Scope {
		return webhook.Scope{Repo: repo, DefaultBranch: "main", Ref: ref}
	}
	tests := []struct {
		name  string
		event string
		scope webhook.Scope
		want  bool
	}{
		{"issue in the templates repository", "issues", webhook.Scope{Action: "opened", Repo: "golden-paths"}, true},
		{"issue, templates repository in other case", "issues", webhook.Scope{Action: "edited", Repo: "Golden-Paths"}, true},
		{"issue elsewhere", "issues", webhook.Scope{Action: "opened", Repo: "payments"}, false},
		{"comment in the templates repository", "issue_comment", webhook.Scope{Action: "created", Repo: "golden-paths"}, true},
		{"comment elsewhere", "issue_comment", webhook.Scope{Action: "created", Repo: "payments"}, false},
		{"version tag in the templates repository", "push", main("golden-paths", "refs/tags/go-service/v1.2.0"), true},
		{"any branch of the templates repository", "push", main("golden-paths", "refs/heads/add-template"), true},
		{"default branch of a fleet repository", "push", main("payments", "refs/heads/main"), true},
		{"another branch of a fleet repository", "push", main("payments", "refs/heads/feature"), false},
		{"goldenpath's branch of a fleet repository", "push", main("payments", "refs/heads/goldenpath/upgrade-go-service"), false},
		{"tag in a fleet repository", "push", main("payments", "refs/tags/v1.0.0"), false},
		{"default branch deleted", "push", webhook.Scope{Repo: "payments", DefaultBranch: "main", Ref: "refs/heads/main", Deleted: true}, false},
		{"push without a default branch", "push", webhook.Scope{Repo: "payments", Ref: "refs/heads/"}, false},
		{"goldenpath's upgrade pull request", "pull_request", webhook.Scope{Action: "closed", Repo: "payments", HeadRef: "goldenpath/upgrade-go-service"}, true},
		{"someone else's pull request", "pull_request", webhook.Scope{Action: "opened", Repo: "payments", HeadRef: "feature"}, false},
		{"installation", "installation", webhook.Scope{Action: "created"}, true},
		{"installation repositories", "installation_repositories", webhook.Scope{Action: "added"}, true},
		{"repository renamed", "repository", webhook.Scope{Action: "renamed", Repo: "payments"}, true},
		{"release elsewhere", "release", webhook.Scope{Action: "published", Repo: "payments"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := relevant(tt.event, tt.scope); got != tt.want {
				t.Errorf("relevant(%s, %+v) = %v, want %v", tt.event, tt.scope, got, tt.want)
			}
		})
	}
}
