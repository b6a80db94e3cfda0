package githubsim

import (
	"net/http"
	"strings"
	"time"
)

// The REST API cannot turn a pull request into a draft or back; GitHub's
// GraphQL API can. The simulator answers the two mutations that do it
// (convertPullRequestToDraft, markPullRequestReadyForReview) and nothing else.

func (s *Sim) graphql(c *call) {
	var body struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if !c.decode(&body) {
		return
	}
	var mutation string
	for _, m := range []string{"convertPullRequestToDraft", "markPullRequestReadyForReview"} {
		if strings.Contains(body.Query, m) {
			mutation = m
		}
	}
	if mutation == "" {
		c.json(http.StatusOK, obj{"errors": []obj{{"message": "the simulator answers only convertPullRequestToDraft and markPullRequestReadyForReview"}}})
		return
	}
	id := findPullRequestID(body.Query, body.Variables)
	for _, r := range s.repos {
		if c.inst != nil && r.owner != c.inst.account {
			continue
		}
		for _, is := range r.issues {
			if is.pr == nil || nodeID("PullRequest", is.id) != id {
				continue
			}
			draft := mutation == "convertPullRequestToDraft"
			if is.state != "open" {
				c.json(http.StatusOK, obj{"data": obj{mutation: nil}, "errors": []obj{{"message": "Pull request is closed", "type": "UNPROCESSABLE"}}})
				return
			}
			if is.pr.draft != draft {
				is.pr.draft = draft
				is.updatedAt = s.now().UTC().Truncate(time.Second)
				action := "ready_for_review"
				if draft {
					action = "converted_to_draft"
				}
				s.issueEvent(r, is, action, c.actor, nil)
			}
			c.json(http.StatusOK, obj{"data": obj{mutation: obj{"pullRequest": obj{"id": id, "isDraft": draft, "number": is.number}}}})
			return
		}
	}
	c.json(http.StatusOK, obj{"data": obj{mutation: nil}, "errors": []obj{{"type": "NOT_FOUND", "message": "Could not resolve to a node with the global id of '" + id + "'"}}})
}

// findPullRequestID takes pullRequestId from the variables (any nesting,
// e.g. {"input": {"pullRequestId": …}}) or from an inline literal.
func findPullRequestID(query string, vars map[string]any) string {
	var walk func(v any) string
	walk = func(v any) string {
		switch x := v.(type) {
		case map[string]any:
			if id, ok := x["pullRequestId"].(string); ok {
				return id
			}
			for _, y := range x {
				if id := walk(y); id != "" {
					return id
				}
			}
		}
		return ""
	}
	if id := walk(vars); id != "" {
		return id
	}
	if i := strings.Index(query, "pullRequestId:"); i >= 0 {
		rest := strings.TrimSpace(query[i+len("pullRequestId:"):])
		if strings.HasPrefix(rest, `"`) {
			if j := strings.Index(rest[1:], `"`); j >= 0 {
				return rest[1 : 1+j]
			}
		}
	}
	return ""
}
