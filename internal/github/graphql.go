package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// graphQLURL is the GraphQL endpoint beside the REST base: api.github.com
// serves it at /graphql, GitHub Enterprise Server at https://HOST/api/graphql
// (beside https://HOST/api/v3), and a base without /api/v3 (a simulator or a
// proxy) at base/graphql.
func graphQLURL(base string) string {
	base = strings.TrimRight(base, "/")
	if strings.HasSuffix(base, "/api/v3") {
		return strings.TrimSuffix(base, "/v3") + "/graphql"
	}
	return base + "/graphql"
}

// graphQLError is one entry of a GraphQL answer's "errors": GitHub answers
// 200 with them when a mutation fails.
type graphQLError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// SetPRDraft turns pull request number of owner/repo into a draft (draft
// true) or marks it ready for review (false). REST cannot: PATCH /pulls/{n}
// ignores "draft", so this is GitHub's GraphQL mutation
// convertPullRequestToDraft or markPullRequestReadyForReview on the pull
// request's node ID (PR.NodeID). An empty nodeID costs one GET to look it
// up. Setting a state the pull request already has is a no-op on GitHub, so
// the request is safe to repeat. It is a write: paced like the others.
func (c *Client) SetPRDraft(ctx context.Context, owner, repo string, number int, nodeID string, draft bool) error {
	what := "marking pull request %s/%s#%d ready for review: %w"
	mutation := "markPullRequestReadyForReview"
	if draft {
		what = "converting pull request %s/%s#%d to a draft: %w"
		mutation = "convertPullRequestToDraft"
	}
	wrap := func(err error) error { return fmt.Errorf(what, owner, repo, number, err) }
	if nodeID == "" {
		p, _, err := c.gh.PullRequests.Get(ctx, owner, repo, number)
		if err != nil {
			return wrap(classify(err))
		}
		if nodeID = p.GetNodeID(); nodeID == "" {
			return wrap(errors.New("GitHub gave the pull request no node ID"))
		}
	}
	// The input as a variable of GitHub's own input type: no ID is pasted
	// into the query text.
	inputType := strings.ToUpper(mutation[:1]) + mutation[1:] + "Input"
	q := map[string]any{
		"query":     "mutation($input: " + inputType + "!) { " + mutation + "(input: $input) { pullRequest { id isDraft } } }",
		"variables": map[string]any{"input": map[string]any{"pullRequestId": nodeID}},
	}
	req, err := c.gh.NewRequest(http.MethodPost, graphQLURL(c.app.cfg.BaseURL), q)
	if err != nil {
		return wrap(err)
	}
	var answer struct {
		Data map[string]*struct {
			PullRequest struct {
				ID      string `json:"id"`
				IsDraft bool   `json:"isDraft"`
			} `json:"pullRequest"`
		} `json:"data"`
		Errors []graphQLError `json:"errors"`
	}
	if _, err := c.gh.Do(retrySafe(ctx), req, &answer); err != nil {
		return wrap(classify(err))
	}
	if len(answer.Errors) > 0 {
		return wrap(graphQLFailure(answer.Errors))
	}
	res := answer.Data[mutation]
	if res == nil {
		return wrap(errors.New("GitHub answered neither data nor errors"))
	}
	if res.PullRequest.IsDraft != draft {
		return wrap(fmt.Errorf("GitHub answered isDraft %v", res.PullRequest.IsDraft))
	}
	return nil
}

// graphQLFailure maps GraphQL error types onto this package's kinds, as
// classify does for REST status codes.
func graphQLFailure(errs []graphQLError) error {
	out := &APIError{StatusCode: http.StatusOK}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Message)
		if out.kind != nil {
			continue
		}
		switch e.Type {
		case "NOT_FOUND":
			out.kind = ErrNotFound
		case "UNPROCESSABLE":
			// A closed pull request, for instance: its state refuses the change.
			out.kind = ErrConflict
		case "RATE_LIMITED":
			out.kind = ErrRateLimited
		}
	}
	out.Message = "graphql errors: " + strings.Join(msgs, "; ")
	out.err = errors.New(out.Message)
	return out
}
