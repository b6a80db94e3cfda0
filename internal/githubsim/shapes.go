package githubsim

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// JSON shapes carry every property GitHub's OpenAPI description marks as
// required, so a response validates against api.github.com's schemas.

type obj = map[string]any

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func nodeID(kind string, id int64) string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("0%d:%s%d", len(kind), kind, id)))
}

func (s *Sim) htmlBase() string {
	b := strings.TrimSuffix(s.base, "/api/v3")
	if b == "https://api.github.com" {
		return "https://github.com"
	}
	return b
}

func (s *Sim) userJSON(a *account) any {
	if a == nil {
		return nil
	}
	u := s.base + "/users/" + a.login
	return obj{
		"login": a.login, "id": a.id, "node_id": nodeID(a.typ, a.id),
		"avatar_url":  fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", a.id),
		"gravatar_id": "", "url": u, "html_url": s.htmlBase() + "/" + a.login,
		"followers_url": u + "/followers", "following_url": u + "/following{/other_user}",
		"gists_url": u + "/gists{/gist_id}", "starred_url": u + "/starred{/owner}{/repo}",
		"subscriptions_url": u + "/subscriptions", "organizations_url": u + "/orgs",
		"repos_url": u + "/repos", "events_url": u + "/events{/privacy}",
		"received_events_url": u + "/received_events", "type": a.typ, "site_admin": false,
	}
}

func (s *Sim) publicUserJSON(a *account) obj {
	u := s.userJSON(a).(obj)
	extra := obj{"name": a.name, "company": nil, "blog": "", "location": nil, "email": nil,
		"hireable": nil, "bio": nil, "user_view_type": "public", "public_repos": 0, "public_gists": 0, "followers": 0, "following": 0,
		"created_at": ts(a.createdAt), "updated_at": ts(a.createdAt)}
	for k, v := range extra {
		u[k] = v
	}
	return u
}

func (s *Sim) repoJSON(r *repo) obj {
	u := s.base + "/repos/" + r.fullName()
	html := s.htmlBase() + "/" + r.fullName()
	open := 0
	for _, is := range r.issues {
		if is.state == "open" {
			open++
		}
	}
	topics := r.topics
	if topics == nil {
		topics = []string{}
	}
	return obj{
		"id": r.id, "node_id": nodeID("Repository", r.id), "name": r.name, "full_name": r.fullName(),
		"private": r.private, "visibility": r.visibility, "owner": s.userJSON(r.owner), "html_url": html,
		"description": nilIfEmpty(r.description), "fork": false, "url": u,
		"archive_url": u + "/{archive_format}{/ref}", "assignees_url": u + "/assignees{/user}",
		"blobs_url": u + "/git/blobs{/sha}", "branches_url": u + "/branches{/branch}",
		"collaborators_url": u + "/collaborators{/collaborator}", "comments_url": u + "/comments{/number}",
		"commits_url": u + "/commits{/sha}", "compare_url": u + "/compare/{base}...{head}",
		"contents_url": u + "/contents/{+path}", "contributors_url": u + "/contributors",
		"deployments_url": u + "/deployments", "downloads_url": u + "/downloads", "events_url": u + "/events",
		"forks_url": u + "/forks", "git_commits_url": u + "/git/commits{/sha}", "git_refs_url": u + "/git/refs{/sha}",
		"git_tags_url": u + "/git/tags{/sha}", "git_url": strings.Replace(html, "http", "git", 1) + ".git",
		"hooks_url": u + "/hooks", "issue_comment_url": u + "/issues/comments{/number}",
		"issue_events_url": u + "/issues/events{/number}", "issues_url": u + "/issues{/number}",
		"keys_url": u + "/keys{/key_id}", "labels_url": u + "/labels{/name}", "languages_url": u + "/languages",
		"merges_url": u + "/merges", "milestones_url": u + "/milestones{/number}",
		"notifications_url": u + "/notifications{?since,all,participating}", "pulls_url": u + "/pulls{/number}",
		"releases_url": u + "/releases{/id}", "ssh_url": "git@" + strings.TrimPrefix(strings.TrimPrefix(s.htmlBase(), "https://"), "http://") + ":" + r.fullName() + ".git",
		"stargazers_url": u + "/stargazers", "statuses_url": u + "/statuses/{sha}", "subscribers_url": u + "/subscribers",
		"subscription_url": u + "/subscription", "tags_url": u + "/tags", "teams_url": u + "/teams",
		"trees_url": u + "/git/trees{/sha}", "clone_url": html + ".git", "mirror_url": nil, "svn_url": html,
		"homepage": nilIfEmpty(r.homepage), "language": nil, "forks_count": 0, "forks": 0, "stargazers_count": 0,
		"watchers_count": 0, "watchers": 0, "size": 0, "default_branch": r.defaultBranch,
		"open_issues_count": open, "open_issues": open, "is_template": false, "topics": topics,
		"has_issues": true, "has_projects": true, "has_wiki": true, "has_pages": false, "has_downloads": true,
		"has_discussions": false, "archived": r.archived, "disabled": false, "license": nil,
		"pushed_at": ts(firstNonZero(r.pushedAt, r.createdAt)), "created_at": ts(r.createdAt), "updated_at": ts(r.updatedAt),
		"allow_forking": true, "web_commit_signoff_required": false,
		"network_count": 0, "subscribers_count": 0,
		"permissions": obj{"admin": true, "maintain": true, "push": true, "triage": true, "pull": true},
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Sim) labelJSON(r *repo, l *label) obj {
	return obj{"id": l.id, "node_id": nodeID("Label", l.id), "url": s.base + "/repos/" + r.fullName() + "/labels/" + pathEscape(l.name),
		"name": l.name, "color": l.color, "description": nilIfEmpty(l.description), "default": l.isDefault}
}

func (s *Sim) issueJSON(r *repo, is *issue) obj {
	u := s.base + "/repos/" + r.fullName() + "/issues/" + fmt.Sprint(is.number)
	labels := []any{}
	for _, l := range is.labels {
		labels = append(labels, s.labelJSON(r, l))
	}
	assignees := []any{}
	for _, a := range is.assignees {
		assignees = append(assignees, s.userJSON(a))
	}
	var assignee any
	if len(is.assignees) > 0 {
		assignee = s.userJSON(is.assignees[0])
	}
	kind := "issues"
	if is.pr != nil {
		kind = "pull"
	}
	o := obj{
		"id": is.id, "node_id": nodeID("Issue", is.id), "url": u, "repository_url": s.base + "/repos/" + r.fullName(),
		"labels_url": u + "/labels{/name}", "comments_url": u + "/comments", "events_url": u + "/events",
		"html_url": s.htmlBase() + "/" + r.fullName() + "/" + kind + "/" + fmt.Sprint(is.number), "number": is.number,
		"state": is.state, "state_reason": nilIfEmpty(is.stateReason), "title": is.title, "body": nilIfEmpty(is.body),
		"user": s.userJSON(is.user), "labels": labels, "assignee": assignee, "assignees": assignees,
		"milestone": nil, "locked": is.locked, "active_lock_reason": nil, "comments": len(is.comments),
		"closed_at": ts(is.closedAt), "created_at": ts(is.createdAt), "updated_at": ts(is.updatedAt),
		"author_association": s.association(r, is.user), "closed_by": s.userJSON(is.closedBy),
		"reactions": s.reactions(u), "timeline_url": u + "/timeline",
	}
	if is.pr != nil {
		pu := s.base + "/repos/" + r.fullName() + "/pulls/" + fmt.Sprint(is.number)
		ph := s.htmlBase() + "/" + r.fullName() + "/pull/" + fmt.Sprint(is.number)
		var mergedAt any
		if is.pr.merged {
			mergedAt = ts(is.pr.mergedAt)
		}
		o["pull_request"] = obj{"url": pu, "html_url": ph, "diff_url": ph + ".diff", "patch_url": ph + ".patch", "merged_at": mergedAt}
		o["draft"] = is.pr.draft
	}
	return o
}

func (s *Sim) reactions(u string) obj {
	return obj{"url": u + "/reactions", "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "confused": 0, "heart": 0, "hooray": 0, "eyes": 0, "rocket": 0}
}

func (s *Sim) association(r *repo, a *account) string {
	if a == nil {
		return "NONE"
	}
	if strings.EqualFold(a.login, r.owner.login) {
		return "OWNER"
	}
	if r.owner.members != nil {
		if _, ok := r.owner.members[strings.ToLower(a.login)]; ok {
			return "MEMBER"
		}
	}
	return "NONE"
}

func (s *Sim) commentJSON(r *repo, is *issue, c *comment) obj {
	u := fmt.Sprintf("%s/repos/%s/issues/comments/%d", s.base, r.fullName(), c.id)
	return obj{"id": c.id, "node_id": nodeID("IssueComment", c.id), "url": u,
		"html_url":  fmt.Sprintf("%s/%s/issues/%d#issuecomment-%d", s.htmlBase(), r.fullName(), is.number, c.id),
		"issue_url": fmt.Sprintf("%s/repos/%s/issues/%d", s.base, r.fullName(), is.number),
		"body":      c.body, "user": s.userJSON(c.user), "created_at": ts(c.createdAt), "updated_at": ts(c.updatedAt),
		"author_association": s.association(r, c.user), "reactions": s.reactions(u), "performed_via_github_app": s.viaApp(c.user)}
}

func (s *Sim) pullJSON(r *repo, is *issue, full bool) obj {
	p := is.pr
	u := fmt.Sprintf("%s/repos/%s/pulls/%d", s.base, r.fullName(), is.number)
	iu := fmt.Sprintf("%s/repos/%s/issues/%d", s.base, r.fullName(), is.number)
	html := fmt.Sprintf("%s/%s/pull/%d", s.htmlBase(), r.fullName(), is.number)
	headSHA, baseSHA := s.prSHAs(r, is)
	labels := []any{}
	for _, l := range is.labels {
		lj := s.labelJSON(r, l)
		if !full && lj["description"] == nil {
			// pull-request-simple (the list) declares a label's description
			// a string; the full pull request allows null.
			lj["description"] = ""
		}
		labels = append(labels, lj)
	}
	link := func(h string) obj { return obj{"href": h} }
	side := func(branch, sha string) obj {
		return obj{"label": r.owner.login + ":" + branch, "ref": branch, "sha": sha, "user": s.userJSON(r.owner), "repo": s.repoJSON(r)}
	}
	var mergedAt, mergeSHA any
	if p.merged {
		mergedAt = ts(p.mergedAt)
	}
	if p.mergeSHA != "" {
		mergeSHA = p.mergeSHA
	}
	o := obj{
		"url": u, "id": is.id, "node_id": nodeID("PullRequest", is.id), "html_url": html, "diff_url": html + ".diff",
		"patch_url": html + ".patch", "issue_url": iu, "commits_url": u + "/commits", "review_comments_url": u + "/comments",
		"review_comment_url": s.base + "/repos/" + r.fullName() + "/pulls/comments{/number}", "comments_url": iu + "/comments",
		"statuses_url": s.base + "/repos/" + r.fullName() + "/statuses/" + headSHA, "number": is.number, "state": is.state,
		"locked": is.locked, "title": is.title, "user": s.userJSON(is.user), "body": nilIfEmpty(is.body), "labels": labels,
		"milestone": nil, "active_lock_reason": nil, "created_at": ts(is.createdAt), "updated_at": ts(is.updatedAt),
		"closed_at": ts(is.closedAt), "merged_at": mergedAt, "merge_commit_sha": mergeSHA, "assignee": nil,
		"assignees": []any{}, "requested_reviewers": []any{}, "requested_teams": []any{},
		"head": side(p.head, headSHA), "base": side(p.base, baseSHA),
		"_links": obj{"self": link(u), "html": link(html), "issue": link(iu), "comments": link(iu + "/comments"),
			"review_comments": link(u + "/comments"), "review_comment": link(s.base + "/repos/" + r.fullName() + "/pulls/comments{/number}"),
			"commits": link(u + "/commits"), "statuses": link(s.base + "/repos/" + r.fullName() + "/statuses/" + headSHA)},
		"author_association": s.association(r, is.user), "auto_merge": nil, "draft": p.draft,
	}
	if full {
		files := s.diffFiles(r, baseSHA, headSHA)
		add, del := 0, 0
		for _, f := range files {
			add += f["additions"].(int)
			del += f["deletions"].(int)
		}
		commits := len(r.objs.history(headSHA, r.objs.ancestors(baseSHA)))
		var mergeable any = true
		state := "clean"
		if _, ok := s.mergeTrees(r, r.objs.mergeBase(headSHA, baseSHA), baseSHA, headSHA); !ok {
			mergeable, state = false, "dirty"
		}
		if p.merged || is.state == "closed" {
			mergeable = nil
			state = "unknown"
		}
		if p.draft {
			state = "draft"
		}
		o["merged"] = p.merged
		o["mergeable"] = mergeable
		o["rebaseable"] = mergeable
		o["mergeable_state"] = state
		o["merged_by"] = s.userJSON(p.mergedBy)
		o["comments"] = len(is.comments)
		o["review_comments"] = 0
		o["maintainer_can_modify"] = p.maintainerModify
		o["commits"] = commits
		o["additions"] = add
		o["deletions"] = del
		o["changed_files"] = len(files)
	}
	return o
}

// prSHAs are the head and base SHAs: live for open PRs, frozen once closed.
func (s *Sim) prSHAs(r *repo, is *issue) (string, string) {
	if is.state == "closed" && is.pr.headSHA != "" {
		return is.pr.headSHA, is.pr.baseSHA
	}
	h := r.refs["refs/heads/"+is.pr.head]
	b := r.refs["refs/heads/"+is.pr.base]
	if h == "" {
		h = is.pr.headSHA
	}
	if b == "" {
		b = is.pr.baseSHA
	}
	return h, b
}

func (s *Sim) gitUser(sig signature) obj {
	return obj{"name": sig.Name, "email": sig.Email, "date": sig.When.UTC().Format(time.RFC3339)}
}

func (s *Sim) gitCommitJSON(r *repo, sha string, c commitData) obj {
	u := s.base + "/repos/" + r.fullName() + "/git/commits/" + sha
	parents := []any{}
	for _, p := range c.Parents {
		parents = append(parents, obj{"sha": p, "url": s.base + "/repos/" + r.fullName() + "/git/commits/" + p,
			"html_url": s.htmlBase() + "/" + r.fullName() + "/commit/" + p})
	}
	return obj{"sha": sha, "node_id": nodeID("Commit", int64(len(sha))), "url": u,
		"html_url": s.htmlBase() + "/" + r.fullName() + "/commit/" + sha,
		"author":   s.gitUser(c.Author), "committer": s.gitUser(c.Committer), "message": c.Message,
		"tree":    obj{"sha": c.Tree, "url": s.base + "/repos/" + r.fullName() + "/git/trees/" + c.Tree},
		"parents": parents, "verification": obj{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil}}
}

// commitJSON is the REST "commit" shape (repos/commits, branches, compare).
func (s *Sim) commitJSON(r *repo, sha string) obj {
	c, _ := r.objs.commit(sha)
	u := s.base + "/repos/" + r.fullName() + "/commits/" + sha
	parents := []any{}
	for _, p := range c.Parents {
		parents = append(parents, obj{"sha": p, "url": s.base + "/repos/" + r.fullName() + "/commits/" + p,
			"html_url": s.htmlBase() + "/" + r.fullName() + "/commit/" + p})
	}
	author := s.accounts[strings.ToLower(c.Author.Name)]
	committer := s.accounts[strings.ToLower(c.Committer.Name)]
	return obj{"sha": sha, "node_id": nodeID("Commit", int64(len(sha))), "url": u,
		"html_url": s.htmlBase() + "/" + r.fullName() + "/commit/" + sha, "comments_url": u + "/comments",
		"commit": obj{"url": s.base + "/repos/" + r.fullName() + "/git/commits/" + sha, "author": s.gitUser(c.Author),
			"committer": s.gitUser(c.Committer), "message": c.Message, "comment_count": 0,
			"tree":         obj{"sha": c.Tree, "url": s.base + "/repos/" + r.fullName() + "/git/trees/" + c.Tree},
			"verification": obj{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil}},
		"author": s.userJSON(author), "committer": s.userJSON(committer), "parents": parents}
}

func (s *Sim) refJSON(r *repo, name, sha string) obj {
	typ := "commit"
	if o, ok := r.objs[sha]; ok {
		typ = o.typ
	}
	return obj{"ref": name, "node_id": nodeID("Ref", int64(len(name))), "url": s.base + "/repos/" + r.fullName() + "/git/" + name,
		"object": obj{"type": typ, "sha": sha, "url": s.base + "/repos/" + r.fullName() + "/git/" + typ + "s/" + sha}}
}

func (s *Sim) installationJSON(in *installation) obj {
	return obj{"id": in.id, "app_id": s.appID, "app_slug": s.appSlug, "target_id": in.account.id,
		"target_type": in.account.typ, "account": s.installationAccount(in.account), "single_file_name": nil,
		"repository_selection": "all", "access_tokens_url": fmt.Sprintf("%s/app/installations/%d/access_tokens", s.base, in.id),
		"repositories_url": s.base + "/installation/repositories",
		"html_url":         fmt.Sprintf("%s/organizations/%s/settings/installations/%d", s.htmlBase(), in.account.login, in.id),
		"events":           appEvents, "permissions": s.permsJSON(), "created_at": ts(in.createdAt), "updated_at": ts(in.createdAt),
		"suspended_by": nil, "suspended_at": nil, "has_multiple_single_files": false, "single_file_paths": []string{}}
}

var appEvents = []string{"issues", "issue_comment", "push", "create", "pull_request", "installation_repositories"}

func (s *Sim) appJSON() obj {
	name, description, homepage, events, owner, created := s.appIdentity()
	return obj{"id": s.appID, "slug": s.appSlug, "node_id": nodeID("Integration", s.appID), "owner": s.userJSON(owner),
		"name": name, "description": description, "external_url": homepage,
		"html_url": s.htmlBase() + "/apps/" + s.appSlug, "created_at": ts(created), "updated_at": ts(created),
		"permissions": s.permsJSON(), "events": events, "installations_count": len(s.installs)}
}

func pathEscape(p string) string {
	return strings.ReplaceAll(strings.ReplaceAll(p, "%", "%25"), " ", "%20")
}

func firstNonZero(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// installationAccount is the account with the properties the API
// description also requires there (it combines simple-user and enterprise
// with allOf on some operations).
func (s *Sim) installationAccount(a *account) obj {
	u := s.userJSON(a).(obj)
	u["name"] = a.name
	u["slug"] = strings.ToLower(a.login)
	u["created_at"] = ts(a.createdAt)
	u["updated_at"] = ts(a.createdAt)
	u["description"] = nil
	u["website_url"] = nil
	return u
}

// viaApp is performed_via_github_app: the App for what its bot user did.
func (s *Sim) viaApp(a *account) any {
	if a == nil || !strings.EqualFold(a.login, s.BotLogin()) {
		return nil
	}
	return s.appJSON()
}
