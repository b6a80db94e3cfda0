package githubsim

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

func (c *call) issue(r *repo, param string) *issue {
	n, err := strconv.Atoi(c.path(param))
	if err != nil || n < 1 || n > len(r.issues) {
		c.notFound()
		return nil
	}
	return r.issues[n-1]
}

// repoIssue finds the request's repository and its issue_number issue,
// answering 404 (and returning a nil issue) when either is not there.
func (c *call) repoIssue() (*repo, *issue) {
	r := c.repo()
	if r == nil {
		return nil, nil
	}
	return r, c.issue(r, "issue_number")
}

// tooLong answers 422 for a body over GitHub's 65,536 characters.
func (c *call) tooLong(resource, body string) bool {
	if utf8.RuneCountInString(body) > maxBody {
		c.invalid(resource, "body", "custom", "body is too long (maximum is 65536 characters)")
		return true
	}
	return false
}

func (r *repo) label(name string) *label {
	for _, l := range r.labels {
		if strings.EqualFold(l.name, name) {
			return l
		}
	}
	return nil
}

// labelOrCreate returns the label, creating it as the REST API does for
// names that do not exist yet.
func (s *Sim) labelOrCreate(r *repo, name string) *label {
	if l := r.label(name); l != nil {
		return l
	}
	l := &label{id: s.id(), name: name, color: "ededed"}
	r.labels = append(r.labels, l)
	return l
}

// issueEvent fires issues.* or pull_request.* for is.
func (s *Sim) issueEvent(r *repo, is *issue, action string, sender *account, extra obj) {
	p := obj{}
	for k, v := range extra {
		p[k] = v
	}
	if is.pr != nil {
		p["number"] = is.number
		p["pull_request"] = s.pullJSON(r, is, true)
		s.fire("pull_request", action, r, sender, p)
		return
	}
	p["issue"] = s.issueJSON(r, is)
	s.fire("issues", action, r, sender, p)
}

func (s *Sim) newIssue(r *repo, author *account, title, body string, labels []*label, pr *pull) *issue {
	now := s.now().UTC().Truncate(time.Second)
	is := &issue{id: s.id(), number: len(r.issues) + 1, title: title, body: body, user: author, state: "open",
		labels: labels, createdAt: now, updatedAt: now, pr: pr}
	r.issues = append(r.issues, is)
	return is
}

func (s *Sim) addLabels(r *repo, is *issue, ls []*label, sender *account) {
	for _, l := range ls {
		has := false
		for _, x := range is.labels {
			if x == l {
				has = true
			}
		}
		if !has {
			is.labels = append(is.labels, l)
			is.updatedAt = s.now().UTC().Truncate(time.Second)
			s.issueEvent(r, is, "labeled", sender, obj{"label": s.labelJSON(r, l)})
		}
	}
}

func (s *Sim) removeLabel(r *repo, is *issue, l *label, sender *account) {
	for i, x := range is.labels {
		if x == l {
			is.labels = append(is.labels[:i:i], is.labels[i+1:]...)
			is.updatedAt = s.now().UTC().Truncate(time.Second)
			s.issueEvent(r, is, "unlabeled", sender, obj{"label": s.labelJSON(r, l)})
			return
		}
	}
}

// setState closes or reopens an issue or PR and fires the event.
func (s *Sim) setState(r *repo, is *issue, state, reason string, sender *account) {
	if state == is.state {
		if state == "closed" && reason != "" {
			is.stateReason = reason
		}
		return
	}
	now := s.now().UTC().Truncate(time.Second)
	is.state = state
	is.updatedAt = now
	if state == "closed" {
		if reason == "" {
			reason = "completed"
		}
		if is.pr != nil {
			reason = ""
			is.pr.headSHA, is.pr.baseSHA = s.prSHAs(r, is)
		}
		is.stateReason = reason
		is.closedAt = now
		is.closedBy = sender
		s.issueEvent(r, is, "closed", sender, nil)
		return
	}
	is.closedAt = time.Time{}
	is.closedBy = nil
	if is.pr == nil {
		is.stateReason = "reopened"
	}
	s.issueEvent(r, is, "reopened", sender, nil)
}

func (s *Sim) listIssues(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	q := c.r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var want []string
	if l := q.Get("labels"); l != "" {
		want = strings.Split(l, ",")
	}
	var list []*issue
	for _, is := range r.issues {
		if state != "all" && is.state != state {
			continue
		}
		if cr := q.Get("creator"); cr != "" && !strings.EqualFold(is.user.login, cr) {
			continue
		}
		ok := true
		for _, w := range want {
			found := false
			for _, l := range is.labels {
				if strings.EqualFold(l.name, strings.TrimSpace(w)) {
					found = true
				}
			}
			ok = ok && found
		}
		if !ok {
			continue
		}
		if since := q.Get("since"); since != "" {
			if t, err := time.Parse(time.RFC3339, since); err == nil && is.updatedAt.Before(t) {
				continue
			}
		}
		list = append(list, is)
	}
	sortIssues(list, q.Get("sort"), q.Get("direction"))
	out := make([]obj, 0, len(list))
	for _, is := range list {
		out = append(out, s.issueJSON(r, is))
	}
	paginate(c, out)
}

func sortIssues(list []*issue, by, dir string) {
	key := func(is *issue) time.Time {
		if by == "updated" {
			return is.updatedAt
		}
		return is.createdAt
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := key(list[i]), key(list[j])
		if a.Equal(b) {
			if dir == "asc" {
				return list[i].number < list[j].number
			}
			return list[i].number > list[j].number
		}
		if dir == "asc" {
			return a.Before(b)
		}
		return a.After(b)
	})
}

func (s *Sim) createIssue(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var body struct {
		Title     json.RawMessage `json:"title"`
		Body      string          `json:"body"`
		Labels    []string        `json:"labels"`
		Assignees []string        `json:"assignees"`
	}
	if !c.decode(&body) {
		return
	}
	var title string
	_ = json.Unmarshal(body.Title, &title)
	if title == "" {
		c.invalid("Issue", "title", "missing_field", "")
		return
	}
	if c.tooLong("Issue", body.Body) {
		return
	}
	is := s.newIssue(r, c.actor, title, body.Body, nil, nil)
	for _, n := range body.Labels {
		l := s.labelOrCreate(r, n)
		is.labels = append(is.labels, l)
	}
	for _, a := range body.Assignees {
		if u := s.accounts[strings.ToLower(a)]; u != nil {
			is.assignees = append(is.assignees, u)
		}
	}
	s.issueEvent(r, is, "opened", c.actor, nil)
	c.w.header.Set("Location", s.base+"/repos/"+r.fullName()+"/issues/"+strconv.Itoa(is.number))
	c.json(http.StatusCreated, s.issueJSON(r, is))
}

func (s *Sim) getIssue(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	if is := c.issue(r, "issue_number"); is != nil {
		c.json(http.StatusOK, s.issueJSON(r, is))
	}
}

func (s *Sim) updateIssue(c *call) {
	r, is := c.repoIssue()
	if is == nil {
		return
	}
	var body struct {
		Title       *string   `json:"title"`
		Body        *string   `json:"body"`
		State       *string   `json:"state"`
		StateReason *string   `json:"state_reason"`
		Labels      *[]string `json:"labels"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Body != nil && c.tooLong("Issue", *body.Body) {
		return
	}
	if body.State != nil && *body.State != "open" && *body.State != "closed" {
		c.invalid("Issue", "state", "invalid", "")
		return
	}
	if body.StateReason != nil {
		switch *body.StateReason {
		case "completed", "not_planned", "reopened", "duplicate":
		default:
			c.invalid("Issue", "state_reason", "invalid", "")
			return
		}
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
	if len(changes) > 0 {
		is.updatedAt = s.now().UTC().Truncate(time.Second)
		s.issueEvent(r, is, "edited", c.actor, obj{"changes": changes})
	}
	if body.Labels != nil {
		s.setLabels(r, is, *body.Labels, c.actor)
	}
	if body.State != nil {
		reason := ""
		if body.StateReason != nil {
			reason = *body.StateReason
		}
		s.setState(r, is, *body.State, reason, c.actor)
	} else if body.StateReason != nil && is.state == "closed" {
		is.stateReason = *body.StateReason
	}
	c.json(http.StatusOK, s.issueJSON(r, is))
}
