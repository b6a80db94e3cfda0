package githubsim

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"path"
	"regexp"
	"sort"
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

func (s *Sim) getBlob(c *call) {
	r := c.repo()
	if r == nil || !c.nonEmpty(r) {
		return
	}
	sha := c.path("file_sha")
	o, ok := r.objs[sha]
	if !ok || o.typ != "blob" {
		c.notFound()
		return
	}
	c.json(http.StatusOK, obj{"sha": sha, "node_id": nodeID("Blob", int64(len(sha))), "size": len(o.data),
		"url": s.base + "/repos/" + r.fullName() + "/git/blobs/" + sha, "content": b64lines(o.data), "encoding": "base64"})
}

// b64lines encodes like GitHub: base64 with a newline every 60 characters.
func b64lines(b []byte) string {
	enc := base64.StdEncoding.EncodeToString(b)
	var sb strings.Builder
	for len(enc) > 60 {
		sb.WriteString(enc[:60] + "\n")
		enc = enc[60:]
	}
	sb.WriteString(enc)
	if sb.Len() > 0 {
		sb.WriteString("\n")
	}
	return sb.String()
}

func decodeContent(content, encoding string) ([]byte, bool) {
	switch encoding {
	case "", "utf-8", "utf8":
		return []byte(content), true
	case "base64":
		b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(strings.ReplaceAll(content, "\n", ""), "\r", ""))
		return b, err == nil
	}
	return nil, false
}

func (s *Sim) createBlob(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var body struct {
		Content  *string `json:"content"`
		Encoding string  `json:"encoding"`
	}
	if !c.decode(&body) {
		return
	}
	if !c.nonEmpty(r) {
		return
	}
	if body.Content == nil {
		c.invalid("Blob", "content", "missing_field", "")
		return
	}
	data, ok := decodeContent(*body.Content, body.Encoding)
	if !ok {
		c.invalid("Blob", "encoding", "invalid", "")
		return
	}
	sha := r.objs.put("blob", data)
	c.w.header.Set("Location", s.base+"/repos/"+r.fullName()+"/git/blobs/"+sha)
	c.json(http.StatusCreated, obj{"sha": sha, "url": s.base + "/repos/" + r.fullName() + "/git/blobs/" + sha})
}

func (s *Sim) treeJSON(r *repo, sha string, recursive bool) obj {
	var entries []any
	var walk func(sha, prefix string)
	walk = func(sha, prefix string) {
		es, _ := r.objs.tree(sha)
		sort.Slice(es, func(i, j int) bool { return es[i].Name < es[j].Name })
		for _, e := range es {
			mode := e.Mode
			if mode == "40000" {
				mode = "040000"
			}
			t := e.typ()
			j := obj{"path": prefix + e.Name, "mode": mode, "type": t, "sha": e.SHA,
				"url": s.base + "/repos/" + r.fullName() + "/git/" + t + "s/" + e.SHA}
			if t == "blob" {
				j["size"] = len(r.objs[e.SHA].data)
			}
			if t == "commit" {
				delete(j, "url")
			}
			entries = append(entries, j)
			if recursive && t == "tree" {
				walk(e.SHA, prefix+e.Name+"/")
			}
		}
	}
	walk(sha, "")
	if entries == nil {
		entries = []any{}
	}
	return obj{"sha": sha, "url": s.base + "/repos/" + r.fullName() + "/git/trees/" + sha, "tree": entries, "truncated": false}
}

func (s *Sim) getTree(c *call) {
	r := c.repo()
	if r == nil || !c.nonEmpty(r) {
		return
	}
	sha := c.path("tree_sha")
	if o, ok := r.objs[sha]; !ok || o.typ != "tree" {
		// A commit SHA or ref name is accepted and resolved to its tree.
		cs := resolve(r, sha)
		cd, ok := r.objs.commit(cs)
		if !ok {
			c.notFound()
			return
		}
		sha = cd.Tree
	}
	rec := c.r.URL.Query().Get("recursive")
	c.json(http.StatusOK, s.treeJSON(r, sha, rec != "" && rec != "0" && rec != "false"))
}

func (s *Sim) createTree(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var body struct {
		BaseTree string `json:"base_tree"`
		Tree     []struct {
			Path     string          `json:"path"`
			Mode     string          `json:"mode"`
			Type     string          `json:"type"`
			SHA      json.RawMessage `json:"sha"`
			Content  *string         `json:"content"`
			Encoding string          `json:"encoding"`
		} `json:"tree"`
	}
	if !c.decode(&body) {
		return
	}
	if !c.nonEmpty(r) {
		return
	}
	if body.Tree == nil {
		c.invalid("Tree", "tree", "missing_field", "")
		return
	}
	flat := map[string]fileEntry{}
	if body.BaseTree != "" {
		if _, ok := r.objs.tree(body.BaseTree); !ok {
			writeError(c.w, http.StatusUnprocessableEntity, "base_tree is not a valid tree oid", nil)
			return
		}
		flat = r.objs.flatten(body.BaseTree)
	}
	for _, e := range body.Tree {
		p := strings.Trim(e.Path, "/")
		if p == "" || strings.Contains(p, "//") {
			writeError(c.w, http.StatusUnprocessableEntity, "tree.path contains a malformed path component", nil)
			return
		}
		switch e.Mode {
		case "100644", "100755", "120000", "040000", "160000":
		default:
			writeError(c.w, http.StatusUnprocessableEntity, "tree.mode contains an invalid value", nil)
			return
		}
		isNull := len(e.SHA) > 0 && string(e.SHA) == "null"
		var sha string
		if len(e.SHA) > 0 && !isNull {
			_ = json.Unmarshal(e.SHA, &sha)
		}
		if e.Content != nil && sha != "" {
			writeError(c.w, http.StatusUnprocessableEntity, "tree.sha and tree.content cannot both be set", nil)
			return
		}
		// Remove what is at p (a file, or a whole directory).
		removeAt := func() {
			delete(flat, p)
			for k := range flat {
				if strings.HasPrefix(k, p+"/") {
					delete(flat, k)
				}
			}
		}
		switch {
		case isNull:
			removeAt()
		case e.Content != nil:
			data, _ := decodeContent(*e.Content, e.Encoding)
			removeAt()
			flat[p] = fileEntry{Mode: e.Mode, SHA: r.objs.put("blob", data)}
		case sha != "":
			o, ok := r.objs[sha]
			if e.Mode == "160000" {
				removeAt()
				flat[p] = fileEntry{Mode: e.Mode, SHA: sha}
				continue
			}
			if !ok {
				writeError(c.w, http.StatusUnprocessableEntity, "tree.sha "+sha+" is not a valid "+map[bool]string{true: "tree", false: "blob"}[e.Mode == "040000"], nil)
				return
			}
			removeAt()
			if o.typ == "tree" {
				for sub, f := range r.objs.flatten(sha) {
					flat[p+"/"+sub] = f
				}
			} else {
				flat[p] = fileEntry{Mode: e.Mode, SHA: sha}
			}
		default:
			writeError(c.w, http.StatusUnprocessableEntity, "Must supply either tree.sha or tree.content", nil)
			return
		}
	}
	sha := r.objs.buildTree(flat)
	c.w.header.Set("Location", s.base+"/repos/"+r.fullName()+"/git/trees/"+sha)
	c.json(http.StatusCreated, s.treeJSON(r, sha, false))
}

func (s *Sim) getGitCommit(c *call) {
	r := c.repo()
	if r == nil || !c.nonEmpty(r) {
		return
	}
	sha := c.path("commit_sha")
	cd, ok := r.objs.commit(sha)
	if !ok {
		c.notFound()
		return
	}
	c.json(http.StatusOK, s.gitCommitJSON(r, sha, cd))
}

type gitPerson struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Date  string `json:"date"`
}

func (s *Sim) personSig(p *gitPerson, fallback signature) signature {
	if p == nil {
		return fallback
	}
	sig := signature{Name: p.Name, Email: p.Email, When: fallback.When}
	if p.Date != "" {
		if t, err := time.Parse(time.RFC3339, p.Date); err == nil {
			sig.When = t
		}
	}
	return sig
}

func (s *Sim) createGitCommit(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var body struct {
		Message   *string    `json:"message"`
		Tree      string     `json:"tree"`
		Parents   []string   `json:"parents"`
		Author    *gitPerson `json:"author"`
		Committer *gitPerson `json:"committer"`
	}
	if !c.decode(&body) {
		return
	}
	if !c.nonEmpty(r) {
		return
	}
	if body.Message == nil {
		c.invalid("Commit", "message", "missing_field", "")
		return
	}
	if _, ok := r.objs.tree(body.Tree); !ok {
		writeError(c.w, http.StatusUnprocessableEntity, "Tree SHA does not exist", nil)
		return
	}
	for _, p := range body.Parents {
		if _, ok := r.objs.commit(p); !ok {
			writeError(c.w, http.StatusUnprocessableEntity, "Parent SHA does not exist or is not a commit object", nil)
			return
		}
	}
	bot := s.sigFor(c.actor)
	author := s.personSig(body.Author, bot)
	committer := s.personSig(body.Committer, author)
	if body.Committer == nil {
		committer = author
	}
	cd := commitData{Tree: body.Tree, Parents: body.Parents, Author: author, Committer: committer, Message: *body.Message}
	sha := r.objs.put("commit", encodeCommit(cd))
	c.w.header.Set("Location", s.base+"/repos/"+r.fullName()+"/git/commits/"+sha)
	c.json(http.StatusCreated, s.gitCommitJSON(r, sha, cd))
}

func (s *Sim) getRef(c *call) {
	r := c.repo()
	if r == nil || !c.nonEmpty(r) {
		return
	}
	name := "refs/" + strings.TrimPrefix(c.path("*"), "refs/")
	sha, ok := r.refs[name]
	if !ok {
		c.notFound()
		return
	}
	c.json(http.StatusOK, s.refJSON(r, name, sha))
}

func (s *Sim) matchingRefs(c *call) {
	r := c.repo()
	if r == nil || !c.nonEmpty(r) {
		return
	}
	prefix := "refs/" + strings.TrimPrefix(c.path("*"), "refs/")
	var out []obj
	for _, k := range sortedKeys(r.refs) {
		if strings.HasPrefix(k, prefix) {
			out = append(out, s.refJSON(r, k, r.refs[k]))
		}
	}
	if out == nil {
		out = []obj{}
	}
	c.json(http.StatusOK, out)
}

func (s *Sim) createRef(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var body struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if !c.decode(&body) {
		return
	}
	if !c.nonEmpty(r) {
		return
	}
	if !strings.HasPrefix(body.Ref, "refs/") || strings.Count(body.Ref, "/") < 2 {
		writeError(c.w, http.StatusUnprocessableEntity, "Reference name must start with 'refs/' and have at least two slashes.", nil)
		return
	}
	if _, ok := r.objs[body.SHA]; !ok {
		writeError(c.w, http.StatusUnprocessableEntity, "Object does not exist", nil)
		return
	}
	if _, ok := r.refs[body.Ref]; ok {
		writeError(c.w, http.StatusUnprocessableEntity, "Reference already exists", nil)
		return
	}
	if p := s.workflowChange(r, r.refs["refs/heads/"+r.defaultBranch], body.SHA); p != "" && strings.HasPrefix(body.Ref, "refs/heads/") {
		c.refuseWorkflow(p)
		return
	}
	s.moveRef(r, body.Ref, body.SHA, c.actor, false)
	c.w.header.Set("Location", s.base+"/repos/"+r.fullName()+"/git/"+body.Ref)
	c.json(http.StatusCreated, s.refJSON(r, body.Ref, body.SHA))
}

func (s *Sim) updateRef(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var body struct {
		SHA   string `json:"sha"`
		Force bool   `json:"force"`
	}
	if !c.decode(&body) {
		return
	}
	if !c.nonEmpty(r) {
		return
	}
	name := "refs/" + strings.TrimPrefix(c.path("*"), "refs/")
	old, ok := r.refs[name]
	if !ok {
		writeError(c.w, http.StatusUnprocessableEntity, "Reference does not exist", nil)
		return
	}
	if _, ok := r.objs[body.SHA]; !ok {
		writeError(c.w, http.StatusUnprocessableEntity, "Object does not exist", nil)
		return
	}
	ff := r.objs.isAncestor(old, body.SHA)
	if !body.Force && !ff {
		writeError(c.w, http.StatusUnprocessableEntity, "Update is not a fast forward", nil)
		return
	}
	if p := s.workflowChange(r, old, body.SHA); p != "" {
		c.refuseWorkflow(p)
		return
	}
	if old != body.SHA {
		s.moveRef(r, name, body.SHA, c.actor, !ff)
	}
	c.json(http.StatusOK, s.refJSON(r, name, body.SHA))
}

func (s *Sim) deleteRef(c *call) {
	r := c.repo()
	if r == nil || !c.nonEmpty(r) {
		return
	}
	name := "refs/" + strings.TrimPrefix(c.path("*"), "refs/")
	if _, ok := r.refs[name]; !ok {
		writeError(c.w, http.StatusUnprocessableEntity, "Reference does not exist", nil)
		return
	}
	s.moveRef(r, name, "", c.actor, false)
	c.w.WriteHeader(http.StatusNoContent)
}

// --- Contents -----------------------------------------------------------------

func (s *Sim) contentJSON(r *repo, p, ref string, f fileEntry, withContent bool) obj {
	u := s.base + "/repos/" + r.fullName() + "/contents/" + p + "?ref=" + ref
	typ := "file"
	switch f.Mode {
	case "40000", "040000":
		typ = "dir"
	case "120000":
		typ = "symlink"
	case "160000":
		typ = "submodule"
	}
	kind := map[bool]string{true: "trees", false: "blobs"}[typ == "dir"]
	git := s.base + "/repos/" + r.fullName() + "/git/" + kind + "/" + f.SHA
	html := s.htmlBase() + "/" + r.fullName() + "/" + map[bool]string{true: "tree", false: "blob"}[typ == "dir"] + "/" + ref + "/" + p
	var download any
	size := 0
	if typ == "file" {
		// raw.githubusercontent.com's role: served unauthenticated under /_raw/.
		download = strings.TrimSuffix(s.base, "/api/v3") + "/_raw/" + r.fullName() + "/" + resolve(r, ref) + "/" + p
		size = len(r.objs[f.SHA].data)
	}
	j := obj{"type": typ, "name": path.Base(p), "path": p, "sha": f.SHA, "size": size, "url": u, "git_url": git,
		"html_url": html, "download_url": download, "_links": obj{"self": u, "git": git, "html": html}}
	if withContent && typ == "file" {
		j["content"] = b64lines(r.objs[f.SHA].data)
		j["encoding"] = "base64"
	}
	return j
}

func (s *Sim) getContents(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	if len(r.refs) == 0 {
		c.fail(http.StatusNotFound, "This repository is empty.")
		return
	}
	refName := c.r.URL.Query().Get("ref")
	if refName == "" {
		refName = r.defaultBranch
	}
	sha := resolve(r, refName)
	cd, ok := r.objs.commit(sha)
	if !ok {
		c.fail(http.StatusNotFound, "No commit found for the ref "+refName)
		return
	}
	p := strings.Trim(c.path("*"), "/")
	treeSHA := cd.Tree
	if p != "" {
		e, ok := s.lookup(r, cd.Tree, p)
		if !ok {
			c.notFound()
			return
		}
		if e.typ() != "tree" {
			if strings.Contains(c.r.Header.Get("Accept"), "raw") {
				c.w.header.Set("Content-Type", "application/vnd.github.raw")
				c.w.WriteHeader(http.StatusOK)
				_, _ = c.w.Write(r.objs[e.SHA].data)
				return
			}
			c.json(http.StatusOK, s.contentJSON(r, p, refName, fileEntry{Mode: e.Mode, SHA: e.SHA}, true))
			return
		}
		treeSHA = e.SHA
	}
	es, _ := r.objs.tree(treeSHA)
	sort.Slice(es, func(i, j int) bool { return es[i].Name < es[j].Name })
	out := []obj{}
	for _, e := range es {
		out = append(out, s.contentJSON(r, strings.TrimPrefix(p+"/"+e.Name, "/"), refName, fileEntry{Mode: e.Mode, SHA: e.SHA}, false))
	}
	c.json(http.StatusOK, out)
}

func (s *Sim) lookup(r *repo, tree, p string) (treeEntry, bool) {
	parts := strings.Split(p, "/")
	cur := tree
	for i, part := range parts {
		es, _ := r.objs.tree(cur)
		found := false
		for _, e := range es {
			if e.Name == part {
				if i == len(parts)-1 {
					return e, true
				}
				if e.typ() != "tree" {
					return treeEntry{}, false
				}
				cur, found = e.SHA, true
				break
			}
		}
		if !found {
			return treeEntry{}, false
		}
	}
	return treeEntry{}, false
}

func (s *Sim) putContents(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var body struct {
		Message   *string    `json:"message"`
		Content   *string    `json:"content"`
		SHA       string     `json:"sha"`
		Branch    string     `json:"branch"`
		Author    *gitPerson `json:"author"`
		Committer *gitPerson `json:"committer"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Message == nil {
		c.invalid("Contents", "message", "missing_field", "")
		return
	}
	if body.Content == nil {
		c.invalid("Contents", "content", "missing_field", "")
		return
	}
	data, err := base64.StdEncoding.DecodeString(*body.Content)
	if err != nil {
		c.fail(http.StatusBadRequest, "content is not valid Base64")
		return
	}
	p := strings.Trim(c.path("*"), "/")
	branch := body.Branch
	if branch == "" {
		branch = r.defaultBranch
	}
	ref := "refs/heads/" + branch
	parent := r.refs[ref]
	if parent == "" && len(r.refs) > 0 {
		writeError(c.w, http.StatusNotFound, "Branch "+branch+" not found", nil)
		return
	}
	var existing *treeEntry
	if cd, ok := r.objs.commit(parent); ok {
		if e, ok := s.lookup(r, cd.Tree, p); ok {
			existing = &e
		}
	}
	switch {
	case existing != nil && body.SHA == "":
		c.invalid("", "", "", "")
		c.w.body.Reset()
		writeError(c.w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"sha\" wasn't supplied.", nil)
		return
	case existing != nil && body.SHA != existing.SHA:
		writeError(c.w, http.StatusConflict, p+" does not match "+body.SHA, nil)
		return
	case existing == nil && body.SHA != "":
		writeError(c.w, http.StatusUnprocessableEntity, "sha does not match", nil)
		return
	case strings.HasPrefix(p, ".github/workflows/") && s.perms["workflows"] != "write":
		c.refuseWorkflow(p)
		return
	}
	bot := s.sigFor(c.actor)
	author := s.personSig(body.Author, bot)
	committer := s.personSig(body.Committer, author)
	flat := s.applyFiles(r, parent, map[string][]byte{p: data})
	sha := s.commitTree(r, parent, flat, *body.Message, author, committer)
	s.moveRef(r, ref, sha, c.actor, false)
	cd, _ := r.objs.commit(sha)
	status := http.StatusCreated
	if existing != nil {
		status = http.StatusOK
	}
	content := s.contentJSON(r, p, branch, flat[p], false)
	c.json(status, obj{"content": content, "commit": s.gitCommitJSON(r, sha, cd)})
}

// --- archives, tags, branches, compare, commits -----------------------------

type archiveReq struct {
	repo    *repo
	sha     string
	format  string
	expires time.Time
}

func (s *Sim) archive(format string) func(*call) {
	return func(c *call) {
		r := c.repo()
		if r == nil {
			return
		}
		sha := resolve(r, c.path("*"))
		if _, ok := r.objs.commit(sha); !ok {
			c.notFound()
			return
		}
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		key := hex.EncodeToString(b)
		s.codeload[key] = archiveReq{repo: r, sha: sha, format: format, expires: s.now().Add(5 * time.Minute)}
		c.w.header.Set("Location", strings.TrimSuffix(s.base, "/api/v3")+"/_codeload/"+key)
		c.w.WriteHeader(http.StatusFound)
	}
}

func (s *Sim) codeloadGet(c *call) {
	a, ok := s.codeload[c.path("key")]
	if !ok || s.now().After(a.expires) {
		c.notFound()
		return
	}
	r := a.repo
	cd, _ := r.objs.commit(a.sha)
	top := r.owner.login + "-" + r.name + "-" + a.sha[:7] + "/"
	files := r.objs.flatten(cd.Tree)
	var buf bytes.Buffer
	if a.format == "zip" {
		zw := zip.NewWriter(&buf)
		for _, p := range sortedKeys(files) {
			w, _ := zw.Create(top + p)
			_, _ = w.Write(r.objs[files[p].SHA].data)
		}
		_ = zw.Close()
		c.w.header.Set("Content-Type", "application/zip")
	} else {
		gz := gzip.NewWriter(&buf)
		tw := tar.NewWriter(gz)
		mtime := cd.Committer.When
		_ = tw.WriteHeader(&tar.Header{Name: top, Typeflag: tar.TypeDir, Mode: 0o775, ModTime: mtime})
		dirs := map[string]bool{}
		for _, p := range sortedKeys(files) {
			for d := path.Dir(p); d != "."; d = path.Dir(d) {
				if !dirs[d] {
					dirs[d] = true
					_ = tw.WriteHeader(&tar.Header{Name: top + d + "/", Typeflag: tar.TypeDir, Mode: 0o775, ModTime: mtime})
				}
			}
			f := files[p]
			data := r.objs[f.SHA].data
			h := &tar.Header{Name: top + p, Mode: 0o664, Size: int64(len(data)), ModTime: mtime, Typeflag: tar.TypeReg}
			if f.Mode == "100755" {
				h.Mode = 0o775
			}
			if f.Mode == "120000" {
				h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, string(data), 0
				_ = tw.WriteHeader(h)
				continue
			}
			_ = tw.WriteHeader(h)
			_, _ = tw.Write(data)
		}
		_ = tw.Close()
		_ = gz.Close()
		c.w.header.Set("Content-Type", "application/x-gzip")
	}
	c.w.header.Set("Content-Disposition", "attachment; filename="+strings.TrimSuffix(top, "/")+"."+a.format)
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(buf.Bytes())
}

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
