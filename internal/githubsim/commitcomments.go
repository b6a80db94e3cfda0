package githubsim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// --- commit comments ----------------------------------------------------------

// commitOf resolves the {commit_sha} of a call to a commit of r (a full or
// abbreviated SHA, as GitHub takes), answering 404 (or 409 for an empty
// repository) when there is none.
func (c *call) commitOf(r *repo) (string, bool) {
	if !c.nonEmpty(r) {
		return "", false
	}
	sha := resolve(r, c.path("commit_sha"))
	if _, ok := r.objs.commit(sha); !ok || !strings.HasPrefix(sha, strings.ToLower(c.path("commit_sha"))) {
		c.notFound()
		return "", false
	}
	return sha, true
}

// commentBody reads the {"body": …} of a new comment of kind resource
// ("IssueComment", "CommitComment"), answering 422 when it is missing,
// empty or too long.
func (c *call) commentBody(resource string) (string, bool) {
	var body struct {
		Body *string `json:"body"`
	}
	if !c.decode(&body) {
		return "", false
	}
	if body.Body == nil || *body.Body == "" {
		c.invalid(resource, "body", "missing_field", "")
		return "", false
	}
	if c.tooLong(resource, *body.Body) {
		return "", false
	}
	return *body.Body, true
}

func (s *Sim) commitCommentJSON(r *repo, sha string, cm *comment) obj {
	u := fmt.Sprintf("%s/repos/%s/comments/%d", s.base, r.fullName(), cm.id)
	return obj{"id": cm.id, "node_id": nodeID("CommitComment", cm.id), "url": u,
		"html_url": fmt.Sprintf("%s/%s/commit/%s#commitcomment-%d", s.htmlBase(), r.fullName(), sha, cm.id),
		"body":     cm.body, "path": nil, "position": nil, "line": nil, "commit_id": sha, "user": s.userJSON(cm.user),
		"created_at": ts(cm.createdAt), "updated_at": ts(cm.updatedAt), "author_association": s.association(r, cm.user),
		"reactions": s.reactions(u)}
}

func (s *Sim) listCommitComments(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	sha, ok := c.commitOf(r)
	if !ok {
		return
	}
	out := []obj{}
	for _, cm := range r.commitComments[sha] {
		out = append(out, s.commitCommentJSON(r, sha, cm))
	}
	paginate(c, out)
}

func (s *Sim) createCommitComment(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	sha, ok := c.commitOf(r)
	if !ok {
		return
	}
	text, ok := c.commentBody("CommitComment")
	if !ok {
		return
	}
	now := s.now().UTC().Truncate(time.Second)
	cm := &comment{id: s.id(), user: c.actor, body: text, createdAt: now, updatedAt: now}
	if r.commitComments == nil {
		r.commitComments = map[string][]*comment{}
	}
	r.commitComments[sha] = append(r.commitComments[sha], cm)
	c.w.header.Set("Location", s.base+"/repos/"+r.fullName()+"/comments/"+strconv.FormatInt(cm.id, 10))
	c.json(http.StatusCreated, s.commitCommentJSON(r, sha, cm))
}

// CommitComments lists the comments on a commit of a repository, oldest
// first.
func (s *Sim) CommitComments(owner, name, sha string) []CommentInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return nil
	}
	var out []CommentInfo
	for _, cm := range r.commitComments[resolve(r, sha)] {
		out = append(out, CommentInfo{ID: cm.id, Author: cm.user.login, Body: cm.body})
	}
	return out
}
