package githubsim

// The contents API and archives (tarballs, zipballs, codeload).

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"
)

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
