package githubsim

import (
	"net/http"
	"regexp"
	"strings"
	"time"
)

const maxBody = 65536

// repo returns the repository of the path if the caller's installation may
// see it; otherwise it answers 404 like GitHub (no existence leak).
func (c *call) repo() *repo {
	r := c.s.repos[strings.ToLower(c.path("owner")+"/"+c.path("repo"))]
	if r == nil || (c.inst != nil && r.owner != c.inst.account) || (c.token != nil && c.token.repos != nil && !c.token.repos[strings.ToLower(r.name)]) {
		c.notFound()
		return nil
	}
	return r
}

// nonEmpty answers 409 "Git Repository is empty." for a repository without commits.
func (c *call) nonEmpty(r *repo) bool {
	if len(r.refs) == 0 {
		c.fail(http.StatusConflict, "Git Repository is empty.")
		return false
	}
	return true
}

// resolve turns a branch, tag, "refs/…" name or SHA into a commit SHA.
func resolve(r *repo, ref string) string {
	if ref == "" {
		return r.refs["refs/heads/"+r.defaultBranch]
	}
	for _, k := range []string{ref, "refs/heads/" + ref, "refs/tags/" + ref} {
		if sha, ok := r.refs[k]; ok {
			return peel(r, sha)
		}
	}
	if o, ok := r.objs[ref]; ok && o.typ == "commit" {
		return ref
	}
	if len(ref) >= 7 && len(ref) < 40 {
		for sha, o := range r.objs {
			if o.typ == "commit" && strings.HasPrefix(sha, strings.ToLower(ref)) {
				return sha
			}
		}
	}
	return ""
}

// peel follows annotated tags to the commit.
func peel(r *repo, sha string) string {
	for i := 0; i < 10; i++ {
		o, ok := r.objs[sha]
		if !ok || o.typ != "tag" {
			return sha
		}
		first, _, _ := strings.Cut(string(o.data), "\n")
		sha = strings.TrimPrefix(first, "object ")
	}
	return sha
}

func (s *Sim) listOrgRepos(c *call) {
	o := s.org(c)
	if o == nil {
		return
	}
	var out []obj
	for _, k := range sortedKeys(s.repos) {
		if r := s.repos[k]; r.owner == o {
			out = append(out, s.repoJSON(r))
		}
	}
	paginate(c, out)
}

func (s *Sim) createOrgRepo(c *call) {
	o := s.org(c)
	if o == nil {
		return
	}
	var body struct {
		Name        string  `json:"name"`
		Description string  `json:"description"`
		Homepage    string  `json:"homepage"`
		Private     *bool   `json:"private"`
		Visibility  string  `json:"visibility"`
		AutoInit    bool    `json:"auto_init"`
		TeamID      *int64  `json:"team_id"`
		Default     *string `json:"default_branch"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Name == "" {
		c.invalid("Repository", "name", "missing_field", "")
		return
	}
	private := false
	if body.Private != nil {
		private = *body.Private
	}
	switch body.Visibility {
	case "private", "internal":
		private = true
	case "public":
		private = false
	case "":
	default:
		c.invalid("Repository", "visibility", "invalid", "")
		return
	}
	r, err := s.newRepo(o, body.Name, private, body.Description)
	if err != nil {
		writeError(c.w, http.StatusUnprocessableEntity, "Repository creation failed.", []map[string]any{
			{"resource": "Repository", "code": "custom", "field": "name", "message": "name already exists on this account"}})
		return
	}
	if body.Visibility == "internal" {
		r.visibility = "internal"
	}
	r.homepage = body.Homepage
	if body.TeamID != nil {
		for _, t := range s.teams {
			if t.id == *body.TeamID {
				r.teamPerms[t.id] = "pull"
			}
		}
	}
	if body.AutoInit {
		readme := "# " + r.name + "\n"
		if r.description != "" {
			readme += r.description + "\n"
		}
		sig := s.sigFor(c.actor)
		sha := s.commitTree(r, "", s.applyFiles(r, "", map[string][]byte{"README.md": []byte(readme)}), "Initial commit", sig, sig)
		r.refs["refs/heads/"+r.defaultBranch] = sha
		r.pushedAt = r.createdAt
	}
	c.json(http.StatusCreated, s.repoJSON(r))
}

func (s *Sim) getRepo(c *call) {
	if r := c.repo(); r != nil {
		c.json(http.StatusOK, s.repoJSON(r))
	}
}

func (s *Sim) updateRepo(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var body struct {
		Description   *string `json:"description"`
		Homepage      *string `json:"homepage"`
		DefaultBranch *string `json:"default_branch"`
		Private       *bool   `json:"private"`
		Visibility    *string `json:"visibility"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Description != nil {
		r.description = *body.Description
	}
	if body.Homepage != nil {
		r.homepage = *body.Homepage
	}
	if body.DefaultBranch != nil {
		if _, ok := r.refs["refs/heads/"+*body.DefaultBranch]; !ok && len(r.refs) > 0 {
			c.invalid("Repository", "default_branch", "invalid", "Cannot update default branch for this repository.")
			return
		}
		r.defaultBranch = *body.DefaultBranch
	}
	if body.Private != nil {
		r.private = *body.Private
		r.visibility = map[bool]string{true: "private", false: "public"}[r.private]
	}
	if body.Visibility != nil {
		r.visibility = *body.Visibility
		r.private = r.visibility != "public"
	}
	r.updatedAt = s.now().UTC().Truncate(time.Second)
	c.json(http.StatusOK, s.repoJSON(r))
}

func (s *Sim) getTopics(c *call) {
	if r := c.repo(); r != nil {
		t := r.topics
		if t == nil {
			t = []string{}
		}
		c.json(http.StatusOK, obj{"names": t})
	}
}

var topicRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,49}$`)

func (s *Sim) putTopics(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var body struct {
		Names *[]string `json:"names"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Names == nil {
		c.invalid("Repository", "names", "missing_field", "")
		return
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range *body.Names {
		n = strings.ToLower(n)
		if !topicRE.MatchString(n) {
			writeError(c.w, http.StatusUnprocessableEntity, "Invalid request.\n\n\""+n+"\" is not a valid topic.", nil)
			return
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(out) > 20 {
		c.invalid("Repository", "names", "invalid", "A repository cannot have more than 20 topics.")
		return
	}
	r.topics = out
	t := r.topics
	if t == nil {
		t = []string{}
	}
	c.json(http.StatusOK, obj{"names": t})
}

// --- Git Data ---------------------------------------------------------------
