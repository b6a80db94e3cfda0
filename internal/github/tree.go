package github

import (
	"archive/tar"
	"compress/gzip"
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"

	gh "github.com/google/go-github/v62/github"
)

// File is one file of a tree: its bytes and its mode as Go writes it. Git
// keeps only three kinds, so any execute bit means an executable (0o755),
// fs.ModeSymlink a symbolic link whose target is Data, anything else (0
// included) a regular file (0o644).
type File struct {
	Data []byte
	Mode fs.FileMode
}

// gitMode is the mode string the Git Data API takes.
func (f File) gitMode() string {
	switch {
	case f.Mode&fs.ModeSymlink != 0:
		return "120000"
	case f.Mode&0o111 != 0:
		return "100755"
	}
	return "100644"
}

// maxArchive bounds a downloaded tarball (compressed and expanded), so a huge
// repository fails clearly instead of exhausting memory.
const maxArchive = 256 << 20

// ReadTree returns every file of owner/repo at ref (a branch, tag or SHA) and
// the commit SHA it resolved to. Requests: one to resolve the ref (none when
// ref is already a full SHA), then, unless that commit is cached, the tarball
// link and its download (two). The returned map is the caller's; the byte
// slices are shared with the cache and must not be modified.
func (c *Client) ReadTree(ctx context.Context, owner, repo, ref string) (map[string]File, string, error) {
	sha, err := c.ResolveRef(ctx, owner, repo, ref)
	if err != nil {
		return nil, "", fmt.Errorf("reading the files of %s/%s at %s: %w", owner, repo, ref, err)
	}
	key := strings.ToLower(owner + "/" + repo + "@" + sha)
	if files, ok := c.app.trees.get(key); ok {
		return maps.Clone(files), sha, nil
	}
	files, err := c.downloadTree(ctx, owner, repo, sha)
	if err != nil {
		return nil, "", fmt.Errorf("reading the files of %s/%s at %s (%s): %w", owner, repo, ref, sha, err)
	}
	c.app.trees.put(key, files)
	return maps.Clone(files), sha, nil
}

// CachedTree returns the files of owner/repo at commit sha from this
// process's tree cache, with no request; ok is false when they are not
// cached (or sha is not a full commit SHA). The map is the caller's; the
// byte slices are shared with the cache and must not be modified.
func (c *Client) CachedTree(owner, repo, sha string) (map[string]File, bool) {
	sha = strings.ToLower(sha)
	if !IsCommitSHA(sha) {
		return nil, false
	}
	files, ok := c.app.trees.get(strings.ToLower(owner + "/" + repo + "@" + sha))
	if !ok {
		return nil, false
	}
	return maps.Clone(files), true
}

// CacheTree puts files read elsewhere (a cache shared between replicas) into
// this process's tree cache as owner/repo at commit sha, so ReadTree answers
// them with no request. A ref that is not a full commit SHA is ignored: only
// a commit's files never change. The cache keeps files; the caller must not
// modify their byte slices afterwards.
func (c *Client) CacheTree(owner, repo, sha string, files map[string]File) {
	sha = strings.ToLower(sha)
	if !IsCommitSHA(sha) {
		return
	}
	c.app.trees.put(strings.ToLower(owner+"/"+repo+"@"+sha), maps.Clone(files))
}

// ResolveRef turns a branch, tag or short SHA into a commit SHA with one cheap
// request (GET /repos/{o}/{r}/commits/{ref}, Accept: application/vnd.github.sha);
// a full SHA is returned as is. Annotated tags resolve to their commit.
func (c *Client) ResolveRef(ctx context.Context, owner, repo, ref string) (string, error) {
	if IsCommitSHA(strings.ToLower(ref)) {
		return strings.ToLower(ref), nil
	}
	sha, _, err := c.gh.Repositories.GetCommitSHA1(ctx, owner, repo, ref, "")
	if err != nil {
		return "", fmt.Errorf("resolving %s in %s/%s: %w", ref, owner, repo, classify(err))
	}
	sha = strings.TrimSpace(sha)
	if strings.HasPrefix(sha, "{") {
		// A server that ignored the sha media type sent the commit object.
		var commit struct {
			SHA string `json:"sha"`
		}
		if json.Unmarshal([]byte(sha), &commit) == nil {
			sha = commit.SHA
		}
	}
	if !IsCommitSHA(sha) {
		return "", fmt.Errorf("resolving %s in %s/%s: GitHub answered %q, not a commit SHA", ref, owner, repo, truncate(sha, 80))
	}
	return sha, nil
}

func (c *Client) downloadTree(ctx context.Context, owner, repo, sha string) (map[string]File, error) {
	req, err := c.gh.NewRequest(http.MethodGet, fmt.Sprintf("repos/%s/%s/tarball/%s", url.PathEscape(owner), url.PathEscape(repo), sha), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.auth.Do(req.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("asking for the tarball: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK: // some servers answer with the archive itself
		return untar(resp.Body)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
		if err != nil || resp.Header.Get("Location") == "" {
			return nil, fmt.Errorf("asking for the tarball: redirect without a usable Location")
		}
		drain(resp)
		dreq, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
		if err != nil {
			return nil, err
		}
		dresp, err := c.download.Do(dreq)
		if err != nil {
			return nil, fmt.Errorf("downloading the tarball: %w", errors.New(redact(err)))
		}
		defer dresp.Body.Close()
		if dresp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("downloading the tarball: %w", &APIError{StatusCode: dresp.StatusCode, Message: dresp.Status, kind: kindOf(dresp.StatusCode)})
		}
		return untar(dresp.Body)
	default:
		return nil, fmt.Errorf("asking for the tarball: %w", classify(gh.CheckResponse(resp)))
	}
}

func kindOf(status int) error {
	switch status {
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusConflict:
		return ErrConflict
	}
	return nil
}

// untar reads GitHub's tarball: every entry under one top folder
// (<owner>-<repo>-<sha7>/), which is dropped; directories are implied by files.
func untar(r io.Reader) (map[string]File, error) {
	zr, err := gzip.NewReader(io.LimitReader(r, maxArchive))
	if err != nil {
		return nil, fmt.Errorf("opening the tarball: %w", err)
	}
	defer zr.Close()
	files, err := ReadTar(zr, maxArchive, func(name string) (string, bool, error) {
		i := strings.IndexByte(name, '/')
		if i < 0 {
			return "", false, nil // the top folder itself, or a pax global header
		}
		rel := name[i+1:]
		if rel == "" || strings.HasSuffix(rel, "/") {
			return "", false, nil
		}
		clean := path.Clean(rel)
		if clean != rel || clean == ".." || strings.HasPrefix(clean, "../") || path.IsAbs(clean) {
			return "", false, fmt.Errorf("unsafe path %q", name)
		}
		return clean, true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the tarball: %w", err)
	}
	return files, nil
}

// ReadTar reads the regular files and symbolic links of a tar stream (a
// GitHub tarball, a git archive, a cached archive): name maps an entry's
// name to its path, or skips it (false), or refuses the archive (error).
// At most limit bytes of file data are read (limit <= 0: no limit). Modes
// are what File means: 0644, 0755 when executable, links with their target
// as data. Directories are implied by files; submodules (git links) are
// skipped.
func ReadTar(r io.Reader, limit int64, name func(string) (string, bool, error)) (map[string]File, error) {
	tr := tar.NewReader(r)
	files := map[string]File{}
	var total int64
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		p, ok, err := name(hdr.Name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
			total += hdr.Size
			if limit > 0 && total > limit {
				return nil, fmt.Errorf("more than %d bytes of files", limit)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", p, err)
			}
			mode := fs.FileMode(0o644)
			if hdr.Mode&0o111 != 0 {
				mode = 0o755
			}
			files[p] = File{Data: data, Mode: mode}
		case tar.TypeSymlink:
			files[p] = File{Data: []byte(hdr.Linkname), Mode: fs.ModeSymlink | 0o777}
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// treeCache keeps recent ReadTree results by repository and commit SHA: a
// commit's files never change, so entries never go stale, only old.
type treeCache struct {
	mu    sync.Mutex
	max   int
	items map[string]*list.Element
	lru   *list.List
}

type treeEntry struct {
	key   string
	files map[string]File
}

func newTreeCache(n int) *treeCache {
	return &treeCache{max: n, items: map[string]*list.Element{}, lru: list.New()}
}

func (t *treeCache) get(key string) (map[string]File, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	el, ok := t.items[key]
	if !ok {
		return nil, false
	}
	t.lru.MoveToFront(el)
	return el.Value.(*treeEntry).files, true
}

func (t *treeCache) put(key string, files map[string]File) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.items[key]; ok {
		t.lru.MoveToFront(el)
		return
	}
	t.items[key] = t.lru.PushFront(&treeEntry{key: key, files: files})
	for t.lru.Len() > t.max {
		old := t.lru.Remove(t.lru.Back()).(*treeEntry)
		delete(t.items, old.key)
	}
}
