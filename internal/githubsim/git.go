package githubsim

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/gitobject"
)

// Git objects are stored exactly as git stores them (type, size, NUL,
// content), so every SHA the simulator hands out is the SHA git would compute
// for the same content: a bot that compares SHAs with a local checkout works
// against the simulator as it does against GitHub.

type object struct {
	typ  string // blob, tree, commit, tag
	data []byte
}

// treeEntry is one row of a tree object.
type treeEntry struct {
	Mode string // 100644, 100755, 120000, 40000, 160000
	Name string
	SHA  string
}

func (e treeEntry) typ() string {
	switch e.Mode {
	case "40000", "040000":
		return "tree"
	case "160000":
		return "commit"
	}
	return "blob"
}

// signature is a git author or committer.
type signature struct {
	Name  string
	Email string
	When  time.Time
}

func (s signature) encode() string {
	_, off := s.When.Zone()
	sign := '+'
	if off < 0 {
		sign = '-'
		off = -off
	}
	return fmt.Sprintf("%s <%s> %d %c%02d%02d", s.Name, s.Email, s.When.Unix(), sign, off/3600, (off%3600)/60)
}

type commitData struct {
	Tree      string
	Parents   []string
	Author    signature
	Committer signature
	Message   string
}

// objectStore is one repository's object database.
type objectStore map[string]object

func (st objectStore) put(typ string, data []byte) string {
	sha := gitobject.Hash(typ, data)
	if _, ok := st[sha]; !ok {
		st[sha] = object{typ: typ, data: data}
	}
	return sha
}

// encodeTree sorts entries the way git does (a tree sorts as if its name
// ended with "/") and serialises them.
func encodeTree(entries []treeEntry) []byte {
	sorted := append([]treeEntry(nil), entries...)
	key := func(e treeEntry) string {
		if e.typ() == "tree" {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(sorted, func(i, j int) bool { return key(sorted[i]) < key(sorted[j]) })
	var b bytes.Buffer
	for _, e := range sorted {
		mode := e.Mode
		if mode == "040000" {
			mode = "40000"
		}
		raw, _ := hex.DecodeString(e.SHA)
		b.WriteString(mode)
		b.WriteByte(' ')
		b.WriteString(e.Name)
		b.WriteByte(0)
		b.Write(raw)
	}
	return b.Bytes()
}

func decodeTree(data []byte) ([]treeEntry, error) {
	var out []treeEntry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		nul := bytes.IndexByte(data, 0)
		if sp < 0 || nul < sp || len(data) < nul+21 {
			return nil, fmt.Errorf("corrupt tree object")
		}
		out = append(out, treeEntry{Mode: string(data[:sp]), Name: string(data[sp+1 : nul]), SHA: hex.EncodeToString(data[nul+1 : nul+21])})
		data = data[nul+21:]
	}
	return out, nil
}

func encodeCommit(c commitData) []byte {
	var b strings.Builder
	b.WriteString("tree " + c.Tree + "\n")
	for _, p := range c.Parents {
		b.WriteString("parent " + p + "\n")
	}
	b.WriteString("author " + c.Author.encode() + "\n")
	b.WriteString("committer " + c.Committer.encode() + "\n")
	b.WriteString("\n")
	b.WriteString(c.Message)
	return []byte(b.String())
}

func parseSig(s string) signature {
	lt := strings.LastIndex(s, " <")
	gt := strings.LastIndex(s, "> ")
	if lt < 0 || gt < lt {
		return signature{Name: s}
	}
	sig := signature{Name: s[:lt], Email: s[lt+2 : gt]}
	rest := strings.Fields(s[gt+2:])
	if len(rest) == 2 {
		sec, _ := strconv.ParseInt(rest[0], 10, 64)
		tz := rest[1]
		off := 0
		if len(tz) == 5 {
			h, _ := strconv.Atoi(tz[1:3])
			m, _ := strconv.Atoi(tz[3:5])
			off = h*3600 + m*60
			if tz[0] == '-' {
				off = -off
			}
		}
		sig.When = time.Unix(sec, 0).In(time.FixedZone("", off))
	}
	return sig
}

func decodeCommit(data []byte) (commitData, error) {
	var c commitData
	head, msg, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok {
		return c, fmt.Errorf("corrupt commit object")
	}
	c.Message = string(msg)
	for _, line := range strings.Split(string(head), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "tree":
			c.Tree = v
		case "parent":
			c.Parents = append(c.Parents, v)
		case "author":
			c.Author = parseSig(v)
		case "committer":
			c.Committer = parseSig(v)
		}
	}
	return c, nil
}

func (st objectStore) commit(sha string) (commitData, bool) {
	o, ok := st[sha]
	if !ok || o.typ != "commit" {
		return commitData{}, false
	}
	c, err := decodeCommit(o.data)
	return c, err == nil
}

func (st objectStore) tree(sha string) ([]treeEntry, bool) {
	o, ok := st[sha]
	if !ok || o.typ != "tree" {
		return nil, false
	}
	es, err := decodeTree(o.data)
	return es, err == nil
}

// fileEntry is a non-tree entry of a flattened tree.
type fileEntry struct {
	Mode string
	SHA  string
}

// flatten lists every non-tree entry under tree sha by full path.
func (st objectStore) flatten(sha string) map[string]fileEntry {
	out := map[string]fileEntry{}
	st.flattenInto(sha, "", out)
	return out
}

func (st objectStore) flattenInto(sha, prefix string, out map[string]fileEntry) {
	entries, _ := st.tree(sha)
	for _, e := range entries {
		p := prefix + e.Name
		if e.typ() == "tree" {
			st.flattenInto(e.SHA, p+"/", out)
			continue
		}
		out[p] = fileEntry{Mode: e.Mode, SHA: e.SHA}
	}
}

// buildTree writes the trees for a flat path map and returns the root SHA.
func (st objectStore) buildTree(files map[string]fileEntry) string {
	type dir struct {
		files map[string]fileEntry
		dirs  map[string]map[string]fileEntry
	}
	d := dir{files: map[string]fileEntry{}, dirs: map[string]map[string]fileEntry{}}
	for p, f := range files {
		first, rest, nested := strings.Cut(p, "/")
		if !nested {
			d.files[first] = f
			continue
		}
		if d.dirs[first] == nil {
			d.dirs[first] = map[string]fileEntry{}
		}
		d.dirs[first][rest] = f
	}
	var entries []treeEntry
	for name, f := range d.files {
		entries = append(entries, treeEntry{Mode: f.Mode, Name: name, SHA: f.SHA})
	}
	for name, sub := range d.dirs {
		entries = append(entries, treeEntry{Mode: "40000", Name: name, SHA: st.buildTree(sub)})
	}
	return st.put("tree", encodeTree(entries))
}

// isAncestor reports whether anc is reachable from sha.
func (st objectStore) isAncestor(anc, sha string) bool {
	seen := map[string]bool{}
	stack := []string{sha}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s == anc {
			return true
		}
		if seen[s] {
			continue
		}
		seen[s] = true
		c, ok := st.commit(s)
		if ok {
			stack = append(stack, c.Parents...)
		}
	}
	return false
}

// history lists commits reachable from sha, newest first (by first-parent
// walk plus merged parents, in BFS order, which is enough for linear history).
func (st objectStore) history(sha string, stop map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	queue := []string{sha}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if seen[s] || stop[s] {
			continue
		}
		seen[s] = true
		c, ok := st.commit(s)
		if !ok {
			continue
		}
		out = append(out, s)
		queue = append(queue, c.Parents...)
	}
	return out
}

func (st objectStore) ancestors(sha string) map[string]bool {
	m := map[string]bool{}
	for _, s := range st.history(sha, nil) {
		m[s] = true
	}
	return m
}

// mergeBase returns the first commit reachable from b that is an ancestor of a.
func (st objectStore) mergeBase(a, b string) string {
	anc := st.ancestors(a)
	for _, s := range st.history(b, nil) {
		if anc[s] {
			return s
		}
	}
	return ""
}
