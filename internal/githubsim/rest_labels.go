package githubsim

// Labels on issues.

import (
	"encoding/json"
	"net/http"
)

func (s *Sim) setLabels(r *repo, is *issue, names []string, sender *account) {
	want := map[*label]bool{}
	var add []*label
	for _, n := range names {
		l := s.labelOrCreate(r, n)
		want[l] = true
		add = append(add, l)
	}
	for _, l := range append([]*label(nil), is.labels...) {
		if !want[l] {
			s.removeLabel(r, is, l, sender)
		}
	}
	s.addLabels(r, is, add, sender)
}

func (s *Sim) issueLabels(r *repo, is *issue) []obj {
	out := []obj{}
	for _, l := range is.labels {
		out = append(out, s.labelJSON(r, l))
	}
	return out
}

func (s *Sim) listIssueLabels(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	if is := c.issue(r, "issue_number"); is != nil {
		paginate(c, s.issueLabels(r, is))
	}
}

func (s *Sim) addIssueLabels(replace bool) func(*call) {
	return func(c *call) {
		r := c.repo()
		if r == nil {
			return
		}
		is := c.issue(r, "issue_number")
		if is == nil {
			return
		}
		raw, err := readAll(c)
		if err != nil {
			return
		}
		// Both {"labels": [...]} and a bare array are accepted, as on GitHub.
		var names []string
		var wrapped struct {
			Labels []json.RawMessage `json:"labels"`
		}
		if json.Unmarshal(raw, &names) != nil {
			if json.Unmarshal(raw, &wrapped) != nil {
				c.fail(http.StatusBadRequest, "Problems parsing JSON")
				return
			}
			for _, l := range wrapped.Labels {
				var n string
				var o struct {
					Name string `json:"name"`
				}
				if json.Unmarshal(l, &n) != nil {
					_ = json.Unmarshal(l, &o)
					n = o.Name
				}
				names = append(names, n)
			}
		}
		if replace {
			s.setLabels(r, is, names, c.actor)
		} else {
			var ls []*label
			for _, n := range names {
				ls = append(ls, s.labelOrCreate(r, n))
			}
			s.addLabels(r, is, ls, c.actor)
		}
		c.json(http.StatusOK, s.issueLabels(r, is))
	}
}

func readAll(c *call) ([]byte, error) {
	var raw json.RawMessage
	if !c.decode(&raw) {
		return nil, errBadJSON
	}
	return raw, nil
}

var errBadJSON = &json.SyntaxError{}

func (s *Sim) removeIssueLabel(c *call) {
	r, is := c.repoIssue()
	if is == nil {
		return
	}
	l := r.label(c.path("name"))
	has := false
	for _, x := range is.labels {
		has = has || x == l
	}
	if l == nil || !has {
		c.fail(http.StatusNotFound, "Label does not exist")
		return
	}
	s.removeLabel(r, is, l, c.actor)
	c.json(http.StatusOK, s.issueLabels(r, is))
}

// --- comments ---------------------------------------------------------------
