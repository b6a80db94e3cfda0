package githubsim

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Repository operations shared by the REST handlers and the control API.
// All are called with s.mu held.

// repoName converts a requested name as GitHub does: every run of characters
// outside [A-Za-z0-9._-] becomes one "-".
func repoName(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range name {
		ok := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '.' || r == '_' || r == '-'
		if ok {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return b.String()
}

func (s *Sim) newRepo(owner *account, name string, private bool, description string) (*repo, error) {
	name = repoName(name)
	k := strings.ToLower(owner.login + "/" + name)
	if _, ok := s.repos[k]; ok {
		return nil, errExists
	}
	now := s.now().UTC().Truncate(time.Second)
	vis := "public"
	if private {
		vis = "private"
	}
	r := &repo{id: s.id(), owner: owner, name: name, private: private, visibility: vis, description: description,
		defaultBranch: "main", createdAt: now, updatedAt: now, objs: objectStore{}, refs: map[string]string{},
		teamPerms: map[int64]string{}}
	for _, l := range defaultLabels {
		r.labels = append(r.labels, &label{id: s.id(), name: l[0], color: l[1], description: l[2], isDefault: true})
	}
	s.repos[k] = r
	return r, nil
}

var errExists = fmt.Errorf("name already exists on this account")

var defaultLabels = [][3]string{
	{"bug", "d73a4a", "Something isn't working"},
	{"documentation", "0075ca", "Improvements or additions to documentation"},
	{"duplicate", "cfd3d7", "This issue or pull request already exists"},
	{"enhancement", "a2eeef", "New feature or request"},
	{"good first issue", "7057ff", "Good for newcomers"},
	{"help wanted", "008672", "Extra attention is needed"},
	{"invalid", "e4e669", "This doesn't seem right"},
	{"question", "d876e3", "Further information is requested"},
	{"wontfix", "ffffff", "This will not be worked on"},
}

func (s *Sim) sigFor(a *account) signature {
	return signature{Name: a.login, Email: a.email, When: s.now().UTC().Truncate(time.Second)}
}

// commitTree writes a commit of the given flat file map on top of parent ("" for a root commit).
func (s *Sim) commitTree(r *repo, parent string, files map[string]fileEntry, msg string, author, committer signature) string {
	tree := r.objs.buildTree(files)
	c := commitData{Tree: tree, Author: author, Committer: committer, Message: msg}
	if parent != "" {
		c.Parents = []string{parent}
	}
	return r.objs.put("commit", encodeCommit(c))
}

// applyFiles returns the flat file map of commit base with files applied
// (nil content deletes).
func (s *Sim) applyFiles(r *repo, base string, files map[string][]byte) map[string]fileEntry {
	flat := map[string]fileEntry{}
	if c, ok := r.objs.commit(base); ok {
		flat = r.objs.flatten(c.Tree)
	}
	for p, content := range files {
		p = strings.Trim(p, "/")
		if content == nil {
			delete(flat, p)
			continue
		}
		mode := "100644"
		if old, ok := flat[p]; ok {
			mode = old.Mode
		}
		flat[p] = fileEntry{Mode: mode, SHA: r.objs.put("blob", content)}
	}
	return flat
}

// moveRef points ref at sha (sha "" deletes it) and fires the events GitHub
// would: push (and create or delete for new or removed refs), and
// pull_request.synchronize for open PRs whose head moved.
func (s *Sim) moveRef(r *repo, ref, sha string, sender *account, forced bool) {
	before := r.refs[ref]
	if sha == "" {
		delete(r.refs, ref)
	} else {
		r.refs[ref] = sha
	}
	now := s.now().UTC().Truncate(time.Second)
	if strings.HasPrefix(ref, "refs/heads/") {
		r.pushedAt = now
		r.updatedAt = now
	}
	if sender == nil {
		sender = s.accounts[strings.ToLower(s.BotLogin())]
	}
	zero := strings.Repeat("0", 40)
	b, a := before, sha
	if b == "" {
		b = zero
	}
	if a == "" {
		a = zero
	}
	refType, short := "branch", strings.TrimPrefix(ref, "refs/heads/")
	if strings.HasPrefix(ref, "refs/tags/") {
		refType, short = "tag", strings.TrimPrefix(ref, "refs/tags/")
	}
	// push
	var commits []any
	var head any
	if sha != "" {
		stop := map[string]bool{}
		if before != "" {
			stop = r.objs.ancestors(before)
		}
		hist := []string{}
		if o, ok := r.objs[sha]; ok && o.typ == "commit" {
			hist = r.objs.history(sha, stop)
		}
		for i := len(hist) - 1; i >= 0; i-- {
			commits = append(commits, s.pushCommit(r, hist[i]))
		}
		if _, ok := r.objs.commit(sha); ok {
			head = s.pushCommit(r, sha)
		}
	}
	if commits == nil {
		commits = []any{}
	}
	var baseRef any
	if refType == "tag" && sha != "" {
		for name, v := range r.refs {
			if strings.HasPrefix(name, "refs/heads/") && v == sha {
				baseRef = name
			}
		}
	}
	repoJSON := s.repoJSON(r)
	repoJSON["created_at"] = r.createdAt.Unix()
	repoJSON["pushed_at"] = r.pushedAt.Unix()
	repoJSON["url"] = s.htmlBase() + "/" + r.fullName()
	repoJSON["stargazers"] = 0
	repoJSON["master_branch"] = r.defaultBranch
	if r.owner.typ == "Organization" {
		repoJSON["organization"] = r.owner.login
	}
	payload := obj{"ref": ref, "before": b, "after": a, "created": before == "", "deleted": sha == "", "forced": forced,
		"base_ref": baseRef, "compare": fmt.Sprintf("%s/%s/compare/%s...%s", s.htmlBase(), r.fullName(), b[:12], a[:12]),
		"commits": commits, "head_commit": head, "pusher": obj{"name": sender.login, "email": sender.email},
		"repository": repoJSON}
	s.fire("push", "", r, sender, payload)
	if before == "" && sha != "" {
		s.fire("create", "", r, sender, obj{"ref": short, "ref_type": refType, "master_branch": r.defaultBranch,
			"description": nilIfEmpty(r.description), "pusher_type": "user"})
	}
	if before != "" && sha == "" {
		s.fire("delete", "", r, sender, obj{"ref": short, "ref_type": refType, "pusher_type": "user"})
		// Deleting a head branch closes its open pull requests.
		for _, is := range r.issues {
			if refType == "branch" && is.pr != nil && is.state == "open" && is.pr.head == short {
				is.pr.headSHA = before
				s.setState(r, is, "closed", "", sender)
			}
		}
	}
	if refType == "branch" && sha != "" && before != "" {
		for _, is := range r.issues {
			if is.pr != nil && is.state == "open" && is.pr.head == short {
				is.updatedAt = now
				s.fire("pull_request", "synchronize", r, sender, obj{"number": is.number, "before": before, "after": sha,
					"pull_request": s.pullJSON(r, is, true)})
			}
		}
	}
}

func (s *Sim) pushCommit(r *repo, sha string) obj {
	c, _ := r.objs.commit(sha)
	var added, removed, modified []string
	var parentTree map[string]fileEntry
	if len(c.Parents) > 0 {
		if pc, ok := r.objs.commit(c.Parents[0]); ok {
			parentTree = r.objs.flatten(pc.Tree)
		}
	}
	cur := r.objs.flatten(c.Tree)
	for p, f := range cur {
		if old, ok := parentTree[p]; !ok {
			added = append(added, p)
		} else if old.SHA != f.SHA {
			modified = append(modified, p)
		}
	}
	for p := range parentTree {
		if _, ok := cur[p]; !ok {
			removed = append(removed, p)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	sort.Strings(modified)
	nz := func(v []string) []string {
		if v == nil {
			return []string{}
		}
		return v
	}
	person := func(sig signature) obj {
		o := obj{"name": sig.Name, "email": sig.Email}
		if a := s.accounts[strings.ToLower(sig.Name)]; a != nil {
			o["username"] = a.login
		}
		return o
	}
	return obj{"id": sha, "tree_id": c.Tree, "distinct": true, "message": c.Message,
		"timestamp": c.Committer.When.Format(time.RFC3339), "url": s.htmlBase() + "/" + r.fullName() + "/commit/" + sha,
		"author": person(c.Author), "committer": person(c.Committer), "added": nz(added), "removed": nz(removed), "modified": nz(modified)}
}

// diffFiles is the diff-entry list between two commits.
func (s *Sim) diffFiles(r *repo, base, head string) []obj {
	var bt, ht map[string]fileEntry
	if c, ok := r.objs.commit(base); ok {
		bt = r.objs.flatten(c.Tree)
	}
	if c, ok := r.objs.commit(head); ok {
		ht = r.objs.flatten(c.Tree)
	}
	paths := map[string]bool{}
	for p := range bt {
		paths[p] = true
	}
	for p := range ht {
		paths[p] = true
	}
	var out []obj
	for _, p := range sortedKeys(paths) {
		b, inB := bt[p]
		h, inH := ht[p]
		if inB && inH && b.SHA == h.SHA {
			continue
		}
		status := "modified"
		sha := h.SHA
		switch {
		case !inB:
			status = "added"
		case !inH:
			status = "removed"
			sha = b.SHA
		}
		add, del, patch := lineDiff(string(r.objs[b.SHA].data), string(r.objs[h.SHA].data))
		u := s.base + "/repos/" + r.fullName()
		out = append(out, obj{"sha": sha, "filename": p, "status": status, "additions": add, "deletions": del, "changes": add + del,
			"blob_url": s.htmlBase() + "/" + r.fullName() + "/blob/" + head + "/" + p, "raw_url": s.htmlBase() + "/" + r.fullName() + "/raw/" + head + "/" + p,
			"contents_url": u + "/contents/" + p + "?ref=" + head, "patch": patch})
	}
	return out
}

// lineDiff counts added and removed lines with an LCS diff (small files) and
// renders a minimal unified patch.
func lineDiff(a, b string) (int, int, string) {
	al, bl := splitLines(a), splitLines(b)
	if len(al)*len(bl) > 4_000_000 {
		return len(bl), len(al), ""
	}
	n, m := len(al), len(bl)
	dp := make([][]int, n+1)
	for i := range dp {
		dp[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if al[i] == bl[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	var sb strings.Builder
	add, del := 0, 0
	i, j := 0, 0
	fmt.Fprintf(&sb, "@@ -1,%d +1,%d @@\n", n, m)
	for i < n || j < m {
		switch {
		case i < n && j < m && al[i] == bl[j]:
			sb.WriteString(" " + al[i] + "\n")
			i++
			j++
		case j < m && (i == n || dp[i][j+1] >= dp[i+1][j]):
			sb.WriteString("+" + bl[j] + "\n")
			add++
			j++
		default:
			sb.WriteString("-" + al[i] + "\n")
			del++
			i++
		}
	}
	return add, del, sb.String()
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
