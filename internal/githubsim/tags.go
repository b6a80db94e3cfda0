package githubsim

import (
	"fmt"
	"net/http"
	"strings"
)

// Annotated tags are tag objects; their refs point at the tag object, not
// the commit, so a client must peel them (GET /git/tags/{sha}) — the
// simulator keeps that trap.

type tagData struct {
	Object, Type, Tag string
	Tagger            signature
	Message           string
}

func encodeTag(t tagData) []byte {
	return []byte(fmt.Sprintf("object %s\ntype %s\ntag %s\ntagger %s\n\n%s", t.Object, t.Type, t.Tag, t.Tagger.encode(), t.Message))
}

func decodeTag(data []byte) tagData {
	var t tagData
	head, msg, _ := strings.Cut(string(data), "\n\n")
	t.Message = msg
	for _, line := range strings.Split(head, "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "object":
			t.Object = v
		case "type":
			t.Type = v
		case "tag":
			t.Tag = v
		case "tagger":
			t.Tagger = parseSig(v)
		}
	}
	return t
}

func (s *Sim) tagJSON(r *repo, sha string, t tagData) obj {
	return obj{"sha": sha, "node_id": nodeID("Tag", int64(len(sha))), "url": s.base + "/repos/" + r.fullName() + "/git/tags/" + sha,
		"tag": t.Tag, "message": t.Message, "tagger": s.gitUser(t.Tagger),
		"object":       obj{"sha": t.Object, "type": t.Type, "url": s.base + "/repos/" + r.fullName() + "/git/" + t.Type + "s/" + t.Object},
		"verification": obj{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil}}
}

// AnnotatedTag creates an annotated tag object for sha and the ref
// refs/tags/<tag> pointing at it, as `git tag -a` and a push would, and
// fires push and create.
func (s *Sim) AnnotatedTag(owner, name, tag, sha, message, tagger string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return "", err
	}
	if _, ok := r.objs.commit(sha); !ok {
		return "", fmt.Errorf("no commit %s in %s", sha, r.fullName())
	}
	if _, ok := r.refs["refs/tags/"+tag]; ok {
		return "", fmt.Errorf("tag %s already exists", tag)
	}
	a := s.user(tagger)
	obj := r.objs.put("tag", encodeTag(tagData{Object: sha, Type: "commit", Tag: tag, Tagger: s.sigFor(a), Message: message}))
	s.moveRef(r, "refs/tags/"+tag, obj, a, false)
	return obj, nil
}

func (s *Sim) getGitTag(c *call) {
	r := c.repo()
	if r == nil || !c.nonEmpty(r) {
		return
	}
	sha := c.path("tag_sha")
	o, ok := r.objs[sha]
	if !ok || o.typ != "tag" {
		c.notFound()
		return
	}
	c.json(http.StatusOK, s.tagJSON(r, sha, decodeTag(o.data)))
}

func (s *Sim) createGitTag(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var body struct {
		Tag     string     `json:"tag"`
		Message string     `json:"message"`
		Object  string     `json:"object"`
		Type    string     `json:"type"`
		Tagger  *gitPerson `json:"tagger"`
	}
	if !c.decode(&body) {
		return
	}
	if !c.nonEmpty(r) {
		return
	}
	o, ok := r.objs[body.Object]
	if !ok || (body.Type != "" && o.typ != body.Type) {
		writeError(c.w, http.StatusUnprocessableEntity, "Object does not exist", nil)
		return
	}
	if body.Tag == "" {
		c.invalid("Tag", "tag", "missing_field", "")
		return
	}
	t := tagData{Object: body.Object, Type: o.typ, Tag: body.Tag, Tagger: s.personSig(body.Tagger, s.sigFor(c.actor)), Message: body.Message}
	sha := r.objs.put("tag", encodeTag(t))
	c.w.header.Set("Location", s.base+"/repos/"+r.fullName()+"/git/tags/"+sha)
	c.json(http.StatusCreated, s.tagJSON(r, sha, t))
}
