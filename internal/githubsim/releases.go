package githubsim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type release struct {
	id          int64
	tag         string
	name, body  string
	prerelease  bool
	author      *account
	createdAt   time.Time
	publishedAt time.Time
	target      string
}

func (s *Sim) releaseJSON(r *repo, rel *release) obj {
	u := s.base + "/repos/" + r.fullName() + "/releases/" + strconv.FormatInt(rel.id, 10)
	return obj{"id": rel.id, "node_id": nodeID("Release", rel.id), "url": u, "assets_url": u + "/assets",
		"upload_url": u + "/assets{?name,label}", "html_url": s.htmlBase() + "/" + r.fullName() + "/releases/tag/" + rel.tag,
		"tarball_url": s.base + "/repos/" + r.fullName() + "/tarball/" + rel.tag, "zipball_url": s.base + "/repos/" + r.fullName() + "/zipball/" + rel.tag,
		"tag_name": rel.tag, "target_commitish": rel.target, "name": nilIfEmpty(rel.name), "body": nilIfEmpty(rel.body),
		"draft": false, "prerelease": rel.prerelease, "immutable": false, "created_at": ts(rel.createdAt), "published_at": ts(rel.publishedAt),
		"updated_at": ts(rel.publishedAt), "author": s.userJSON(rel.author), "assets": []any{}}
}

// PublishRelease publishes a release for an existing tag as author and fires
// release.created, release.published and, for a full release,
// release.released (prereleased for a prerelease), as GitHub does.
func (s *Sim) PublishRelease(owner, name, tag, title, body, author string, prerelease bool) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return 0, err
	}
	if _, ok := r.refs["refs/tags/"+tag]; !ok {
		return 0, fmt.Errorf("no tag %s in %s", tag, r.fullName())
	}
	for _, rel := range r.releases {
		if rel.tag == tag {
			return 0, fmt.Errorf("a release for %s already exists", tag)
		}
	}
	now := s.now().UTC().Truncate(time.Second)
	a := s.user(author)
	rel := &release{id: s.id(), tag: tag, name: title, body: body, prerelease: prerelease, author: a, createdAt: now, publishedAt: now, target: r.defaultBranch}
	r.releases = append(r.releases, rel)
	for _, action := range []string{"created", "published", map[bool]string{true: "prereleased", false: "released"}[prerelease]} {
		s.fire("release", action, r, a, obj{"release": s.releaseJSON(r, rel)})
	}
	return rel.id, nil
}

func (s *Sim) listReleases(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	out := []obj{}
	for i := len(r.releases) - 1; i >= 0; i-- {
		out = append(out, s.releaseJSON(r, r.releases[i]))
	}
	paginate(c, out)
}

func (s *Sim) latestRelease(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	for i := len(r.releases) - 1; i >= 0; i-- {
		if !r.releases[i].prerelease {
			c.json(http.StatusOK, s.releaseJSON(r, r.releases[i]))
			return
		}
	}
	c.notFound()
}

func (s *Sim) releaseByTag(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	tag := strings.TrimPrefix(c.path("*"), "/")
	for _, rel := range r.releases {
		if rel.tag == tag {
			c.json(http.StatusOK, s.releaseJSON(r, rel))
			return
		}
	}
	c.notFound()
}
