package githubsim

import (
	"fmt"
	"strings"
	"time"
)

// The control API acts as people and GitHub itself would: every action fires
// the webhooks GitHub fires for it. Actions by a user send that user as the
// sender; nothing here is counted as a request or rate limited.

func (s *Sim) repoLocked(owner, name string) (*repo, error) {
	r := s.repos[strings.ToLower(owner+"/"+name)]
	if r == nil {
		return nil, fmt.Errorf("no repository %s/%s", owner, name)
	}
	return r, nil
}

func (s *Sim) user(login string) *account {
	if login == "" {
		return s.accounts[strings.ToLower(s.BotLogin())]
	}
	if a := s.accounts[strings.ToLower(login)]; a != nil {
		return a
	}
	return s.ensureAccount(login, "User")
}

// RepoOptions are the settings of a repository made by CreateRepo.
type RepoOptions struct {
	Private       bool
	Description   string
	DefaultBranch string // default "main"
	Topics        []string
	// Archived marks the repository archived (writes to it are not refused).
	Archived bool
}

// CreateRepo creates an empty repository (no commits) for an owner
// (an org or user, created as an org when missing).
func (s *Sim) CreateRepo(owner, name string, o RepoOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	acct := s.accounts[strings.ToLower(owner)]
	if acct == nil {
		acct = s.ensureAccount(owner, "Organization")
	}
	r, err := s.newRepo(acct, name, o.Private, o.Description)
	if err != nil {
		return fmt.Errorf("creating %s/%s: %w", owner, name, err)
	}
	if o.DefaultBranch != "" {
		r.defaultBranch = o.DefaultBranch
	}
	r.topics = append([]string(nil), o.Topics...)
	r.archived = o.Archived
	return nil
}

// Push commits files onto branch (created from the default branch head, or
// as the first commit) as author and fires push (and create for a new
// branch). A nil value deletes the path. It returns the commit SHA.
func (s *Sim) Push(owner, name, branch string, files map[string][]byte, message, author string) (string, error) {
	return s.PushModes(owner, name, branch, files, nil, message, author)
}

// SetRef moves (or with sha "" deletes) a ref as author, like a force push.
func (s *Sim) SetRef(owner, name, ref, sha, author string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return err
	}
	if sha != "" {
		if _, ok := r.objs[sha]; !ok {
			return fmt.Errorf("no object %s in %s", sha, r.fullName())
		}
	}
	forced := sha != "" && r.refs[ref] != "" && !r.objs.isAncestor(r.refs[ref], sha)
	s.moveRef(r, ref, sha, s.user(author), forced)
	return nil
}

// Tag creates a lightweight tag refs/tags/<tag> at sha and fires push and create.
func (s *Sim) Tag(owner, name, tag, sha string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return err
	}
	if _, ok := r.objs.commit(sha); !ok {
		return fmt.Errorf("no commit %s in %s", sha, r.fullName())
	}
	if _, ok := r.refs["refs/tags/"+tag]; ok {
		return fmt.Errorf("tag %s already exists", tag)
	}
	s.moveRef(r, "refs/tags/"+tag, sha, r.owner, false)
	return nil
}

// Head returns the SHA a branch points at ("" if none).
func (s *Sim) Head(owner, name, branch string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return ""
	}
	if branch == "" {
		branch = r.defaultBranch
	}
	return r.refs["refs/heads/"+branch]
}

// OpenIssue files an issue as author, as an issue form would: labels that
// do not exist in the repository are silently dropped. Fires issues.opened.
func (s *Sim) OpenIssue(owner, name, author, title, body string, labels []string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return 0, err
	}
	if len([]rune(body)) > maxBody {
		return 0, fmt.Errorf("body is too long (maximum is 65536 characters)")
	}
	var ls []*label
	for _, n := range labels {
		if l := r.label(n); l != nil {
			ls = append(ls, l)
		}
	}
	is := s.newIssue(r, s.user(author), title, body, ls, nil)
	s.issueEvent(r, is, "opened", is.user, nil)
	return is.number, nil
}

// EditIssue changes an issue's title and/or body (nil leaves it) as
// editor and fires issues.edited with the changes.
func (s *Sim) EditIssue(owner, name string, number int, editor string, title, body *string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, is, err := s.issueLocked(owner, name, number)
	if err != nil {
		return err
	}
	changes := obj{}
	if title != nil && *title != is.title {
		changes["title"] = obj{"from": is.title}
		is.title = *title
	}
	if body != nil && *body != is.body {
		changes["body"] = obj{"from": is.body}
		is.body = *body
	}
	if len(changes) > 0 {
		is.updatedAt = s.now().UTC().Truncate(time.Second)
		s.issueEvent(r, is, "edited", s.user(editor), obj{"changes": changes})
	}
	return nil
}

// SetIssueState closes ("closed", with a state reason) or reopens ("open")
// an issue or pull request as actor.
func (s *Sim) SetIssueState(owner, name string, number int, actor, state, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, is, err := s.issueLocked(owner, name, number)
	if err != nil {
		return err
	}
	s.setState(r, is, state, reason, s.user(actor))
	return nil
}

// LabelIssue adds existing labels to an issue or PR as actor.
func (s *Sim) LabelIssue(owner, name string, number int, actor string, labels ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, is, err := s.issueLocked(owner, name, number)
	if err != nil {
		return err
	}
	var ls []*label
	for _, n := range labels {
		l := r.label(n)
		if l == nil {
			return fmt.Errorf("no label %q in %s", n, r.fullName())
		}
		ls = append(ls, l)
	}
	s.addLabels(r, is, ls, s.user(actor))
	return nil
}

// CreateLabel creates a label (no webhook is in scope for labels).
func (s *Sim) CreateLabel(owner, name, labelName, color, description string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return err
	}
	if r.label(labelName) != nil {
		return fmt.Errorf("label %q already exists", labelName)
	}
	r.labels = append(r.labels, &label{id: s.id(), name: labelName, color: color, description: description})
	return nil
}

func (s *Sim) issueLocked(owner, name string, number int) (*repo, *issue, error) {
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return nil, nil, err
	}
	if number < 1 || number > len(r.issues) {
		return nil, nil, fmt.Errorf("no issue #%d in %s", number, r.fullName())
	}
	return r, r.issues[number-1], nil
}

// Comment adds a comment as author and fires issue_comment.created.
func (s *Sim) Comment(owner, name string, number int, author, body string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, is, err := s.issueLocked(owner, name, number)
	if err != nil {
		return 0, err
	}
	return s.addComment(r, is, s.user(author), body).id, nil
}

// OpenPR opens a pull request as author from head into base.
func (s *Sim) OpenPR(owner, name, author, head, base, title, body string, draft bool) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return 0, err
	}
	if _, ok := r.refs["refs/heads/"+head]; !ok {
		return 0, fmt.Errorf("no branch %s", head)
	}
	if base == "" {
		base = r.defaultBranch
	}
	a := s.user(author)
	is := s.newIssue(r, a, title, body, nil, &pull{head: head, base: base, draft: draft, maintainerModify: true})
	s.issueEvent(r, is, "opened", a, nil)
	return is.number, nil
}

// MergePR merges a pull request as actor (merge commit) and fires push and
// pull_request.closed with merged true.
func (s *Sim) MergePR(owner, name string, number int, actor string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, is, err := s.issueLocked(owner, name, number)
	if err != nil {
		return "", err
	}
	if is.pr == nil {
		return "", fmt.Errorf("#%d is not a pull request", number)
	}
	sha, _, msg := s.merge(r, is, "merge", "", "", s.user(actor))
	if msg != "" {
		return "", fmt.Errorf("merging #%d: %s", number, msg)
	}
	return sha, nil
}

// ClosePR closes a pull request without merging as actor.
func (s *Sim) ClosePR(owner, name string, number int, actor string) error {
	return s.SetIssueState(owner, name, number, actor, "closed", "")
}

// RepoInfo is a read-only view of a repository.
type RepoInfo struct {
	ID            int64
	Owner, Name   string
	Private       bool
	Visibility    string
	Description   string
	DefaultBranch string
	Topics        []string
	Branches      map[string]string // name -> sha
	Tags          map[string]string // name -> sha
	TeamPerms     map[string]string // team slug -> permission
	Empty         bool
}

// Repo returns a repository's state, or false if it does not exist.
func (s *Sim) Repo(owner, name string) (RepoInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return RepoInfo{}, false
	}
	info := RepoInfo{ID: r.id, Owner: r.owner.login, Name: r.name, Private: r.private, Visibility: r.visibility,
		Description: r.description, DefaultBranch: r.defaultBranch, Topics: append([]string(nil), r.topics...),
		Branches: map[string]string{}, Tags: map[string]string{}, TeamPerms: map[string]string{}, Empty: len(r.refs) == 0}
	for k, v := range r.refs {
		if b, ok := strings.CutPrefix(k, "refs/heads/"); ok {
			info.Branches[b] = v
		}
		if t, ok := strings.CutPrefix(k, "refs/tags/"); ok {
			info.Tags[t] = v
		}
	}
	for _, t := range s.teams {
		if p, ok := r.teamPerms[t.id]; ok {
			info.TeamPerms[t.slug] = p
		}
	}
	return info, true
}

// Repos lists "owner/name" of every repository, sorted.
func (s *Sim) Repos() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, k := range sortedKeys(s.repos) {
		out = append(out, s.repos[k].fullName())
	}
	return out
}

// Files returns every file at ref (branch, tag or SHA; "" is the default branch).
func (s *Sim) Files(owner, name, ref string) (map[string][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return nil, err
	}
	c, ok := r.objs.commit(resolve(r, ref))
	if !ok {
		return nil, fmt.Errorf("no commit for %q in %s", ref, r.fullName())
	}
	out := map[string][]byte{}
	for p, f := range r.objs.flatten(c.Tree) {
		out[p] = append([]byte(nil), r.objs[f.SHA].data...)
	}
	return out, nil
}

// CommitInfo describes one commit.
type CommitInfo struct {
	SHA, Tree, Message string
	Parents            []string
	Author, Committer  string
}

// Commits lists the commits reachable from ref, newest first.
func (s *Sim) Commits(owner, name, ref string) ([]CommitInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return nil, err
	}
	var out []CommitInfo
	for _, sha := range r.objs.history(resolve(r, ref), nil) {
		c, _ := r.objs.commit(sha)
		out = append(out, CommitInfo{SHA: sha, Tree: c.Tree, Message: c.Message, Parents: c.Parents, Author: c.Author.Name, Committer: c.Committer.Name})
	}
	return out, nil
}

// IssueInfo is a read-only view of an issue or pull request.
type IssueInfo struct {
	Number      int
	Title, Body string
	Author      string
	State       string
	StateReason string
	Labels      []string
	IsPR        bool
	Head, Base  string // PRs
	HeadSHA     string
	Draft       bool
	Merged      bool
}

func (s *Sim) issueInfo(r *repo, is *issue) IssueInfo {
	info := IssueInfo{Number: is.number, Title: is.title, Body: is.body, Author: is.user.login, State: is.state, StateReason: is.stateReason}
	for _, l := range is.labels {
		info.Labels = append(info.Labels, l.name)
	}
	if is.pr != nil {
		info.IsPR, info.Head, info.Base, info.Draft, info.Merged = true, is.pr.head, is.pr.base, is.pr.draft, is.pr.merged
		info.HeadSHA, _ = s.prSHAs(r, is)
	}
	return info
}

// Issue returns an issue or pull request.
func (s *Sim) Issue(owner, name string, number int) (IssueInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, is, err := s.issueLocked(owner, name, number)
	if err != nil {
		return IssueInfo{}, err
	}
	return s.issueInfo(r, is), nil
}

// Issues lists every issue (not PRs) of a repository in number order.
func (s *Sim) Issues(owner, name string) []IssueInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return nil
	}
	var out []IssueInfo
	for _, is := range r.issues {
		if is.pr == nil {
			out = append(out, s.issueInfo(r, is))
		}
	}
	return out
}

// PullRequests lists every pull request of a repository in number order.
func (s *Sim) PullRequests(owner, name string) []IssueInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return nil
	}
	var out []IssueInfo
	for _, is := range r.issues {
		if is.pr != nil {
			out = append(out, s.issueInfo(r, is))
		}
	}
	return out
}

// CommentInfo is a read-only view of a comment.
type CommentInfo struct {
	ID     int64
	Author string
	Body   string
}

// Comments lists the comments on an issue or PR, oldest first.
func (s *Sim) Comments(owner, name string, number int) []CommentInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, is, err := s.issueLocked(owner, name, number)
	if err != nil {
		return nil
	}
	var out []CommentInfo
	for _, c := range is.comments {
		out = append(out, CommentInfo{ID: c.id, Author: c.user.login, Body: c.body})
	}
	return out
}

// Labels lists the label names of a repository.
func (s *Sim) Labels(owner, name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range r.labels {
		out = append(out, l.name)
	}
	return out
}
