package githubsim

// Git data: blobs, trees, commits and references.

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"
)

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
