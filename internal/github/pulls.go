package github

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// PR is a pull request as the upgrade workflow needs it.
type PR struct {
	Number   int
	NodeID   string // GraphQL global ID, for SetPRDraft
	State    string // "open" or "closed"
	Merged   bool
	Draft    bool
	Title    string
	Body     string
	HeadRef  string
	HeadSHA  string
	BaseRef  string
	HTMLURL  string
	Labels   []string
	ClosedAt time.Time
	MergedAt time.Time
}

func prFrom(p *gh.PullRequest) *PR {
	out := &PR{
		Number:   p.GetNumber(),
		NodeID:   p.GetNodeID(),
		State:    p.GetState(),
		Merged:   p.GetMerged() || p.MergedAt != nil,
		Draft:    p.GetDraft(),
		Title:    p.GetTitle(),
		Body:     p.GetBody(),
		HeadRef:  p.GetHead().GetRef(),
		HeadSHA:  p.GetHead().GetSHA(),
		BaseRef:  p.GetBase().GetRef(),
		HTMLURL:  p.GetHTMLURL(),
		ClosedAt: p.GetClosedAt().Time,
		MergedAt: p.GetMergedAt().Time,
	}
	for _, l := range p.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	return out
}

// FindPR returns the newest pull request (open or closed) from headBranch of
// owner/repo, or nil if there is none. One request.
func (c *Client) FindPR(ctx context.Context, owner, repo, headBranch string) (*PR, error) {
	prs, _, err := c.gh.PullRequests.List(ctx, owner, repo, &gh.PullRequestListOptions{
		State: "all", Head: owner + ":" + headBranch, Sort: "created", Direction: "desc",
		ListOptions: gh.ListOptions{PerPage: 1},
	})
	if err != nil {
		return nil, fmt.Errorf("finding the pull request from %s in %s/%s: %w", headBranch, owner, repo, classify(err))
	}
	if len(prs) == 0 {
		return nil, nil
	}
	return prFrom(prs[0]), nil
}

// NewPR describes a pull request to open.
type NewPR struct {
	Title, Body string
	Head, Base  string // branch names
	Draft       bool
}

// CreatePR opens a pull request. Not repeated on an ambiguous failure: GitHub
// refuses a second open PR for the same head and base (ErrAlreadyExists), and
// the caller's next attempt finds the first with FindPR.
func (c *Client) CreatePR(ctx context.Context, owner, repo string, p NewPR) (*PR, error) {
	made, _, err := c.gh.PullRequests.Create(ctx, owner, repo, &gh.NewPullRequest{
		Title: gh.String(p.Title), Body: gh.String(p.Body), Head: gh.String(p.Head), Base: gh.String(p.Base), Draft: gh.Bool(p.Draft),
	})
	if err != nil {
		return nil, fmt.Errorf("opening a pull request from %s in %s/%s: %w", p.Head, owner, repo, classify(err))
	}
	return prFrom(made), nil
}

// PRUpdate holds the fields to change; nil leaves a field as it is. (Draft
// state cannot be changed through REST: SetPRDraft does it through GraphQL.)
type PRUpdate struct {
	Title, Body *string
	State       *string // "open" or "closed"
}

// UpdatePR edits a pull request. Setting given values is safe to repeat.
func (c *Client) UpdatePR(ctx context.Context, owner, repo string, number int, u PRUpdate) (*PR, error) {
	edited, _, err := c.gh.PullRequests.Edit(retrySafe(ctx), owner, repo, number, &gh.PullRequest{Title: u.Title, Body: u.Body, State: u.State})
	if err != nil {
		return nil, fmt.Errorf("editing pull request %s/%s#%d: %w", owner, repo, number, classify(err))
	}
	return prFrom(edited), nil
}

// Commit is one commit of a comparison.
type Commit struct {
	SHA            string
	Message        string
	Parents        []string
	AuthorLogin    string // GitHub account, "" if the email maps to none
	CommitterLogin string
	AuthorEmail    string
	AuthorName     string
}

// BranchCommits lists the commits on head that base lacks (GET compare
// base...head), oldest first: who pushed to a bot's branch. One request for up
// to 250 commits, as GitHub's compare returns.
func (c *Client) BranchCommits(ctx context.Context, owner, repo, base, head string) ([]Commit, error) {
	wrap := func(err error) error {
		return fmt.Errorf("comparing %s...%s in %s/%s: %w", base, head, owner, repo, err)
	}
	// Built here rather than by go-github, which escapes the slash of
	// goldenpath/upgrade-x as %2F; GitHub's own URLs keep it.
	u := fmt.Sprintf("repos/%s/%s/compare/%s...%s?per_page=250", url.PathEscape(owner), url.PathEscape(repo), escapeRef(base), escapeRef(head))
	req, err := c.gh.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, wrap(err)
	}
	var cmp gh.CommitsComparison
	if _, err := c.gh.Do(ctx, req, &cmp); err != nil {
		return nil, wrap(classify(err))
	}
	out := make([]Commit, 0, len(cmp.Commits))
	for _, rc := range cmp.Commits {
		cm := Commit{
			SHA:            rc.GetSHA(),
			Message:        rc.GetCommit().GetMessage(),
			AuthorLogin:    rc.GetAuthor().GetLogin(),
			CommitterLogin: rc.GetCommitter().GetLogin(),
			AuthorEmail:    rc.GetCommit().GetAuthor().GetEmail(),
			AuthorName:     rc.GetCommit().GetAuthor().GetName(),
		}
		for _, p := range rc.Parents {
			cm.Parents = append(cm.Parents, p.GetSHA())
		}
		out = append(out, cm)
	}
	return out, nil
}

// escapeRef escapes each segment of a ref name, keeping its slashes.
func escapeRef(ref string) string {
	segs := strings.Split(ref, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
