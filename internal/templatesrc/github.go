package templatesrc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// GitHub is what a Source reads the templates repository with.
// *github.Client satisfies it.
type GitHub interface {
	ListTags(ctx context.Context, owner, repo, prefix string) ([]github.Tag, error)
	ReadTree(ctx context.Context, owner, repo, ref string) (map[string]github.File, string, error)
	ResolveRef(ctx context.Context, owner, repo, ref string) (string, error)
	CachedTree(owner, repo, sha string) (map[string]github.File, bool)
	CacheTree(owner, repo, sha string, files map[string]github.File)
	GetFile(ctx context.Context, owner, repo, path, ref string) ([]byte, string, error)
}

var _ GitHub = (*github.Client)(nil)

// Shared keeps what is read from templates repositories where every
// replica finds it (*DBCache): the tag list with when it was read from
// GitHub, and archives by commit SHA.
type Shared interface {
	Tags(ctx context.Context, owner, repo string) (tags []github.Tag, fetchedAt time.Time, ok bool, err error)
	PutTags(ctx context.Context, owner, repo string, tags []github.Tag, fetchedAt time.Time) error
	Archive(ctx context.Context, owner, repo, sha string) (map[string]github.File, bool, error)
	PutArchive(ctx context.Context, owner, repo, sha string, files map[string]github.File) error
}

var _ Shared = (*DBCache)(nil)

// How long copies are trusted. The replica that works a push to the
// templates repository rereads tags and policy at once (Fresh); the others
// within these times.
const (
	// TagTTL bounds this process's copy of a tag list.
	TagTTL = 10 * time.Minute
	// SharedTagTTL bounds a tag list read from the shared cache: whichever
	// replica works a push stores a fresh list there, so the hour only
	// bounds what a missed push delivery costs.
	SharedTagTTL = time.Hour
	// PolicyTTL is short because the policy guards who may create
	// repositories.
	PolicyTTL = time.Minute
	// maxTemplates bounds the templates kept loaded in memory.
	maxTemplates = 64
)

// Options configure a Source. The zero value works (no shared cache).
type Options struct {
	Shared Shared
	Logger *slog.Logger
	Now    func() time.Time
}

// Source reads templates repositories from GitHub for one process: tag
// lists and policies kept a short time, templates by tag (a published tag
// does not move) loaded once however many jobs ask at once, archives
// shared with the other replicas. Safe for concurrent use.
type Source struct {
	opts Options

	mu        sync.Mutex
	tags      map[string]stamped[[]github.Tag]
	policies  map[string]stamped[policyRead]
	templates map[string]*loading
	order     []string
}

type stamped[T any] struct {
	v  T
	at time.Time
}

type policyRead struct {
	policy config.Policy
	err    error // a *BrokenPolicyError
}

// loading is one template load; done closes when t and err are set.
type loading struct {
	done chan struct{}
	t    *template.Template
	err  error
}

// New returns a Source.
func New(opts Options) *Source {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Source{opts: opts, tags: map[string]stamped[[]github.Tag]{}, policies: map[string]stamped[policyRead]{},
		templates: map[string]*loading{}}
}

// Repo is the templates repository owner/repo read with gh: a Reader.
func (s *Source) Repo(gh GitHub, owner, repo string) *Repo {
	return &Repo{s: s, gh: gh, owner: owner, repo: repo}
}

// Repo reads one templates repository through its Source's caches.
type Repo struct {
	s           *Source
	gh          GitHub
	owner, repo string
	fresh       bool
}

var _ Reader = (*Repo)(nil)

// Fresh is r reading tags and policy from GitHub whatever the caches hold
// (a push to the templates repository), and storing what it reads there.
func (r *Repo) Fresh() *Repo {
	c := *r
	c.fresh = true
	return &c
}

func (r *Repo) key() string { return strings.ToLower(r.owner + "/" + r.repo) }

// Tags lists the repository's tags: from this process's memory (younger
// than TagTTL), else the shared cache (read from GitHub less than
// SharedTagTTL ago), else GitHub, stored in both.
func (r *Repo) Tags(ctx context.Context) ([]github.Tag, error) {
	s, key := r.s, r.key()
	now := s.opts.Now()
	s.mu.Lock()
	c, ok := s.tags[key]
	s.mu.Unlock()
	if ok && !r.fresh && now.Sub(c.at) < TagTTL {
		return c.v, nil
	}
	remember := func(tags []github.Tag) {
		s.mu.Lock()
		s.tags[key] = stamped[[]github.Tag]{v: tags, at: s.opts.Now()}
		s.mu.Unlock()
	}
	if s.opts.Shared != nil && !r.fresh {
		tags, at, ok, err := s.opts.Shared.Tags(ctx, r.owner, r.repo)
		switch {
		case err != nil:
			// The shared cache only spares requests: GitHub answers instead.
			s.opts.Logger.Warn("reading the shared tag list", "org", r.owner, "repo", r.repo, "err", err)
		case ok && now.Sub(at) < SharedTagTTL:
			remember(tags)
			return tags, nil
		}
	}
	tags, err := r.gh.ListTags(ctx, r.owner, r.repo, "")
	if err != nil {
		return nil, fmt.Errorf("listing the tags of %s/%s: %w", r.owner, r.repo, err)
	}
	remember(tags)
	if s.opts.Shared != nil {
		if err := s.opts.Shared.PutTags(ctx, r.owner, r.repo, tags, now); err != nil {
			s.opts.Logger.Warn("storing the shared tag list", "org", r.owner, "repo", r.repo, "err", err)
		}
	}
	return tags, nil
}

// Latest implements Reader from Tags.
func (r *Repo) Latest(ctx context.Context, name string) (Version, error) {
	tags, err := r.Tags(ctx)
	if err != nil {
		return Version{}, err
	}
	return latest(TagNames(tags), name)
}

// TagNames are the tags' names.
func TagNames(tags []github.Tag) []string {
	names := make([]string, len(tags))
	for i, t := range tags {
		names[i] = t.Name
	}
	return names
}

// At implements Reader: the template is loaded once per process however
// many callers ask at once, and kept (a published tag does not move; one a
// maintainer moves serves the old files until a restart, which is what
// every repository already made from it saw).
func (r *Repo) At(ctx context.Context, tag string) (*template.Template, error) {
	name, _, ok := template.ParseTag(tag)
	if !ok {
		return nil, fmt.Errorf("%q is not a template version tag (<name>/vX.Y.Z)", tag)
	}
	s, key := r.s, r.key()+"@"+tag
	s.mu.Lock()
	l, busy := s.templates[key]
	if !busy {
		l = &loading{done: make(chan struct{})}
		s.templates[key] = l
	}
	s.mu.Unlock()
	if busy {
		select {
		case <-l.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if l.err == nil {
			return l.t, nil
		}
		return r.At(ctx, tag) // the load that failed is forgotten: try again
	}
	l.t, l.err = r.loadAt(ctx, name, tag)
	s.mu.Lock()
	if l.err != nil {
		delete(s.templates, key)
	} else {
		s.order = append(s.order, key)
		for len(s.order) > maxTemplates {
			delete(s.templates, s.order[0])
			s.order = s.order[1:]
		}
	}
	s.mu.Unlock()
	close(l.done)
	return l.t, l.err
}

func (r *Repo) loadAt(ctx context.Context, name, tag string) (*template.Template, error) {
	files, err := r.Files(ctx, tag)
	if err != nil {
		return nil, fmt.Errorf("reading %s/%s at %s: %w", r.owner, r.repo, tag, err)
	}
	return load(NewFS(fromGitHub(files)), name, tag)
}

// Files returns the repository's files at tag: the commit the tag points
// at, from a tag list at hand (memory or the shared cache; no request is
// made for it), else resolved by GitHub (an annotated tag, a tag not listed
// yet, the upgrade workflow, which lists no tags); then its files from the
// client's memory, the shared cache, and only then downloaded and shared:
// a commit's files never change.
func (r *Repo) Files(ctx context.Context, tag string) (map[string]github.File, error) {
	sha := r.knownCommit(ctx, tag)
	if sha == "" {
		var err error
		if sha, err = r.gh.ResolveRef(ctx, r.owner, r.repo, tag); err != nil {
			return nil, err
		}
	}
	if files, ok := r.gh.CachedTree(r.owner, r.repo, sha); ok {
		return files, nil
	}
	if sh := r.s.opts.Shared; sh != nil {
		files, ok, err := sh.Archive(ctx, r.owner, r.repo, sha)
		switch {
		case err != nil:
			r.s.opts.Logger.Warn("reading a shared template archive", "org", r.owner, "repo", r.repo, "sha", sha, "err", err)
		case ok:
			r.gh.CacheTree(r.owner, r.repo, sha, files)
			return files, nil
		}
	}
	files, _, err := r.gh.ReadTree(ctx, r.owner, r.repo, sha)
	if err != nil {
		return nil, err
	}
	r.share(ctx, sha, files)
	return files, nil
}

// knownCommit is the commit tag points at, from a tag list at hand.
func (r *Repo) knownCommit(ctx context.Context, tag string) string {
	s, key := r.s, r.key()
	s.mu.Lock()
	c, ok := s.tags[key]
	s.mu.Unlock()
	tags := c.v
	if !ok && s.opts.Shared != nil {
		var err error
		if tags, _, _, err = s.opts.Shared.Tags(ctx, r.owner, r.repo); err != nil {
			s.opts.Logger.Warn("reading the shared tag list", "org", r.owner, "repo", r.repo, "err", err)
		}
	}
	for _, t := range tags {
		if t.Name == tag && t.Type == "commit" && github.IsCommitSHA(strings.ToLower(t.SHA)) {
			return strings.ToLower(t.SHA)
		}
	}
	return ""
}

// share stores files read from GitHub at commit sha in the shared cache.
func (r *Repo) share(ctx context.Context, sha string, files map[string]github.File) {
	if r.s.opts.Shared == nil || !github.IsCommitSHA(strings.ToLower(sha)) {
		return
	}
	// Too large an archive is simply not shared: each replica downloads it.
	if err := r.s.opts.Shared.PutArchive(ctx, r.owner, r.repo, strings.ToLower(sha), files); err != nil {
		r.s.opts.Logger.Warn("storing a shared template archive", "org", r.owner, "repo", r.repo, "sha", sha, "err", err)
	}
}

// Policy implements Reader through a PolicyTTL cache; a *BrokenPolicyError
// is kept like a policy (requests wait until it is fixed).
func (r *Repo) Policy(ctx context.Context, ref string) (config.Policy, error) {
	s, key := r.s, r.key()+"@"+ref
	s.mu.Lock()
	c, ok := s.policies[key]
	s.mu.Unlock()
	if ok && !r.fresh && s.opts.Now().Sub(c.at) < PolicyTTL {
		return c.v.policy, c.v.err
	}
	data, _, err := r.gh.GetFile(ctx, r.owner, r.repo, config.PolicyFile, ref)
	if err != nil && !errors.Is(err, github.ErrNotFound) {
		return config.Policy{}, fmt.Errorf("reading %s of %s/%s: %w", config.PolicyFile, r.owner, r.repo, err)
	}
	var read policyRead
	read.policy, read.err = parsePolicy(data, err == nil)
	s.mu.Lock()
	s.policies[key] = stamped[policyRead]{v: read, at: s.opts.Now()}
	s.mu.Unlock()
	return read.policy, read.err
}

func fromGitHub(files map[string]github.File) map[string]File {
	out := make(map[string]File, len(files))
	for p, f := range files {
		out[p] = File{Data: f.Data, Mode: f.Mode}
	}
	return out
}
