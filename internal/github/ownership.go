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

// TeamID returns the id of team slug of org; found is false when the
// organisation has no such team. One request.
func (c *Client) TeamID(ctx context.Context, org, slug string) (id int64, found bool, err error) {
	t, _, err := c.gh.Teams.GetTeamBySlug(ctx, org, slug)
	switch err = classify(err); {
	case err == nil:
		return t.GetID(), true, nil
	case errors.Is(err, ErrNotFound):
		return 0, false, nil
	}
	return 0, false, fmt.Errorf("looking up team %s/%s: %w", org, slug, err)
}

// CommentOnCommit leaves body (with the marker) as a comment on commit sha,
// once: a bot's comment that already carries the marker there is left as it
// is. Requests: the comment pages, plus one write the first time.
func (c *Client) CommentOnCommit(ctx context.Context, owner, repo, sha, marker, body string) error {
	wrap := func(err error) error {
		return fmt.Errorf("commenting on commit %s of %s/%s: %w", sha, owner, repo, err)
	}
	tag := Marker(marker)
	if !strings.Contains(body, tag) {
		body = strings.TrimRight(body, "\n") + "\n\n" + tag + "\n"
	}
	path := fmt.Sprintf("repos/%s/%s/commits/%s/comments", url.PathEscape(owner), url.PathEscape(repo), url.PathEscape(sha))
	for page := 1; ; {
		req, err := c.gh.NewRequest(http.MethodGet, fmt.Sprintf("%s?per_page=100&page=%d", path, page), nil)
		if err != nil {
			return wrap(err)
		}
		var comments []listedComment
		resp, err := c.gh.Do(ctx, req, &comments)
		if err != nil {
			return wrap(fmt.Errorf("listing comments: %w", classify(err)))
		}
		for _, cm := range comments {
			if strings.Contains(cm.Body, tag) && strings.EqualFold(cm.User.Type, "Bot") && strings.HasSuffix(cm.User.Login, "[bot]") {
				return nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		page = resp.NextPage
	}
	if _, _, err := c.gh.Repositories.CreateComment(ctx, owner, repo, sha, &gh.RepositoryComment{Body: gh.String(body)}); err != nil {
		return wrap(classify(err))
	}
	return nil
}

// TreeVersion is a repository's tree read with TreeIfChanged: every file's
// blob SHA by path, and the ETag to send next time.
type TreeVersion struct {
	Blobs map[string]string
	ETag  string
}

// TreeIfChanged lists the files of owner/repo at ref (a branch) with their
// blob SHAs, sending the ETag of an earlier read: when the tree is the same
// GitHub answers 304, which does not count against the rate limit, and it
// returns (nil, false, nil). One request.
func (c *Client) TreeIfChanged(ctx context.Context, owner, repo, ref, etag string) (*TreeVersion, bool, error) {
	wrap := func(err error) error {
		return fmt.Errorf("listing the files of %s/%s at %s: %w", owner, repo, ref, err)
	}
	req, err := c.gh.NewRequest(http.MethodGet, fmt.Sprintf("repos/%s/%s/git/trees/%s?recursive=1", url.PathEscape(owner), url.PathEscape(repo), url.PathEscape(ref)), nil)
	if err != nil {
		return nil, false, wrap(err)
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	var tree gh.Tree
	resp, err := c.gh.Do(ctx, req, &tree)
	if resp != nil && resp.StatusCode == http.StatusNotModified {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, wrap(classify(err))
	}
	if tree.GetTruncated() {
		return nil, false, wrap(errors.New("GitHub truncated the tree listing (more than 100,000 entries)"))
	}
	v := &TreeVersion{Blobs: make(map[string]string, len(tree.Entries)), ETag: resp.Header.Get("ETag")}
	for _, e := range tree.Entries {
		if e.GetType() == "blob" {
			v.Blobs[e.GetPath()] = e.GetSHA()
		}
	}
	return v, true, nil
}
