package upgrade

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
	"testing/fstest"

	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// templateCache keeps templates loaded by tag. Published tags do not move
// (a maintainer who moves one gets the old files until a restart, which is
// also what every repository already scaffolded saw), so a rollout reads
// each version from GitHub once per process, not once per repository.
type templateCache struct {
	mu    sync.Mutex
	max   int
	order []string
	items map[string]*template.Template
	// loading collapses concurrent loads of one tag into one download.
	loading map[string]*sync.WaitGroup
}

func newTemplateCache(max int) *templateCache {
	return &templateCache{max: max, items: map[string]*template.Template{}, loading: map[string]*sync.WaitGroup{}}
}

// load returns template name at tag from owner/repo; ref is the tag's commit
// SHA when known (one request fewer), else the tag.
func (c *templateCache) load(ctx context.Context, gh GitHub, owner, repo, name, tag, ref string) (*template.Template, error) {
	key := strings.ToLower(owner+"/"+repo) + "@" + tag
	for {
		c.mu.Lock()
		if t, ok := c.items[key]; ok {
			c.mu.Unlock()
			return t, nil
		}
		wg, busy := c.loading[key]
		if !busy {
			wg = &sync.WaitGroup{}
			wg.Add(1)
			c.loading[key] = wg
			c.mu.Unlock()
			break
		}
		c.mu.Unlock()
		wg.Wait()
	}
	t, err := loadTemplate(ctx, gh, owner, repo, name, tag, ref)
	c.mu.Lock()
	wg := c.loading[key]
	delete(c.loading, key)
	if err == nil {
		c.items[key] = t
		c.order = append(c.order, key)
		for len(c.order) > c.max {
			delete(c.items, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.mu.Unlock()
	wg.Done()
	return t, err
}

func loadTemplate(ctx context.Context, gh GitHub, owner, repo, name, tag, ref string) (*template.Template, error) {
	if ref == "" {
		ref = tag
	}
	files, _, err := gh.ReadTree(ctx, owner, repo, ref)
	if err != nil {
		return nil, fmt.Errorf("reading template %s at %s: %w", name, tag, err)
	}
	dir := path.Join(template.TemplatesDir, name) + "/"
	fsys := fstest.MapFS{}
	for p, f := range files {
		rel, ok := strings.CutPrefix(p, dir)
		if !ok {
			continue
		}
		mode := fs.FileMode(0o644)
		switch {
		case f.Mode&fs.ModeSymlink != 0:
			mode = fs.ModeSymlink | 0o777
		case f.Mode&0o111 != 0:
			mode = 0o755
		}
		fsys[rel] = &fstest.MapFile{Data: f.Data, Mode: mode}
	}
	if len(fsys) == 0 {
		return nil, fmt.Errorf("reading template %s at %s: %s/%s has no folder %s", name, tag, owner, repo, dir)
	}
	t, err := template.Load(fsys)
	if err != nil {
		return nil, fmt.Errorf("loading template %s at %s: %w", name, tag, err)
	}
	if t.Manifest.Name != name {
		return nil, fmt.Errorf("loading template %s at %s: its manifest names %q", name, tag, t.Manifest.Name)
	}
	return t, nil
}

// toGitHub converts a plan's changes to the client's file type.
func toGitHub(changes map[string]*mergeEntry) map[string]*github.File {
	out := make(map[string]*github.File, len(changes))
	for p, f := range changes {
		if f == nil {
			out[p] = nil
			continue
		}
		out[p] = &github.File{Data: f.Data, Mode: f.Mode}
	}
	return out
}
