package github

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
)

// TreeEntry is one file of a Git tree as the trees API lists it: its blob
// SHA (no content) and mode string ("100644", "100755", "120000").
type TreeEntry struct {
	SHA  string
	Mode string
}

// ListTree lists every file (blob) of the tree of commit (or tree) sha,
// recursively, with their blob SHAs: one request, whatever the number of
// files. A listing GitHub truncated (over 100,000 entries or 7 MB) is an
// error rather than a silently partial tree.
func (c *Client) ListTree(ctx context.Context, owner, repo, sha string) (map[string]TreeEntry, error) {
	tree, _, err := c.gh.Git.GetTree(ctx, owner, repo, sha, true)
	if err != nil {
		return nil, fmt.Errorf("listing the tree of %s/%s at %s: %w", owner, repo, sha, classify(err))
	}
	if tree.GetTruncated() {
		return nil, fmt.Errorf("listing the tree of %s/%s at %s: GitHub truncated the listing (too many files)", owner, repo, sha)
	}
	out := make(map[string]TreeEntry, len(tree.Entries))
	for _, e := range tree.Entries {
		if e.GetType() == "blob" {
			out[e.GetPath()] = TreeEntry{SHA: e.GetSHA(), Mode: e.GetMode()}
		}
	}
	return out, nil
}

// GetBlob reads one blob's bytes by SHA: one request.
func (c *Client) GetBlob(ctx context.Context, owner, repo, sha string) ([]byte, error) {
	b, _, err := c.gh.Git.GetBlob(ctx, owner, repo, sha)
	if err != nil {
		return nil, fmt.Errorf("reading blob %s of %s/%s: %w", sha, owner, repo, classify(err))
	}
	if b.GetEncoding() != "base64" {
		return []byte(b.GetContent()), nil
	}
	data, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(b.GetContent(), "\n", ""))
	if err != nil {
		return nil, fmt.Errorf("decoding blob %s of %s/%s: %w", sha, owner, repo, err)
	}
	return data, nil
}
