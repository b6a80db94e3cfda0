package githubsim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

func (s *Sim) routeTable() []route {
	return []route{
		{pattern: "GET /app", auth: "jwt", h: s.getApp},
		{pattern: "POST /app-manifests/{code}/conversions", auth: "none", h: s.convertManifest},
		{pattern: "GET /app/installations", auth: "jwt", h: s.listInstallations},
		{pattern: "GET /app/installations/{installation_id}", auth: "jwt", h: s.getInstallation},
		{pattern: "POST /app/installations/{installation_id}/access_tokens", auth: "jwt", h: s.createToken},
		{pattern: "GET /repos/{owner}/{repo}/installation", auth: "jwt", h: s.findInstallation("owner")},
		{pattern: "GET /orgs/{org}/installation", auth: "jwt", h: s.findInstallation("org")},
		{pattern: "GET /users/{username}/installation", auth: "jwt", h: s.findInstallation("username")},
		{pattern: "GET /rate_limit", auth: "token", h: s.rateLimit},
		{pattern: "POST /graphql", auth: "token", h: s.graphql},
		{pattern: "GET /installation/repositories", auth: "token", h: s.installationRepos},

		{pattern: "GET /users/{username}", auth: "token", h: s.getUser},
		{pattern: "GET /orgs/{org}", auth: "token", h: s.getOrg},
		{pattern: "GET /orgs/{org}/members/{username}", auth: "token", h: s.checkMember},
		{pattern: "GET /orgs/{org}/memberships/{username}", auth: "token", h: s.getOrgMembership},
		{pattern: "GET /orgs/{org}/teams", auth: "token", h: s.listTeams},
		{pattern: "GET /orgs/{org}/teams/{team_slug}", auth: "token", h: s.getTeam},
		{pattern: "GET /orgs/{org}/teams/{team_slug}/members", auth: "token", h: s.listTeamMembers},
		{pattern: "GET /orgs/{org}/teams/{team_slug}/memberships/{username}", auth: "token", h: s.getTeamMembership},
		{pattern: "PUT /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}", auth: "token", h: s.putTeamRepo},
		{pattern: "GET /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}", auth: "token", h: s.getTeamRepo},

		{pattern: "GET /orgs/{org}/repos", auth: "token", h: s.listOrgRepos},
		{pattern: "POST /orgs/{org}/repos", auth: "token", h: s.createOrgRepo},
		{pattern: "GET /repos/{owner}/{repo}", auth: "token", h: s.getRepo},
		{pattern: "PATCH /repos/{owner}/{repo}", auth: "token", h: s.updateRepo},
		{pattern: "GET /repos/{owner}/{repo}/topics", auth: "token", h: s.getTopics},
		{pattern: "GET /repos/{owner}/{repo}/teams", auth: "token", h: s.listRepoTeams},
		{pattern: "PUT /repos/{owner}/{repo}/topics", auth: "token", h: s.putTopics},

		{pattern: "GET /repos/{owner}/{repo}/git/blobs/{file_sha}", auth: "token", h: s.getBlob},
		{pattern: "POST /repos/{owner}/{repo}/git/blobs", auth: "token", h: s.createBlob},
		{pattern: "GET /repos/{owner}/{repo}/git/trees/{tree_sha}", auth: "token", h: s.getTree},
		{pattern: "POST /repos/{owner}/{repo}/git/trees", auth: "token", h: s.createTree},
		{pattern: "GET /repos/{owner}/{repo}/git/commits/{commit_sha}", auth: "token", h: s.getGitCommit},
		{pattern: "POST /repos/{owner}/{repo}/git/commits", auth: "token", h: s.createGitCommit},
		{pattern: "GET /repos/{owner}/{repo}/git/tags/{tag_sha}", auth: "token", h: s.getGitTag},
		{pattern: "POST /repos/{owner}/{repo}/git/tags", auth: "token", h: s.createGitTag},
		{pattern: "GET /repos/{owner}/{repo}/git/ref/*", gh: "/repos/{owner}/{repo}/git/ref/{ref}", auth: "token", h: s.getRef},
		{pattern: "GET /repos/{owner}/{repo}/git/matching-refs/*", gh: "/repos/{owner}/{repo}/git/matching-refs/{ref}", auth: "token", h: s.matchingRefs},
		{pattern: "POST /repos/{owner}/{repo}/git/refs", auth: "token", h: s.createRef},
		{pattern: "PATCH /repos/{owner}/{repo}/git/refs/*", gh: "/repos/{owner}/{repo}/git/refs/{ref}", auth: "token", h: s.updateRef},
		{pattern: "DELETE /repos/{owner}/{repo}/git/refs/*", gh: "/repos/{owner}/{repo}/git/refs/{ref}", auth: "token", h: s.deleteRef},

		{pattern: "GET /repos/{owner}/{repo}/contents", gh: "/repos/{owner}/{repo}/contents/{path}", auth: "token", h: s.getContents},
		{pattern: "GET /repos/{owner}/{repo}/contents/*", gh: "/repos/{owner}/{repo}/contents/{path}", auth: "token", h: s.getContents},
		{pattern: "PUT /repos/{owner}/{repo}/contents/*", gh: "/repos/{owner}/{repo}/contents/{path}", auth: "token", h: s.putContents},
		{pattern: "GET /repos/{owner}/{repo}/tarball", gh: "/repos/{owner}/{repo}/tarball/{ref}", auth: "token", h: s.archive("tar.gz")},
		{pattern: "GET /repos/{owner}/{repo}/tarball/*", gh: "/repos/{owner}/{repo}/tarball/{ref}", auth: "token", h: s.archive("tar.gz")},
		{pattern: "GET /repos/{owner}/{repo}/zipball", gh: "/repos/{owner}/{repo}/zipball/{ref}", auth: "token", h: s.archive("zip")},
		{pattern: "GET /repos/{owner}/{repo}/zipball/*", gh: "/repos/{owner}/{repo}/zipball/{ref}", auth: "token", h: s.archive("zip")},
		{pattern: "GET /_codeload/{key}", auth: "none", h: s.codeloadGet},
		{pattern: "GET /_raw/{owner}/{repo}/{ref}/*", gh: "/_raw/{owner}/{repo}/{ref}/{path}", auth: "none", h: s.rawGet},
		{pattern: "GET /repos/{owner}/{repo}/tags", auth: "token", h: s.listTags},
		{pattern: "GET /repos/{owner}/{repo}/releases", auth: "token", h: s.listReleases},
		{pattern: "GET /repos/{owner}/{repo}/releases/latest", auth: "token", h: s.latestRelease},
		{pattern: "GET /repos/{owner}/{repo}/releases/tags/*", gh: "/repos/{owner}/{repo}/releases/tags/{tag}", auth: "token", h: s.releaseByTag},
		{pattern: "GET /repos/{owner}/{repo}/branches", auth: "token", h: s.listBranches},
		{pattern: "GET /repos/{owner}/{repo}/branches/*", gh: "/repos/{owner}/{repo}/branches/{branch}", auth: "token", h: s.getBranch},
		{pattern: "GET /repos/{owner}/{repo}/compare/*", gh: "/repos/{owner}/{repo}/compare/{basehead}", auth: "token", h: s.compare},
		{pattern: "GET /repos/{owner}/{repo}/commits", auth: "token", h: s.listCommits},
		{pattern: "GET /repos/{owner}/{repo}/commits/{commit_sha}/comments", auth: "token", h: s.listCommitComments},
		{pattern: "POST /repos/{owner}/{repo}/commits/{commit_sha}/comments", auth: "token", h: s.createCommitComment},
		{pattern: "GET /repos/{owner}/{repo}/commits/*", gh: "/repos/{owner}/{repo}/commits/{ref}", auth: "token", h: s.getCommit},

		{pattern: "GET /repos/{owner}/{repo}/issues", auth: "token", h: s.listIssues},
		{pattern: "POST /repos/{owner}/{repo}/issues", auth: "token", h: s.createIssue},
		{pattern: "GET /repos/{owner}/{repo}/issues/{issue_number}", auth: "token", h: s.getIssue},
		{pattern: "PATCH /repos/{owner}/{repo}/issues/{issue_number}", auth: "token", h: s.updateIssue},
		{pattern: "GET /repos/{owner}/{repo}/issues/{issue_number}/labels", auth: "token", h: s.listIssueLabels},
		{pattern: "POST /repos/{owner}/{repo}/issues/{issue_number}/labels", auth: "token", h: s.addIssueLabels(false)},
		{pattern: "PUT /repos/{owner}/{repo}/issues/{issue_number}/labels", auth: "token", h: s.addIssueLabels(true)},
		{pattern: "DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", auth: "token", h: s.removeIssueLabel},
		{pattern: "GET /repos/{owner}/{repo}/issues/{issue_number}/comments", auth: "token", h: s.listComments},
		{pattern: "POST /repos/{owner}/{repo}/issues/{issue_number}/comments", auth: "token", h: s.createComment},
		{pattern: "GET /repos/{owner}/{repo}/issues/comments/{comment_id}", auth: "token", h: s.getComment},
		{pattern: "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", auth: "token", h: s.updateComment},
		{pattern: "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}", auth: "token", h: s.deleteComment},
		{pattern: "GET /repos/{owner}/{repo}/labels", auth: "token", h: s.listLabels},
		{pattern: "POST /repos/{owner}/{repo}/labels", auth: "token", h: s.createLabel},
		{pattern: "GET /repos/{owner}/{repo}/labels/{name}", auth: "token", h: s.getLabel},
		{pattern: "PATCH /repos/{owner}/{repo}/labels/{name}", auth: "token", h: s.updateLabel},

		{pattern: "GET /repos/{owner}/{repo}/pulls", auth: "token", h: s.listPulls},
		{pattern: "POST /repos/{owner}/{repo}/pulls", auth: "token", h: s.createPull},
		{pattern: "GET /repos/{owner}/{repo}/pulls/{pull_number}", auth: "token", h: s.getPull},
		{pattern: "PATCH /repos/{owner}/{repo}/pulls/{pull_number}", auth: "token", h: s.updatePull},
		{pattern: "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge", auth: "token", h: s.mergePull},
		{pattern: "GET /repos/{owner}/{repo}/pulls/{pull_number}/files", auth: "token", h: s.pullFiles},
		{pattern: "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits", auth: "token", h: s.pullCommits},
	}
}

func (s *Sim) getApp(c *call) { c.json(http.StatusOK, s.appJSON()) }

func (s *Sim) listInstallations(c *call) {
	var out []obj
	for _, k := range sortedKeys(s.instByAcc) {
		out = append(out, s.installationJSON(s.instByAcc[k]))
	}
	paginate(c, out)
}

func (s *Sim) installationByPath(c *call) *installation {
	id, _ := strconv.ParseInt(c.path("installation_id"), 10, 64)
	in := s.installs[id]
	if in == nil {
		c.notFound()
	}
	return in
}

func (s *Sim) getInstallation(c *call) {
	if in := s.installationByPath(c); in != nil {
		c.json(http.StatusOK, s.installationJSON(in))
	}
}

func (s *Sim) createToken(c *call) {
	in := s.installationByPath(c)
	if in == nil {
		return
	}
	var body struct {
		Repositories []string `json:"repositories"`
	}
	if !c.decode(&body) {
		return
	}
	for _, n := range body.Repositories {
		if s.repos[strings.ToLower(in.account.login+"/"+n)] == nil {
			c.invalid("Installation", "repositories", "invalid", "There is at least one repository that does not exist or is not accessible to the parent installation.")
			return
		}
	}
	t := s.newToken(in)
	if len(body.Repositories) > 0 {
		t.repos = map[string]bool{}
		for _, n := range body.Repositories {
			t.repos[strings.ToLower(n)] = true
		}
	}
	c.json(http.StatusCreated, obj{"token": t.value, "expires_at": t.expiresAt.Format(time.RFC3339),
		"permissions": s.permsJSON(), "repository_selection": "all"})
}

func (s *Sim) findInstallation(param string) func(*call) {
	return func(c *call) {
		in := s.instByAcc[strings.ToLower(c.path(param))]
		if in == nil || (param == "owner" && s.repos[strings.ToLower(c.path("owner")+"/"+c.path("repo"))] == nil) {
			c.notFound()
			return
		}
		c.json(http.StatusOK, s.installationJSON(in))
	}
}

func (s *Sim) rateLimit(c *call) {
	b := s.bucket(c.inst.id)
	core := obj{"limit": s.limits.PrimaryPerHour, "used": b.used, "remaining": max(0, s.limits.PrimaryPerHour-b.used),
		"reset": b.start.Add(s.limits.HourWindow).Unix()}
	search := obj{"limit": 30, "used": 0, "remaining": 30, "reset": b.start.Add(time.Minute).Unix()}
	c.json(http.StatusOK, obj{"resources": obj{"core": core, "search": search}, "rate": core})
}

func (s *Sim) installationRepos(c *call) {
	var repos []obj
	for _, k := range sortedKeys(s.repos) {
		if r := s.repos[k]; r.owner == c.inst.account {
			repos = append(repos, s.repoJSON(r))
		}
	}
	perPage, page := pageArgs(c)
	start := min((page-1)*perPage, len(repos))
	end := min(start+perPage, len(repos))
	out := repos[start:end]
	if out == nil {
		out = []obj{}
	}
	c.json(http.StatusOK, obj{"total_count": len(repos), "repositories": out, "repository_selection": "all"})
}

func pageArgs(c *call) (int, int) {
	perPage, page := 30, 1
	if v, err := strconv.Atoi(c.r.URL.Query().Get("per_page")); err == nil && v > 0 {
		perPage = min(v, 100)
	}
	if v, err := strconv.Atoi(c.r.URL.Query().Get("page")); err == nil && v > 0 {
		page = v
	}
	return perPage, page
}

// --- users, orgs, teams ---------------------------------------------------

func (s *Sim) getUser(c *call) {
	a := s.accounts[strings.ToLower(c.path("username"))]
	if a == nil {
		c.notFound()
		return
	}
	c.json(http.StatusOK, s.publicUserJSON(a))
}

// org returns the org of the path if the token's installation may see it.
func (s *Sim) org(c *call) *account {
	a := s.accounts[strings.ToLower(c.path("org"))]
	if a == nil || a.typ != "Organization" || (c.inst != nil && c.inst.account != a) {
		c.notFound()
		return nil
	}
	return a
}

func (s *Sim) getOrg(c *call) {
	o := s.org(c)
	if o == nil {
		return
	}
	j := s.orgJSON(o)
	extra := obj{"html_url": s.htmlBase() + "/" + o.login, "type": "Organization", "created_at": ts(o.createdAt),
		"updated_at": ts(o.createdAt), "public_repos": 0, "public_gists": 0, "followers": 0, "following": 0,
		"has_organization_projects": true, "has_repository_projects": true, "archived_at": nil}
	for k, v := range extra {
		j[k] = v
	}
	c.json(http.StatusOK, j)
}

func (s *Sim) checkMember(c *call) {
	o := s.org(c)
	if o == nil {
		return
	}
	if _, ok := o.members[strings.ToLower(c.path("username"))]; !ok {
		c.json(http.StatusNotFound, obj{"message": "User does not exist or is not a member of the organization", "documentation_url": docsURL, "status": "404"})
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (s *Sim) getOrgMembership(c *call) {
	o := s.org(c)
	if o == nil {
		return
	}
	role, ok := o.members[strings.ToLower(c.path("username"))]
	if !ok {
		c.notFound()
		return
	}
	u := s.accounts[strings.ToLower(c.path("username"))]
	c.json(http.StatusOK, obj{"url": s.base + "/orgs/" + o.login + "/memberships/" + u.login, "state": "active", "role": role,
		"organization_url": s.base + "/orgs/" + o.login, "organization": s.orgJSON(o), "user": s.userJSON(u)})
}

func (s *Sim) team(c *call) (*account, *team) {
	o := s.org(c)
	if o == nil {
		return nil, nil
	}
	t := s.teams[strings.ToLower(o.login)+"/"+strings.ToLower(c.path("team_slug"))]
	if t == nil {
		c.notFound()
		return nil, nil
	}
	return o, t
}

func (s *Sim) teamJSON(t *team, full bool) obj {
	u := s.base + "/orgs/" + t.org.login + "/teams/" + t.slug
	j := obj{"id": t.id, "node_id": nodeID("Team", t.id), "url": u, "html_url": s.htmlBase() + "/orgs/" + t.org.login + "/teams/" + t.slug,
		"name": t.name, "slug": t.slug, "description": nilIfEmpty(t.description), "privacy": t.privacy,
		"notification_setting": "notifications_enabled", "permission": "pull", "members_url": u + "/members{/member}",
		"repositories_url": u + "/repos", "parent": nil, "type": "organization"}
	if full {
		repos := 0
		for _, r := range s.repos {
			if _, ok := r.teamPerms[t.id]; ok {
				repos++
			}
		}
		org := s.orgJSON(t.org)
		// GitHub's team-organization schema types company, blog, location
		// and email as non-nullable strings: an org that has none omits them.
		extra := obj{"name": t.org.login,
			"has_organization_projects": true, "has_repository_projects": true, "is_verified": false,
			"public_repos": 0, "public_gists": 0, "followers": 0, "following": 0, "html_url": s.htmlBase() + "/" + t.org.login,
			"created_at": ts(t.org.createdAt), "updated_at": ts(t.org.createdAt), "type": "Organization", "archived_at": nil}
		for k, v := range extra {
			org[k] = v
		}
		j["members_count"] = len(t.members)
		j["repos_count"] = repos
		j["created_at"] = ts(t.createdAt)
		j["updated_at"] = ts(t.createdAt)
		j["organization"] = org
	}
	return j
}

func (s *Sim) listTeams(c *call) {
	o := s.org(c)
	if o == nil {
		return
	}
	var out []obj
	for _, k := range sortedKeys(s.teams) {
		if t := s.teams[k]; t.org == o {
			out = append(out, s.teamJSON(t, false))
		}
	}
	paginate(c, out)
}

func (s *Sim) getTeam(c *call) {
	if _, t := s.team(c); t != nil {
		c.json(http.StatusOK, s.teamJSON(t, true))
	}
}

func (s *Sim) listTeamMembers(c *call) {
	_, t := s.team(c)
	if t == nil {
		return
	}
	var out []any
	for _, k := range sortedKeys(t.members) {
		out = append(out, s.userJSON(s.accounts[k]))
	}
	paginate(c, out)
}

func (s *Sim) getTeamMembership(c *call) {
	_, t := s.team(c)
	if t == nil {
		return
	}
	role, ok := t.members[strings.ToLower(c.path("username"))]
	if !ok {
		c.notFound()
		return
	}
	c.json(http.StatusOK, obj{"url": s.base + "/teams/" + strconv.FormatInt(t.id, 10) + "/memberships/" + c.path("username"),
		"role": role, "state": "active"})
}

func (s *Sim) putTeamRepo(c *call) {
	o, t := s.team(c)
	if t == nil {
		return
	}
	r := s.repos[strings.ToLower(c.path("owner")+"/"+c.path("repo"))]
	if r == nil || r.owner != o {
		c.notFound()
		return
	}
	var body struct {
		Permission string `json:"permission"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Permission == "" {
		body.Permission = "push"
	}
	switch body.Permission {
	case "pull", "triage", "push", "maintain", "admin":
	default:
		c.invalid("Team", "permission", "invalid", "")
		return
	}
	r.teamPerms[t.id] = body.Permission
	c.w.WriteHeader(http.StatusNoContent)
}

// listRepoTeams lists the teams with access to a repository, each with its
// permission there.
func (s *Sim) listRepoTeams(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var out []obj
	for _, k := range sortedKeys(s.teams) {
		t := s.teams[k]
		p, ok := r.teamPerms[t.id]
		if !ok {
			continue
		}
		j := s.teamJSON(t, false)
		j["permission"] = p
		j["permissions"] = obj{"pull": true, "triage": p != "pull", "push": p == "push" || p == "maintain" || p == "admin",
			"maintain": p == "maintain" || p == "admin", "admin": p == "admin"}
		out = append(out, j)
	}
	paginate(c, out)
}

func (s *Sim) getTeamRepo(c *call) {
	o, t := s.team(c)
	if t == nil {
		return
	}
	r := s.repos[strings.ToLower(c.path("owner")+"/"+c.path("repo"))]
	if r == nil || r.owner != o {
		c.notFound()
		return
	}
	if _, ok := r.teamPerms[t.id]; !ok {
		c.notFound()
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}
