package githubsim

import (
	"net/http"
	"sort"
	"strings"
)

// DefaultPermissions are the App's permissions unless Options.Permissions
// or SetPermissions say otherwise.
var DefaultPermissions = map[string]string{
	"administration": "write", "contents": "write", "issues": "write", "pull_requests": "write",
	"metadata": "read", "members": "read", "workflows": "write",
}

// RequiredPermission is the App permission (name, "read" or "write") GitHub
// requires for a route as Counts names it ("METHOD /path/{template}"; "" when
// none): the permission-to-endpoint table of GitHub's docs, restricted to the
// routes the simulator serves. A test can derive the least permissions an
// App needs from the routes it called.
func RequiredPermission(routeKey string) (string, string) {
	method, route, _ := strings.Cut(routeKey, " ")
	return requiredPermission(method, route)
}

func requiredPermission(method, route string) (string, string) {
	read := method == http.MethodGet
	level := "write"
	if read {
		level = "read"
	}
	switch {
	case strings.HasPrefix(route, "/app"), route == "/rate_limit", strings.HasSuffix(route, "}/installation"), strings.HasPrefix(route, "/users/"),
		route == "/orgs/{org}", strings.HasPrefix(route, "/_"):
		return "", ""
	case route == "/graphql":
		return "pull_requests", "write"
	case route == "/installation/repositories":
		return "metadata", "read"
	case strings.HasPrefix(route, "/orgs/{org}/teams/{team_slug}/repos/"):
		if read {
			return "metadata", "read"
		}
		return "administration", "write"
	case strings.HasPrefix(route, "/orgs/{org}/members"), strings.HasPrefix(route, "/orgs/{org}/memberships"),
		strings.HasPrefix(route, "/orgs/{org}/teams"):
		return "members", "read"
	case route == "/orgs/{org}/repos":
		if read {
			return "metadata", "read"
		}
		return "administration", "write"
	case route == "/repos/{owner}/{repo}/teams":
		return "administration", "read"
	case route == "/repos/{owner}/{repo}", route == "/repos/{owner}/{repo}/topics":
		if read {
			return "metadata", "read"
		}
		return "administration", "write"
	case strings.HasPrefix(route, "/repos/{owner}/{repo}/issues"), strings.HasPrefix(route, "/repos/{owner}/{repo}/labels"):
		return "issues", level
	case strings.HasPrefix(route, "/repos/{owner}/{repo}/pulls"):
		if strings.HasSuffix(route, "/merge") {
			return "contents", "write"
		}
		return "pull_requests", level
	case strings.HasPrefix(route, "/repos/{owner}/{repo}/releases"):
		return "contents", level
	case route == "/repos/{owner}/{repo}/tags", strings.HasPrefix(route, "/repos/{owner}/{repo}/branches"):
		return "metadata", "read"
	case strings.HasPrefix(route, "/repos/{owner}/{repo}/"):
		return "contents", level
	}
	return "", ""
}

func allows(have map[string]string, perm, level string) bool {
	if perm == "" {
		return true
	}
	got := have[perm]
	if perm == "metadata" && len(have) > 0 {
		return true // every installation can read metadata
	}
	return got == "write" || (level == "read" && got == "read")
}

// SetPermissions replaces the App's permissions (nil restores the defaults).
// Requests that need a permission the App lacks answer 403 "Resource not
// accessible by integration", and commits that touch .github/workflows/
// need workflows: write.
func (s *Sim) SetPermissions(p map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setPerms(p)
}

func (s *Sim) setPerms(p map[string]string) {
	if p == nil {
		p = DefaultPermissions
	}
	s.perms = map[string]string{}
	for k, v := range p {
		s.perms[k] = v
	}
}

func (s *Sim) permsJSON() obj {
	o := obj{}
	for k, v := range s.perms {
		o[k] = v
	}
	return o
}

// workflowChange names a path under .github/workflows/ that differs between
// commits from and to ("" when none): GitHub refuses such a change from an
// App without workflows: write.
func (s *Sim) workflowChange(r *repo, from, to string) string {
	if s.perms["workflows"] == "write" {
		return ""
	}
	flat := func(sha string) map[string]fileEntry {
		if c, ok := r.objs.commit(sha); ok {
			return r.objs.flatten(c.Tree)
		}
		return map[string]fileEntry{}
	}
	a, b := flat(from), flat(to)
	var changed []string
	for p, f := range b {
		if strings.HasPrefix(p, ".github/workflows/") && a[p] != f {
			changed = append(changed, p)
		}
	}
	for p := range a {
		if _, ok := b[p]; !ok && strings.HasPrefix(p, ".github/workflows/") {
			changed = append(changed, p)
		}
	}
	if len(changed) == 0 {
		return ""
	}
	sort.Strings(changed)
	return changed[0]
}

func (c *call) refuseWorkflow(path string) {
	c.fail(http.StatusForbidden, "refusing to allow a GitHub App to create or update workflow `"+path+"` without `workflows` permission")
}
