package app

import (
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/upgrade"
	"github.com/goldenpath-dev/goldenpath/internal/webhook"
)

// relevance tells the webhook intake which deliveries of the routed events
// may concern a workflow; the others are answered without a job. It errs on
// the side of queueing: each rule only drops what the handlers in routes.go
// are sure to ignore.
//   - issues, issue_comment: requests, approvals, /retry and the fleet
//     dashboard all live in the templates repository.
//   - push: in the templates repository anything (version tags, and pushes
//     that may add a template and so its labels); elsewhere only a push to
//     the default branch (its .goldenpath.yml may have changed).
//   - pull_request: only goldenpath's own upgrade branches.
//
// Installation, repository and release deliveries are rare and always queued.
func relevance(isTemplatesRepo func(repo string) bool) webhook.Relevant {
	return func(event string, s webhook.Scope) bool {
		switch event {
		case "issues", "issue_comment":
			return isTemplatesRepo(s.Repo)
		case "push":
			return isTemplatesRepo(s.Repo) || (!s.Deleted && s.DefaultBranch != "" && s.Ref == "refs/heads/"+s.DefaultBranch)
		case "pull_request":
			return strings.HasPrefix(s.HeadRef, upgrade.BranchPrefix)
		}
		return true
	}
}
