package github

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	gh "github.com/google/go-github/v62/github"
)

// Repo is what the workflows need to know about a repository.
type Repo struct {
	ID            int64
	Owner, Name   string
	FullName      string
	DefaultBranch string
	HTMLURL       string
	Private       bool
	Visibility    string
	Description   string
	Topics        []string
	Archived      bool
	CreatedAt     time.Time
	// HeadSHA is the default branch's commit after CreateRepoWithFiles wrote it;
	// empty elsewhere.
	HeadSHA string
}

func repoFrom(r *gh.Repository) *Repo {
	return &Repo{
		ID:            r.GetID(),
		Owner:         r.GetOwner().GetLogin(),
		Name:          r.GetName(),
		FullName:      r.GetFullName(),
		DefaultBranch: r.GetDefaultBranch(),
		HTMLURL:       r.GetHTMLURL(),
		Private:       r.GetPrivate(),
		Visibility:    r.GetVisibility(),
		Archived:      r.GetArchived(),
		Description:   r.GetDescription(),
		Topics:        r.Topics,
		CreatedAt:     r.GetCreatedAt().Time,
	}
}

// RepoOptions shape a new repository.
type RepoOptions struct {
	// Visibility is "private" (default), "internal" or "public".
	Visibility  string
	Description string
	// Topics, if any, are set after the first commit (one more request).
	Topics []string
	// AdoptPristine: if the repository exists but holds nothing except GitHub's
	// auto-init commit, write the files into it rather than fail with
	// ErrAlreadyExists. An earlier attempt of the same request most likely made
	// it and stopped before its commit; only the caller can know that no one
	// else would create a repository by this name.
	AdoptPristine bool
}

// GetRepo reads one repository (ErrNotFound if it does not exist).
func (c *Client) GetRepo(ctx context.Context, owner, repo string) (*Repo, error) {
	r, _, err := c.gh.Repositories.Get(ctx, owner, repo)
	if err != nil {
		return nil, fmt.Errorf("reading repository %s/%s: %w", owner, repo, classify(err))
	}
	return repoFrom(r), nil
}

// CreateRepoWithFiles creates org/name holding files, all in its first commit
// (a root commit: GitHub's auto-init commit is replaced, not built upon).
//
// Requests: create (auto_init, so the Git Data API works), one tree with the
// text files inline, one commit, one ref update: 4, whatever the file count,
// plus one blob per binary file and one if Topics are set.
//
// If the repository already exists it is left untouched and returned with an
// error matching ErrAlreadyExists (see RepoOptions.AdoptPristine). If the
// create's answer is lost (5xx, broken connection), the repository is read
// back: missing → created once more; present and pristine → it is ours, the
// files are written.
func (c *Client) CreateRepoWithFiles(ctx context.Context, org, name string, opts RepoOptions, files map[string]File, message string) (*Repo, error) {
	wrap := func(err error) error { return fmt.Errorf("creating repository %s/%s: %w", org, name, err) }
	visibility := opts.Visibility
	if visibility == "" {
		visibility = "private"
	}
	spec := &gh.Repository{
		Name:        gh.String(name),
		Private:     gh.Bool(visibility != "public"),
		Visibility:  gh.String(visibility),
		Description: gh.String(opts.Description),
		AutoInit:    gh.Bool(true),
	}
	adopt := opts.AdoptPristine
	var repo *Repo
	for attempt := 1; repo == nil; attempt++ {
		created, _, err := c.gh.Repositories.Create(ctx, org, spec)
		c.limiter.touch(repoPath("/repos/" + org + "/" + name))
		if err == nil {
			repo = repoFrom(created)
			break
		}
		err = classify(err)
		var ae *APIError
		switch {
		case errors.Is(err, ErrAlreadyExists):
		case ctx.Err() == nil && (!errors.As(err, &ae) || ae.StatusCode >= 500):
			// The create may or may not have happened: read back before anything else.
			adopt = true
		default:
			return nil, wrap(err)
		}
		existing, gerr := c.GetRepo(ctx, org, name)
		switch {
		case errors.Is(gerr, ErrNotFound) && !errors.Is(err, ErrAlreadyExists) && attempt == 1:
			continue // it was not created: try once more
		case gerr != nil:
			return nil, wrap(fmt.Errorf("%w; then reading it back: %w", err, gerr))
		}
		if !adopt {
			return existing, wrap(err)
		}
		pristine, empty, perr := c.isPristine(ctx, existing)
		if perr != nil {
			return existing, wrap(perr)
		}
		if !pristine {
			return existing, wrap(fmt.Errorf("%w (and it has commits of its own)", alreadyExists(err)))
		}
		repo = existing
		if repo.DefaultBranch == "" {
			repo.DefaultBranch = "main"
		}
		if empty {
			// The Git Data API refuses an empty repository (409): a first commit
			// through the Contents API makes it usable; the root commit below replaces it.
			if err := c.bootstrap(ctx, repo, files, message); err != nil {
				return repo, wrap(err)
			}
		}
	}
	if repo.DefaultBranch == "" {
		repo.DefaultBranch = "main"
	}
	sha, err := c.commitTree(ctx, repo.Owner, repo.Name, "", "", toChanges(files), message)
	if err != nil {
		return repo, wrap(err)
	}
	if err := c.setRef(ctx, repo.Owner, repo.Name, repo.DefaultBranch, sha, true, false); err != nil {
		return repo, wrap(err)
	}
	repo.HeadSHA = sha
	if len(opts.Topics) > 0 {
		if err := c.SetTopics(ctx, repo.Owner, repo.Name, opts.Topics); err != nil {
			return repo, wrap(err)
		}
		repo.Topics = slices.Clone(opts.Topics)
	}
	return repo, nil
}

// alreadyExists keeps ErrAlreadyExists in the chain of an adoption refusal.
func alreadyExists(err error) error {
	if errors.Is(err, ErrAlreadyExists) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrAlreadyExists, err)
}

// isPristine: the default branch is missing (empty is then true), or holds
// one parentless commit that GitHub's auto_init made.
func (c *Client) isPristine(ctx context.Context, r *Repo) (pristine, empty bool, err error) {
	commits, _, err := c.gh.Repositories.ListCommits(ctx, r.Owner, r.Name, &gh.CommitsListOptions{
		SHA: r.DefaultBranch, ListOptions: gh.ListOptions{PerPage: 2}})
	err = classify(err)
	switch {
	case errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound):
		return true, true, nil // "Git Repository is empty."
	case err != nil:
		return false, false, fmt.Errorf("listing its commits: %w", err)
	case len(commits) == 0:
		return true, true, nil
	case len(commits) > 1 || len(commits[0].Parents) != 0:
		return false, false, nil
	}
	return strings.TrimSpace(commits[0].GetCommit().GetMessage()) == "Initial commit", false, nil
}

// bootstrap makes the first commit of an empty repository with one file.
func (c *Client) bootstrap(ctx context.Context, r *Repo, files map[string]File, message string) error {
	path, data := ".gitkeep", []byte{}
	for p, f := range files {
		if f.Mode&fs.ModeSymlink == 0 && (path == ".gitkeep" || p < path) {
			path, data = p, f.Data
		}
	}
	_, _, err := c.gh.Repositories.CreateFile(ctx, r.Owner, r.Name, path, &gh.RepositoryContentFileOptions{
		Message: gh.String(message), Content: data, Branch: gh.String(r.DefaultBranch)})
	if err != nil {
		return fmt.Errorf("making the first commit of the empty repository: %w", classify(err))
	}
	return nil
}

func toChanges(files map[string]File) map[string]*File {
	out := make(map[string]*File, len(files))
	for p, f := range files {
		out[p] = &f
	}
	return out
}

// CommitFiles writes changes (nil: delete the path) as one commit on top of
// baseSHA ("" for a root commit on an empty tree) and points branch at it,
// creating the branch if needed. Without force, a branch that moved elsewhere
// fails with ErrNotFastForward. Returns the new commit's SHA.
//
// Requests: read the base commit (for its tree), one tree, one commit, one
// ref write (two when the branch already exists: create, then update), plus a
// blob per binary file.
func (c *Client) CommitFiles(ctx context.Context, owner, repo, branch, baseSHA string, changes map[string]*File, message string, force bool) (string, error) {
	wrap := func(err error) error {
		return fmt.Errorf("committing %d files to %s/%s branch %s: %w", len(changes), owner, repo, branch, err)
	}
	baseTree := ""
	if baseSHA != "" {
		commit, _, err := c.gh.Git.GetCommit(ctx, owner, repo, baseSHA)
		if err != nil {
			return "", wrap(fmt.Errorf("reading base commit %s: %w", baseSHA, classify(err)))
		}
		baseTree = commit.GetTree().GetSHA()
	}
	sha, err := c.commitTree(ctx, owner, repo, baseTree, baseSHA, changes, message)
	if err != nil {
		return "", wrap(err)
	}
	if err := c.setRef(ctx, owner, repo, branch, sha, force, true); err != nil {
		return sha, wrap(err)
	}
	return sha, nil
}

// commitTree makes one tree (text inline, binaries as blobs) and one commit.
// Git objects are content-addressed, so these POSTs are safe to repeat.
func (c *Client) commitTree(ctx context.Context, owner, repo, baseTree, parent string, changes map[string]*File, message string) (string, error) {
	ctx = retrySafe(ctx)
	paths := make([]string, 0, len(changes))
	for p := range changes {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	entries := make([]*gh.TreeEntry, 0, len(paths))
	for _, p := range paths {
		f := changes[p]
		e := &gh.TreeEntry{Path: gh.String(p), Type: gh.String("blob")}
		switch {
		case f == nil: // deletion: "sha": null
			e.Mode = gh.String("100644")
		case utf8.Valid(f.Data) && !slices.Contains(f.Data, 0):
			e.Mode = gh.String(f.gitMode())
			e.Content = gh.String(string(f.Data))
		default:
			blob, _, err := c.gh.Git.CreateBlob(ctx, owner, repo, &gh.Blob{
				Content: gh.String(base64.StdEncoding.EncodeToString(f.Data)), Encoding: gh.String("base64")})
			if err != nil {
				return "", fmt.Errorf("creating the blob of %s: %w", p, classify(err))
			}
			e.Mode = gh.String(f.gitMode())
			e.SHA = blob.SHA
		}
		entries = append(entries, e)
	}
	tree, _, err := c.gh.Git.CreateTree(ctx, owner, repo, baseTree, entries)
	if err != nil {
		return "", fmt.Errorf("creating the tree: %w", classify(err))
	}
	commit := &gh.Commit{Message: gh.String(message), Tree: &gh.Tree{SHA: tree.SHA}}
	if parent != "" {
		commit.Parents = []*gh.Commit{{SHA: gh.String(parent)}}
	}
	made, _, err := c.gh.Git.CreateCommit(ctx, owner, repo, commit, nil)
	if err != nil {
		return "", fmt.Errorf("creating the commit: %w", classify(err))
	}
	return made.GetSHA(), nil
}

// setRef points refs/heads/branch at sha. createFirst: try creating the ref,
// and update it if it exists; else update only.
func (c *Client) setRef(ctx context.Context, owner, repo, branch, sha string, force, createFirst bool) error {
	// Setting a ref to a given SHA is idempotent: safe to repeat.
	ctx = retrySafe(ctx)
	ref := &gh.Reference{Ref: gh.String("refs/heads/" + branch), Object: &gh.GitObject{SHA: gh.String(sha)}}
	if createFirst {
		_, _, err := c.gh.Git.CreateRef(ctx, owner, repo, ref)
		err = classify(err)
		if !errors.Is(err, ErrAlreadyExists) {
			if err != nil {
				return fmt.Errorf("creating branch %s: %w", branch, err)
			}
			return nil
		}
	}
	ref.Ref = gh.String("heads/" + branch)
	_, _, err := c.gh.Git.UpdateRef(ctx, owner, repo, ref, force)
	err = classify(err)
	if !createFirst && refMissing(err) {
		// An auto-init branch GitHub has not written yet: create it instead.
		ref.Ref = gh.String("refs/heads/" + branch)
		if _, _, cerr := c.gh.Git.CreateRef(ctx, owner, repo, ref); cerr != nil {
			return fmt.Errorf("creating branch %s: %w", branch, classify(cerr))
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("moving branch %s to %s: %w", branch, sha, err)
	}
	return nil
}

// refMissing: GitHub answers 422 "Reference does not exist" (or 404) when
// updating a ref that is not there.
func refMissing(err error) bool {
	var ae *APIError
	return errors.Is(err, ErrNotFound) ||
		errors.As(err, &ae) && ae.StatusCode == http.StatusUnprocessableEntity && strings.Contains(strings.ToLower(ae.Message), "does not exist")
}

// GetFile reads one file through the Contents API: its bytes and blob SHA.
func (c *Client) GetFile(ctx context.Context, owner, repo, path, ref string) ([]byte, string, error) {
	wrap := func(err error) error {
		return fmt.Errorf("reading %s from %s/%s at %q: %w", path, owner, repo, ref, err)
	}
	file, dir, _, err := c.gh.Repositories.GetContents(ctx, owner, repo, path, &gh.RepositoryContentGetOptions{Ref: ref})
	if err != nil {
		return nil, "", wrap(classify(err))
	}
	if file == nil || dir != nil {
		return nil, "", wrap(fmt.Errorf("%w: it is a directory", ErrNotFound))
	}
	if file.GetType() != "" && file.GetType() != "file" {
		return nil, "", wrap(fmt.Errorf("%w: it is a %s, not a file", ErrNotFound, file.GetType()))
	}
	if file.GetEncoding() == "none" || (file.Content == nil && file.GetSize() > 0) {
		// Over 1 MB the Contents API leaves the content out: read the blob.
		data, _, err := c.gh.Git.GetBlobRaw(ctx, owner, repo, file.GetSHA())
		if err != nil {
			return nil, "", wrap(classify(err))
		}
		return data, file.GetSHA(), nil
	}
	content, err := file.GetContent()
	if err != nil {
		return nil, "", wrap(err)
	}
	return []byte(content), file.GetSHA(), nil
}

// Tag is a tag ref: its name without refs/tags/ and the object it points to
// (a commit, or an annotated tag object: ResolveRef/ReadTree take the name).
type Tag struct {
	Name string
	SHA  string
	Type string // "commit" or "tag"
}

// ListTags lists the tags whose names start with prefix (e.g. "go-service/v")
// through git/matching-refs, all pages.
func (c *Client) ListTags(ctx context.Context, owner, repo, prefix string) ([]Tag, error) {
	var out []Tag
	opts := &gh.ReferenceListOptions{Ref: "tags/" + prefix, ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		refs, resp, err := c.gh.Git.ListMatchingRefs(ctx, owner, repo, opts)
		if err != nil {
			return nil, fmt.Errorf("listing tags %s* in %s/%s: %w", prefix, owner, repo, classify(err))
		}
		for _, r := range refs {
			out = append(out, Tag{
				Name: strings.TrimPrefix(r.GetRef(), "refs/tags/"),
				SHA:  r.GetObject().GetSHA(),
				Type: r.GetObject().GetType(),
			})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// SetTopics replaces the repository's topics.
func (c *Client) SetTopics(ctx context.Context, owner, repo string, topics []string) error {
	if topics == nil {
		topics = []string{}
	}
	if _, _, err := c.gh.Repositories.ReplaceAllTopics(ctx, owner, repo, topics); err != nil {
		return fmt.Errorf("setting the topics of %s/%s: %w", owner, repo, classify(err))
	}
	return nil
}

// FileVersion is a file read with GetFileIfChanged: its bytes, blob SHA and
// the ETag to send next time.
type FileVersion struct {
	Data []byte
	SHA  string
	ETag string
}

// GetFileIfChanged reads a file like GetFile, sending the ETag of an earlier
// read: when nothing changed GitHub answers 304, which does not count against
// the rate limit, and it returns (nil, false, nil). Made for periodic
// reconciles that re-read the same files of many repositories. One request.
func (c *Client) GetFileIfChanged(ctx context.Context, owner, repo, path, ref, etag string) (*FileVersion, bool, error) {
	wrap := func(err error) error {
		return fmt.Errorf("reading %s from %s/%s at %q: %w", path, owner, repo, ref, err)
	}
	u := fmt.Sprintf("repos/%s/%s/contents/%s", url.PathEscape(owner), url.PathEscape(repo), (&url.URL{Path: strings.Trim(path, "/")}).String())
	if ref != "" {
		u += "?ref=" + url.QueryEscape(ref)
	}
	req, err := c.gh.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, false, wrap(err)
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	var file gh.RepositoryContent
	resp, err := c.gh.Do(ctx, req, &file)
	if resp != nil && resp.StatusCode == http.StatusNotModified {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, wrap(classify(err))
	}
	if file.GetType() != "file" {
		return nil, false, wrap(fmt.Errorf("%w: it is a %s, not a file", ErrNotFound, file.GetType()))
	}
	content, err := file.GetContent()
	if err != nil {
		return nil, false, wrap(err)
	}
	return &FileVersion{Data: []byte(content), SHA: file.GetSHA(), ETag: resp.Header.Get("ETag")}, true, nil
}
