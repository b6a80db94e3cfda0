package githubsim

// Issue comments.

import (
	"net/http"
	"strconv"
	"time"
)

func (s *Sim) listComments(c *call) {
	r, is := c.repoIssue()
	if is == nil {
		return
	}
	out := []obj{}
	for _, cm := range is.comments {
		out = append(out, s.commentJSON(r, is, cm))
	}
	paginate(c, out)
}

func (s *Sim) addComment(r *repo, is *issue, author *account, body string) *comment {
	now := s.now().UTC().Truncate(time.Second)
	cm := &comment{id: s.id(), user: author, body: body, createdAt: now, updatedAt: now}
	is.comments = append(is.comments, cm)
	is.updatedAt = now
	s.fire("issue_comment", "created", r, author, obj{"issue": s.issueJSON(r, is), "comment": s.commentJSON(r, is, cm)})
	return cm
}

func (s *Sim) createComment(c *call) {
	r, is := c.repoIssue()
	if is == nil {
		return
	}
	text, ok := c.commentBody("IssueComment")
	if !ok {
		return
	}
	cm := s.addComment(r, is, c.actor, text)
	c.w.header.Set("Location", s.base+"/repos/"+r.fullName()+"/issues/comments/"+strconv.FormatInt(cm.id, 10))
	c.json(http.StatusCreated, s.commentJSON(r, is, cm))
}

func (s *Sim) findComment(c *call, r *repo) (*issue, *comment, int) {
	id, _ := strconv.ParseInt(c.path("comment_id"), 10, 64)
	for _, is := range r.issues {
		for i, cm := range is.comments {
			if cm.id == id {
				return is, cm, i
			}
		}
	}
	c.notFound()
	return nil, nil, 0
}

func (s *Sim) getComment(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	if is, cm, _ := s.findComment(c, r); cm != nil {
		c.json(http.StatusOK, s.commentJSON(r, is, cm))
	}
}

func (s *Sim) updateComment(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is, cm, _ := s.findComment(c, r)
	if cm == nil {
		return
	}
	var body struct {
		Body *string `json:"body"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Body == nil {
		c.invalid("IssueComment", "body", "missing_field", "")
		return
	}
	if c.tooLong("IssueComment", *body.Body) {
		return
	}
	if *body.Body != cm.body {
		from := cm.body
		cm.body = *body.Body
		cm.updatedAt = s.now().UTC().Truncate(time.Second)
		s.fire("issue_comment", "edited", r, c.actor, obj{"changes": obj{"body": obj{"from": from}},
			"issue": s.issueJSON(r, is), "comment": s.commentJSON(r, is, cm)})
	}
	c.json(http.StatusOK, s.commentJSON(r, is, cm))
}

func (s *Sim) deleteComment(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is, cm, i := s.findComment(c, r)
	if cm == nil {
		return
	}
	is.comments = append(is.comments[:i:i], is.comments[i+1:]...)
	s.fire("issue_comment", "deleted", r, c.actor, obj{"issue": s.issueJSON(r, is), "comment": s.commentJSON(r, is, cm)})
	c.w.WriteHeader(http.StatusNoContent)
}

// --- labels -----------------------------------------------------------------
