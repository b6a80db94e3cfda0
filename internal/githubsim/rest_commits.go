package githubsim

// Branches, tags, commits, comparisons and raw files.

import (
	"net/http"
	"sort"
	"strings"
)

func (s *Sim) listTags(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var names []string
	for k := range r.refs {
		if strings.HasPrefix(k, "refs/tags/") {
			names = append(names, strings.TrimPrefix(k, "refs/tags/"))
		}
	}
	// GitHub lists tags newest-name-first (reverse lexicographic).
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	var out []obj
	for _, n := range names {
		sha := peel(r, r.refs["refs/tags/"+n])
		out = append(out, obj{"name": n, "node_id": nodeID("Ref", int64(len(n))),
			"commit":      obj{"sha": sha, "url": s.base + "/repos/" + r.fullName() + "/commits/" + sha},
			"zipball_url": s.base + "/repos/" + r.fullName() + "/zipball/refs/tags/" + n,
			"tarball_url": s.base + "/repos/" + r.fullName() + "/tarball/refs/tags/" + n})
	}
	paginate(c, out)
}

func (s *Sim) listBranches(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var out []obj
	for _, k := range sortedKeys(r.refs) {
		if strings.HasPrefix(k, "refs/heads/") {
			sha := r.refs[k]
			out = append(out, obj{"name": strings.TrimPrefix(k, "refs/heads/"), "protected": false,
				"commit": obj{"sha": sha, "url": s.base + "/repos/" + r.fullName() + "/commits/" + sha}})
		}
	}
	paginate(c, out)
}

func (s *Sim) getBranch(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	name := c.path("*")
	sha, ok := r.refs["refs/heads/"+name]
	if !ok {
		c.fail(http.StatusNotFound, "Branch not found")
		return
	}
	u := s.base + "/repos/" + r.fullName() + "/branches/" + name
	c.json(http.StatusOK, obj{"name": name, "commit": s.commitJSON(r, sha), "protected": false,
		"protection":     obj{"enabled": false, "required_status_checks": obj{"enforcement_level": "off", "contexts": []string{}, "checks": []any{}}},
		"protection_url": u + "/protection", "_links": obj{"self": u, "html": s.htmlBase() + "/" + r.fullName() + "/tree/" + name}})
}

func (s *Sim) compare(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	base, head, ok := strings.Cut(c.path("*"), "...")
	if !ok {
		c.notFound()
		return
	}
	bs, hs := resolve(r, base), resolve(r, head)
	if _, ok := r.objs.commit(bs); !ok {
		c.notFound()
		return
	}
	if _, ok := r.objs.commit(hs); !ok {
		c.notFound()
		return
	}
	mb := r.objs.mergeBase(bs, hs)
	ahead := r.objs.history(hs, r.objs.ancestors(bs))
	behind := r.objs.history(bs, r.objs.ancestors(hs))
	status := "diverged"
	switch {
	case len(ahead) == 0 && len(behind) == 0:
		status = "identical"
	case len(behind) == 0:
		status = "ahead"
	case len(ahead) == 0:
		status = "behind"
	}
	commits := []obj{}
	for i := len(ahead) - 1; i >= 0; i-- {
		commits = append(commits, s.commitJSON(r, ahead[i]))
	}
	u := s.base + "/repos/" + r.fullName() + "/compare/" + base + "..." + head
	html := s.htmlBase() + "/" + r.fullName() + "/compare/" + base + "..." + head
	files := s.diffFiles(r, mb, hs)
	if files == nil {
		files = []obj{}
	}
	var mbj any
	if mb != "" {
		mbj = s.commitJSON(r, mb)
	}
	c.json(http.StatusOK, obj{"url": u, "html_url": html, "permalink_url": html, "diff_url": html + ".diff", "patch_url": html + ".patch",
		"base_commit": s.commitJSON(r, bs), "merge_base_commit": mbj, "status": status, "ahead_by": len(ahead),
		"behind_by": len(behind), "total_commits": len(ahead), "commits": commits, "files": files})
}

func (s *Sim) listCommits(c *call) {
	r := c.repo()
	if r == nil || !c.nonEmpty(r) {
		return
	}
	q := c.r.URL.Query()
	sha := resolve(r, q.Get("sha"))
	if _, ok := r.objs.commit(sha); !ok {
		c.notFound()
		return
	}
	var out []obj
	for _, h := range r.objs.history(sha, nil) {
		if p := q.Get("path"); p != "" && !s.touches(r, h, p) {
			continue
		}
		out = append(out, s.commitJSON(r, h))
	}
	paginate(c, out)
}

// touches reports whether commit sha changed path p relative to its first parent.
func (s *Sim) touches(r *repo, sha, p string) bool {
	cd, _ := r.objs.commit(sha)
	cur, ok1 := s.lookup(r, cd.Tree, p)
	if len(cd.Parents) == 0 {
		return ok1
	}
	pd, _ := r.objs.commit(cd.Parents[0])
	prev, ok2 := s.lookup(r, pd.Tree, p)
	return ok1 != ok2 || cur.SHA != prev.SHA
}

func (s *Sim) getCommit(c *call) {
	r := c.repo()
	if r == nil || !c.nonEmpty(r) {
		return
	}
	sha := resolve(r, c.path("*"))
	cd, ok := r.objs.commit(sha)
	if !ok {
		writeError(c.w, http.StatusUnprocessableEntity, "No commit found for SHA: "+c.path("*"), nil)
		return
	}
	j := s.commitJSON(r, sha)
	parent := ""
	if len(cd.Parents) > 0 {
		parent = cd.Parents[0]
	}
	files := s.diffFiles(r, parent, sha)
	add, del := 0, 0
	for _, f := range files {
		add += f["additions"].(int)
		del += f["deletions"].(int)
	}
	if files == nil {
		files = []obj{}
	}
	j["files"] = files
	j["stats"] = obj{"additions": add, "deletions": del, "total": add + del}
	c.json(http.StatusOK, j)
}

// rawGet serves a file the way raw.githubusercontent.com does.
func (s *Sim) rawGet(c *call) {
	r := s.repos[strings.ToLower(c.path("owner")+"/"+c.path("repo"))]
	if r == nil {
		c.notFound()
		return
	}
	cd, ok := r.objs.commit(resolve(r, c.path("ref")))
	if !ok {
		c.notFound()
		return
	}
	e, ok := s.lookup(r, cd.Tree, c.path("*"))
	if !ok || e.typ() != "blob" {
		c.notFound()
		return
	}
	c.w.header.Set("Content-Type", "text/plain; charset=utf-8")
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(r.objs[e.SHA].data)
}
