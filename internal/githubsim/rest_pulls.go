package githubsim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

func (c *call) pull(r *repo) *issue {
	is := c.issue(r, "pull_number")
	if is == nil {
		return nil
	}
	if is.pr == nil {
		c.notFound()
		return nil
	}
	return is
}

func (s *Sim) listPulls(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	q := c.r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var list []*issue
	for _, is := range r.issues {
		if is.pr == nil || (state != "all" && is.state != state) {
			continue
		}
		if h := q.Get("head"); h != "" {
			owner, branch, ok := strings.Cut(h, ":")
			if !ok || !strings.EqualFold(owner, r.owner.login) || branch != is.pr.head {
				continue
			}
		}
		if b := q.Get("base"); b != "" && b != is.pr.base {
			continue
		}
		list = append(list, is)
	}
	sortIssues(list, q.Get("sort"), q.Get("direction"))
	out := []obj{}
	for _, is := range list {
		out = append(out, s.pullJSON(r, is, false))
	}
	paginate(c, out)
}

func (s *Sim) createPull(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var body struct {
		Title               string `json:"title"`
		Head                string `json:"head"`
		Base                string `json:"base"`
		Body                string `json:"body"`
		Draft               bool   `json:"draft"`
		MaintainerCanModify *bool  `json:"maintainer_can_modify"`
	}
	if !c.decode(&body) {
		return
	}
	head := body.Head
	if owner, branch, ok := strings.Cut(head, ":"); ok {
		if !strings.EqualFold(owner, r.owner.login) {
			c.invalid("PullRequest", "head", "invalid", "")
			return
		}
		head = branch
	}
	if body.Title == "" {
		c.invalid("PullRequest", "title", "missing_field", "")
		return
	}
	if c.tooLong("PullRequest", body.Body) {
		return
	}
	hs, ok := r.refs["refs/heads/"+head]
	if !ok {
		c.invalid("PullRequest", "head", "invalid", "")
		return
	}
	bs, ok := r.refs["refs/heads/"+body.Base]
	if !ok {
		c.invalid("PullRequest", "base", "invalid", "")
		return
	}
	for _, is := range r.issues {
		if is.pr != nil && is.state == "open" && is.pr.head == head && is.pr.base == body.Base {
			writeError(c.w, http.StatusUnprocessableEntity, "Validation Failed", []map[string]any{{"resource": "PullRequest", "code": "custom",
				"message": "A pull request already exists for " + r.owner.login + ":" + head + "."}})
			return
		}
	}
	if len(r.objs.history(hs, r.objs.ancestors(bs))) == 0 {
		writeError(c.w, http.StatusUnprocessableEntity, "Validation Failed", []map[string]any{{"resource": "PullRequest", "code": "custom",
			"message": "No commits between " + body.Base + " and " + head}})
		return
	}
	mcm := true
	if body.MaintainerCanModify != nil {
		mcm = *body.MaintainerCanModify
	}
	is := s.newIssue(r, c.actor, body.Title, body.Body, nil, &pull{head: head, base: body.Base, draft: body.Draft, maintainerModify: mcm})
	s.issueEvent(r, is, "opened", c.actor, nil)
	c.w.header.Set("Location", s.base+"/repos/"+r.fullName()+"/pulls/"+strconv.Itoa(is.number))
	c.json(http.StatusCreated, s.pullJSON(r, is, true))
}

func (s *Sim) getPull(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	if is := c.pull(r); is != nil {
		c.json(http.StatusOK, s.pullJSON(r, is, true))
	}
}

func (s *Sim) updatePull(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.pull(r)
	if is == nil {
		return
	}
	var body struct {
		Title *string `json:"title"`
		Body  *string `json:"body"`
		State *string `json:"state"`
		Base  *string `json:"base"`
		Draft *bool   `json:"draft"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Body != nil && c.tooLong("PullRequest", *body.Body) {
		return
	}
	if body.State != nil && *body.State != "open" && *body.State != "closed" {
		c.invalid("PullRequest", "state", "invalid", "")
		return
	}
	if body.State != nil && *body.State == "open" && is.pr.merged {
		c.invalid("PullRequest", "state", "custom", "cannot reopen a merged pull request")
		return
	}
	changes := obj{}
	if body.Title != nil && *body.Title != is.title {
		changes["title"] = obj{"from": is.title}
		is.title = *body.Title
	}
	if body.Body != nil && *body.Body != is.body {
		changes["body"] = obj{"from": is.body}
		is.body = *body.Body
	}
	if body.Base != nil && *body.Base != is.pr.base {
		if _, ok := r.refs["refs/heads/"+*body.Base]; !ok {
			c.invalid("PullRequest", "base", "invalid", "")
			return
		}
		changes["base"] = obj{"ref": obj{"from": is.pr.base}}
		is.pr.base = *body.Base
	}
	if len(changes) > 0 {
		is.updatedAt = s.now().UTC().Truncate(time.Second)
		s.issueEvent(r, is, "edited", c.actor, obj{"changes": changes})
	}
	// The REST API ignores "draft" on update (GraphQL converts); keep GitHub's behaviour.
	if body.State != nil {
		s.setState(r, is, *body.State, "", c.actor)
	}
	c.json(http.StatusOK, s.pullJSON(r, is, true))
}

// merge merges PR is into its base; it returns the merge commit or a
// failure status and message.
func (s *Sim) merge(r *repo, is *issue, method, title, message string, sender *account) (string, int, string) {
	if is.state != "open" || is.pr.draft {
		return "", http.StatusMethodNotAllowed, "Pull Request is not mergeable"
	}
	hs, bs := s.prSHAs(r, is)
	mb := r.objs.mergeBase(hs, bs)
	tree, ok := s.mergeTrees(r, mb, bs, hs)
	if !ok {
		return "", http.StatusMethodNotAllowed, "Pull Request is not mergeable"
	}
	if method == "" {
		method = "merge"
	}
	sig := s.sigFor(sender)
	if title == "" {
		title = "Merge pull request #" + strconv.Itoa(is.number) + " from " + r.owner.login + "/" + is.pr.head
		if method != "merge" {
			title = is.title + " (#" + strconv.Itoa(is.number) + ")"
		}
	}
	msg := title
	if message != "" {
		msg += "\n\n" + message
	} else if method == "merge" {
		msg += "\n\n" + is.title
	}
	parents := []string{bs, hs}
	if method != "merge" {
		parents = []string{bs}
	}
	cd := commitData{Tree: r.objs.buildTree(tree), Parents: parents, Author: sig, Committer: sig, Message: msg}
	sha := r.objs.put("commit", encodeCommit(cd))
	s.moveRef(r, "refs/heads/"+is.pr.base, sha, sender, false)
	now := s.now().UTC().Truncate(time.Second)
	is.pr.merged, is.pr.mergedAt, is.pr.mergedBy, is.pr.mergeSHA = true, now, sender, sha
	is.pr.headSHA, is.pr.baseSHA = hs, bs
	s.setState(r, is, "closed", "", sender)
	return sha, 0, ""
}

// mergeTrees is a file-level three-way merge; a path changed differently
// on both sides is a conflict.
func (s *Sim) mergeTrees(r *repo, base, ours, theirs string) (map[string]fileEntry, bool) {
	flat := func(sha string) map[string]fileEntry {
		if c, ok := r.objs.commit(sha); ok {
			return r.objs.flatten(c.Tree)
		}
		return map[string]fileEntry{}
	}
	b, o, t := flat(base), flat(ours), flat(theirs)
	out := map[string]fileEntry{}
	paths := map[string]bool{}
	for _, m := range []map[string]fileEntry{b, o, t} {
		for p := range m {
			paths[p] = true
		}
	}
	for p := range paths {
		bv, inB := b[p]
		ov, inO := o[p]
		tv, inT := t[p]
		switch {
		case inO == inT && ov == tv:
			if inO {
				out[p] = ov
			}
		case inB == inO && bv == ov:
			if inT {
				out[p] = tv
			}
		case inB == inT && bv == tv:
			if inO {
				out[p] = ov
			}
		default:
			return nil, false
		}
	}
	return out, true
}

func (s *Sim) mergePull(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.pull(r)
	if is == nil {
		return
	}
	var body struct {
		CommitTitle   string `json:"commit_title"`
		CommitMessage string `json:"commit_message"`
		SHA           string `json:"sha"`
		MergeMethod   string `json:"merge_method"`
	}
	if !c.decode(&body) {
		return
	}
	switch body.MergeMethod {
	case "", "merge", "squash", "rebase":
	default:
		c.invalid("PullRequest", "merge_method", "invalid", "")
		return
	}
	if hs, _ := s.prSHAs(r, is); body.SHA != "" && body.SHA != hs && is.state == "open" {
		c.fail(http.StatusConflict, "Head branch was modified. Review and try the merge again.")
		return
	}
	sha, status, msg := s.merge(r, is, body.MergeMethod, body.CommitTitle, body.CommitMessage, c.actor)
	if status != 0 {
		c.fail(status, msg)
		return
	}
	c.json(http.StatusOK, obj{"sha": sha, "merged": true, "message": "Pull Request successfully merged"})
}

func (s *Sim) pullFiles(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.pull(r)
	if is == nil {
		return
	}
	hs, bs := s.prSHAs(r, is)
	files := s.diffFiles(r, r.objs.mergeBase(hs, bs), hs)
	if files == nil {
		files = []obj{}
	}
	paginate(c, files)
}

func (s *Sim) pullCommits(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.pull(r)
	if is == nil {
		return
	}
	hs, bs := s.prSHAs(r, is)
	hist := r.objs.history(hs, r.objs.ancestors(bs))
	out := []obj{}
	for i := len(hist) - 1; i >= 0; i-- {
		out = append(out, s.commitJSON(r, hist[i]))
	}
	paginate(c, out)
}
