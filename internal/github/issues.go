package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// Label is a repository label.
type Label struct {
	Name, Color, Description string
}

// Marker is the hidden HTML comment that names one of the bot's comments, so
// it is found and edited rather than posted twice.
func Marker(name string) string { return "<!-- goldenpath:" + name + " -->" }

// UpsertComment keeps exactly one comment of this App carrying the marker on
// issue (or pull request) number: edited if found (not at all if already
// equal), created otherwise. Comments by people or other Apps that carry the
// marker are ignored. The marker is appended to body if body lacks it.
// Requests: the comment pages, plus one write unless nothing changed.
func (c *Client) UpsertComment(ctx context.Context, owner, repo string, number int, marker, body string) (int64, error) {
	wrap := func(err error) error {
		return fmt.Errorf("writing the %s comment on %s/%s#%d: %w", marker, owner, repo, number, err)
	}
	tag := Marker(marker)
	if !strings.Contains(body, tag) {
		body = strings.TrimRight(body, "\n") + "\n\n" + tag + "\n"
	}
	path := fmt.Sprintf("repos/%s/%s/issues/%d/comments", url.PathEscape(owner), url.PathEscape(repo), number)
	for page := 1; ; {
		// Listed raw: go-github's IssueComment lacks performed_via_github_app,
		// which is what tells this App's comments from another App's.
		req, err := c.gh.NewRequest(http.MethodGet, fmt.Sprintf("%s?per_page=100&page=%d", path, page), nil)
		if err != nil {
			return 0, wrap(err)
		}
		var comments []listedComment
		resp, err := c.gh.Do(ctx, req, &comments)
		if err != nil {
			return 0, wrap(fmt.Errorf("listing comments: %w", classify(err)))
		}
		for _, cm := range comments {
			// Only this App's own comment: a person or another App quoting the
			// marker does not own the thread, and editing their comment would
			// answer 403 on every attempt.
			if !strings.Contains(cm.Body, tag) || !c.ownComment(cm) {
				continue
			}
			if cm.Body == body {
				return cm.ID, nil
			}
			// Editing to a given body is idempotent: safe to repeat.
			if _, _, err := c.gh.Issues.EditComment(retrySafe(ctx), owner, repo, cm.ID, &gh.IssueComment{Body: gh.String(body)}); err != nil {
				return 0, wrap(fmt.Errorf("editing comment %d: %w", cm.ID, classify(err)))
			}
			return cm.ID, nil
		}
		if resp.NextPage == 0 {
			break
		}
		page = resp.NextPage
	}
	// Not retried on an ambiguous failure (it could post twice): the caller's
	// next attempt lists again and finds it if it was made.
	cm, _, err := c.gh.Issues.CreateComment(ctx, owner, repo, number, &gh.IssueComment{Body: gh.String(body)})
	if err != nil {
		return 0, wrap(fmt.Errorf("creating it: %w", classify(err)))
	}
	return cm.GetID(), nil
}

// listedComment is the part of an issue comment UpsertComment reads.
type listedComment struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
	User struct {
		Login string `json:"login"`
		Type  string `json:"type"`
	} `json:"user"`
	// PerformedViaGithubApp is set on what an App did; null for people.
	PerformedViaGithubApp *struct {
		ID   int64  `json:"id"`
		Slug string `json:"slug"`
	} `json:"performed_via_github_app"`
}

// ownComment reports whether this App wrote cm: GitHub names the App in
// performed_via_github_app, and the author is the App's bot user
// "<app-slug>[bot]".
func (c *Client) ownComment(cm listedComment) bool {
	via := cm.PerformedViaGithubApp
	return via != nil && via.ID == c.appID && via.Slug != "" &&
		strings.EqualFold(cm.User.Type, "Bot") && strings.EqualFold(cm.User.Login, via.Slug+"[bot]")
}

// AddLabels adds labels to an issue or pull request (labels that do not exist
// in the repository are created by GitHub with a default color).
func (c *Client) AddLabels(ctx context.Context, owner, repo string, number int, labels []string) error {
	if len(labels) == 0 {
		return nil
	}
	wrap := func(err error) error {
		return fmt.Errorf("adding labels %s to %s/%s#%d: %w", strings.Join(labels, ", "), owner, repo, number, err)
	}
	// The {"labels": [...]} body GitHub recommends (go-github sends a bare array).
	req, err := c.gh.NewRequest(http.MethodPost, fmt.Sprintf("repos/%s/%s/issues/%d/labels", url.PathEscape(owner), url.PathEscape(repo), number),
		map[string][]string{"labels": labels})
	if err != nil {
		return wrap(err)
	}
	// Adding a label twice leaves it added once: safe to repeat.
	if _, err := c.gh.Do(retrySafe(ctx), req, nil); err != nil {
		return wrap(classify(err))
	}
	return nil
}

// RemoveLabel removes a label from an issue; a label that is not there is fine.
func (c *Client) RemoveLabel(ctx context.Context, owner, repo string, number int, label string) error {
	_, err := c.gh.Issues.RemoveLabelForIssue(ctx, owner, repo, number, label)
	if err = classify(err); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("removing label %s from %s/%s#%d: %w", label, owner, repo, number, err)
	}
	return nil
}

// EnsureLabels creates the labels missing from the repository (by name,
// case-insensitively, as GitHub compares them). Existing labels are left as
// their maintainers styled them. Requests: the label pages plus one per
// missing label.
func (c *Client) EnsureLabels(ctx context.Context, owner, repo string, labels []Label) error {
	have := map[string]bool{}
	opts := &gh.ListOptions{PerPage: 100}
	for {
		page, resp, err := c.gh.Issues.ListLabels(ctx, owner, repo, opts)
		if err != nil {
			return fmt.Errorf("listing the labels of %s/%s: %w", owner, repo, classify(err))
		}
		for _, l := range page {
			have[strings.ToLower(l.GetName())] = true
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	for _, l := range labels {
		if have[strings.ToLower(l.Name)] {
			continue
		}
		spec := &gh.Label{Name: gh.String(l.Name), Color: gh.String(strings.TrimPrefix(l.Color, "#"))}
		if l.Description != "" {
			spec.Description = gh.String(l.Description)
		}
		// A label is unique by name: a repeat answers 422 already_exists, tolerated.
		_, _, err := c.gh.Issues.CreateLabel(retrySafe(ctx), owner, repo, spec)
		if err = classify(err); err != nil && !errors.Is(err, ErrAlreadyExists) {
			return fmt.Errorf("creating label %s in %s/%s: %w", l.Name, owner, repo, err)
		}
		have[strings.ToLower(l.Name)] = true
	}
	return nil
}

// CloseIssue closes an issue with a state reason ("completed" or "not_planned").
func (c *Client) CloseIssue(ctx context.Context, owner, repo string, number int, reason string) error {
	req := &gh.IssueRequest{State: gh.String("closed")}
	if reason != "" {
		req.StateReason = gh.String(reason)
	}
	if _, _, err := c.gh.Issues.Edit(retrySafe(ctx), owner, repo, number, req); err != nil {
		return fmt.Errorf("closing %s/%s#%d: %w", owner, repo, number, classify(err))
	}
	return nil
}

// CloseWithLabels closes an issue with a state reason and sets its labels
// to exactly labels, in one request (PATCH /repos/{o}/{r}/issues/{n} takes
// labels, state and state_reason together): one write instead of adding
// labels and closing apart, which matters under GitHub's secondary limits on
// content-creating requests.
//
// The trade-off: labels replaces the issue's whole set, so the caller builds
// it from the labels it last read (the webhook's). A label someone adds
// between that read and this write is lost. For a request being closed as
// done that window is short and the loss harmless; callers that cannot
// accept it use AddLabels and CloseIssue. Setting the same labels and state
// again changes nothing: safe to repeat.
func (c *Client) CloseWithLabels(ctx context.Context, owner, repo string, number int, reason string, labels []string) error {
	if labels == nil {
		labels = []string{} // an empty set, not "leave the labels alone"
	}
	req := &gh.IssueRequest{State: gh.String("closed"), Labels: &labels}
	if reason != "" {
		req.StateReason = gh.String(reason)
	}
	if _, _, err := c.gh.Issues.Edit(retrySafe(ctx), owner, repo, number, req); err != nil {
		return fmt.Errorf("closing %s/%s#%d with labels %s: %w", owner, repo, number, strings.Join(labels, ", "), classify(err))
	}
	return nil
}

// Issue is an issue as the dashboard needs it.
type Issue struct {
	Number  int
	Title   string
	Body    string
	State   string
	HTMLURL string
	Labels  []string
}

// GetIssue reads one issue (its state and labels, to tell what is already
// done before writing).
func (c *Client) GetIssue(ctx context.Context, owner, repo string, number int) (*Issue, error) {
	is, _, err := c.gh.Issues.Get(ctx, owner, repo, number)
	if err != nil {
		return nil, fmt.Errorf("reading %s/%s#%d: %w", owner, repo, number, classify(err))
	}
	return issueFrom(is), nil
}

// IssueSpec is the wanted state of an issue found by its exact title.
type IssueSpec struct {
	Title  string
	Body   string
	Labels []string // set on create; the first one also narrows the search
}

// CreateOrUpdateIssueByTitle keeps one open issue titled spec.Title (the
// fleet dashboard): the oldest such issue is edited (and reopened) if its body
// differs, else one is created. Requests: the issue pages (narrowed by the
// first label), plus at most one write.
func (c *Client) CreateOrUpdateIssueByTitle(ctx context.Context, owner, repo string, spec IssueSpec) (*Issue, error) {
	wrap := func(err error) error {
		return fmt.Errorf("writing issue %q in %s/%s: %w", spec.Title, owner, repo, err)
	}
	opts := &gh.IssueListByRepoOptions{State: "all", Sort: "created", Direction: "asc", ListOptions: gh.ListOptions{PerPage: 100}}
	if len(spec.Labels) > 0 {
		opts.Labels = spec.Labels[:1]
	}
	var found *gh.Issue
	for found == nil {
		page, resp, err := c.gh.Issues.ListByRepo(ctx, owner, repo, opts)
		if err != nil {
			return nil, wrap(fmt.Errorf("listing issues: %w", classify(err)))
		}
		for _, is := range page {
			if !is.IsPullRequest() && is.GetTitle() == spec.Title {
				found = is
				break
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if found == nil {
		labels := spec.Labels
		if labels == nil {
			labels = []string{}
		}
		is, _, err := c.gh.Issues.Create(ctx, owner, repo, &gh.IssueRequest{Title: gh.String(spec.Title), Body: gh.String(spec.Body), Labels: &labels})
		if err != nil {
			return nil, wrap(classify(err))
		}
		return issueFrom(is), nil
	}
	if found.GetBody() == spec.Body && found.GetState() == "open" {
		return issueFrom(found), nil
	}
	is, _, err := c.gh.Issues.Edit(retrySafe(ctx), owner, repo, found.GetNumber(), &gh.IssueRequest{Body: gh.String(spec.Body), State: gh.String("open")})
	if err != nil {
		return nil, wrap(classify(err))
	}
	return issueFrom(is), nil
}

func issueFrom(is *gh.Issue) *Issue {
	labels := make([]string, 0, len(is.Labels))
	for _, l := range is.Labels {
		labels = append(labels, l.GetName())
	}
	return &Issue{Number: is.GetNumber(), Title: is.GetTitle(), Body: is.GetBody(), State: is.GetState(), HTMLURL: is.GetHTMLURL(), Labels: labels}
}
