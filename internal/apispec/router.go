package apispec

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// greedyParams are the path parameters whose values GitHub accepts with
// unescaped slashes when they end a path: file paths in the Contents API,
// fully qualified refs (heads/feature/x) in the Git Data and archive APIs,
// and base...head comparisons of branches with slashes. kin-openapi's
// routers match one segment per parameter, so GET
// /repos/o/r/contents/dir/file.txt or /repos/o/r/git/matching-refs/heads/f/x
// would be "not found" there; this is why the package has its own router.
var greedyParams = map[string]bool{"path": true, "ref": true, "basehead": true}

// omittable are the templates whose greedy last parameter GitHub documents
// as optional although the description marks it required: without a path
// the Contents API lists the root directory, and without a ref the archive
// links use the default branch. go-github asks for the root as
// /contents/ and for the default branch's archive as /zipball, so these
// templates also match an empty or absent last segment, and check leaves
// the empty parameter out of validation.
var omittable = map[string]bool{
	"/repos/{owner}/{repo}/contents/{path}": true,
	"/repos/{owner}/{repo}/tarball/{ref}":   true,
	"/repos/{owner}/{repo}/zipball/{ref}":   true,
}

// router finds the operation of a request by walking a trie of path
// segments: literal segments first, then a one-segment parameter, then a
// greedy parameter that takes the rest of the path, backtracking on failure.
// It matches by path only (GitHub's servers entry names api.github.com,
// while tests run on 127.0.0.1).
type router struct {
	root *node
}

type node struct {
	literal map[string]*node
	param   *node   // one segment
	greedy  []*leaf // templates whose last parameter takes the rest of the path
	leaves  []*leaf // templates ending here (two differ only in parameter names, e.g. attestations/{attestation_id} and /{subject_digest}, each with its methods)
}

// leaf is one path template; names are its parameters in order (the same
// trie position is {owner} in one template and {template_owner} in another).
type leaf struct {
	path  string
	item  *openapi3.PathItem
	names []string
}

func newRouter(doc *openapi3.T) *router {
	r := &router{root: &node{}}
	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, p := range paths {
		segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
		partial := false
		for _, s := range segs {
			if strings.Contains(s, "{") && !(strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") && strings.Count(s, "{") == 1) {
				partial = true
			}
		}
		if partial {
			// Only /repos/{owner}/{repo}/compare/{base}...{head}, an older
			// spelling of .../compare/{basehead} that routes to the same URLs.
			continue
		}
		lf := &leaf{path: p, item: doc.Paths.Value(p)}
		for _, s := range segs {
			if name, ok := paramName(s); ok {
				lf.names = append(lf.names, name)
			}
		}
		n := r.root
		for i, s := range segs {
			if name, ok := paramName(s); ok {
				if i == len(segs)-1 && greedyParams[name] {
					n.greedy = append(n.greedy, lf)
					break
				}
				if n.param == nil {
					n.param = &node{}
				}
				n = n.param
			} else {
				if n.literal == nil {
					n.literal = map[string]*node{}
				}
				c := n.literal[s]
				if c == nil {
					c = &node{}
					n.literal[s] = c
				}
				n = c
			}
			if i == len(segs)-1 {
				n.leaves = append(n.leaves, lf)
			}
		}
	}
	return r
}

func paramName(seg string) (string, bool) {
	if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// find matches an escaped path ("/repos/o/r/contents/a%20b/c") and returns
// the template's path item and the unescaped parameters.
func (r *router) find(method, escapedPath string) (*leaf, map[string]string) {
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	lf, values := r.root.match(method, segs, nil)
	if lf == nil || len(values) != len(lf.names) {
		return nil, nil
	}
	params := make(map[string]string, len(values))
	for i, name := range lf.names {
		params[name] = values[i]
	}
	return lf, params
}

// match returns the template matching segs that has an operation for
// method (any template when method is ""), and the parameter values in path
// order.
func (n *node) match(method string, segs, values []string) (*leaf, []string) {
	if len(segs) == 0 {
		if lf := pick(method, n.leaves); lf != nil {
			return lf, values
		}
		// The template's last segment is an omittable parameter (/zipball).
		for _, lf := range n.greedy {
			if omittable[lf.path] && (method == "" || lf.item.GetOperation(method) != nil) {
				return lf, append(values, "")
			}
		}
		return nil, nil
	}
	if c := n.literal[segs[0]]; c != nil {
		if lf, vs := c.match(method, segs[1:], values); lf != nil {
			return lf, vs
		}
	}
	if n.param != nil && segs[0] != "" {
		if v, err := url.PathUnescape(segs[0]); err == nil {
			if lf, vs := n.param.match(method, segs[1:], append(values[:len(values):len(values)], v)); lf != nil {
				return lf, vs
			}
		}
	}
	if lf := pick(method, n.greedy); lf != nil {
		if v, err := url.PathUnescape(strings.Join(segs, "/")); err == nil {
			return lf, append(values, v)
		}
	}
	return nil, nil
}

func pick(method string, leaves []*leaf) *leaf {
	for _, lf := range leaves {
		if method == "" || lf.item.GetOperation(method) != nil {
			return lf
		}
	}
	return nil
}

// route finds the kin-openapi route of a request whose path has already
// lost any /api/v3 prefix. It returns nil when the path or the method is not
// in GitHub's description.
func (r *router) route(doc *openapi3.T, req *http.Request) (*routers.Route, map[string]string) {
	method := req.Method
	if method == http.MethodHead {
		method = http.MethodGet // GitHub answers HEAD wherever it answers GET
	}
	lf, params := r.find(method, req.URL.EscapedPath())
	if lf == nil {
		return nil, nil
	}
	op := lf.item.GetOperation(method)
	return &routers.Route{Spec: doc, Path: lf.path, PathItem: lf.item, Method: method, Operation: op}, params
}
