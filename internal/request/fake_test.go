package request

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// fakeGitHub is a stand-in used until internal/github and internal/githubsim
// land; the tests then run the real client against the simulator.
type fakeGitHub struct {
	mu       sync.Mutex
	members  map[string]bool
	teams    map[string][]string
	tags     []Tag
	trees    map[string]map[string]TreeFile
	repos    map[string]*fakeRepo
	comments map[int]map[string]string // issue → marker → body
	commentN map[int]int               // comments created per issue
	labels   map[int][]string
	closed   map[int]string
	ensured  []Label
	calls    []string
	writes   []string
	failOnce map[string]error // method → error returned (once) after doing the work
}

type fakeRepo struct {
	repo   Repo
	files  map[string]string
	grants map[string]string
	topics []string
}

func newFake() *fakeGitHub {
	return &fakeGitHub{
		members: map[string]bool{}, teams: map[string][]string{}, trees: map[string]map[string]TreeFile{},
		repos: map[string]*fakeRepo{}, comments: map[int]map[string]string{}, commentN: map[int]int{},
		labels: map[int][]string{}, closed: map[int]string{}, failOnce: map[string]error{},
	}
}

func (f *fakeGitHub) call(write bool, format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	f.calls = append(f.calls, s)
	if write {
		f.writes = append(f.writes, s)
	}
}

func (f *fakeGitHub) fail(method string) error {
	err := f.failOnce[method]
	delete(f.failOnce, method)
	return err
}

func (f *fakeGitHub) ListTags(_ context.Context, owner, repo, prefix string) ([]Tag, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(false, "ListTags %s/%s %s", owner, repo, prefix)
	var out []Tag
	for _, t := range f.tags {
		if strings.HasPrefix(t.Name, prefix) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (f *fakeGitHub) ReadTree(_ context.Context, owner, repo, ref string) (map[string]TreeFile, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(false, "ReadTree %s/%s %s", owner, repo, ref)
	t, ok := f.trees[ref]
	if !ok {
		return nil, "", fmt.Errorf("ref %s: %w", ref, ErrNotFound)
	}
	return t, ref, nil
}

func (f *fakeGitHub) GetFile(_ context.Context, owner, repo, path, ref string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(false, "GetFile %s/%s %s", owner, repo, path)
	r, ok := f.repos[repo]
	if !ok {
		return nil, ErrNotFound
	}
	d, ok := r.files[path]
	if !ok {
		return nil, ErrNotFound
	}
	return []byte(d), nil
}

func (f *fakeGitHub) GetRepo(_ context.Context, owner, repo string) (*Repo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(false, "GetRepo %s/%s", owner, repo)
	r, ok := f.repos[repo]
	if !ok {
		return nil, ErrNotFound
	}
	c := r.repo
	return &c, nil
}

func (f *fakeGitHub) CreateRepoWithFiles(_ context.Context, org, name string, opts RepoOptions, files []NewFile, message string) (*Repo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(true, "CreateRepoWithFiles %s/%s", org, name)
	if _, ok := f.repos[name]; ok {
		return nil, fmt.Errorf("creating: %w", ErrAlreadyExists)
	}
	r := &fakeRepo{
		repo:  Repo{Owner: org, Name: name, DefaultBranch: "main", HTMLURL: "https://github.com/" + org + "/" + name, CreatedAt: time.Now()},
		files: map[string]string{}, grants: map[string]string{}, topics: opts.Topics,
	}
	for _, fl := range files {
		r.files[fl.Path] = string(fl.Data)
	}
	f.repos[name] = r
	if err := f.fail("CreateRepoWithFiles"); err != nil {
		return nil, err
	}
	c := r.repo
	return &c, nil
}

func (f *fakeGitHub) GrantTeam(_ context.Context, org, team, owner, repo, permission string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(true, "GrantTeam %s %s/%s %s", team, owner, repo, permission)
	f.repos[repo].grants[team] = permission
	return nil
}

func (f *fakeGitHub) SetTopics(_ context.Context, owner, repo string, topics []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(true, "SetTopics %s/%s", owner, repo)
	f.repos[repo].topics = topics
	return nil
}

func (f *fakeGitHub) UpsertComment(_ context.Context, owner, repo string, number int, marker, body string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(false, "ListComments #%d", number)
	if f.comments[number] == nil {
		f.comments[number] = map[string]string{}
	}
	old, ok := f.comments[number][marker]
	if ok && old == body {
		return 1, nil
	}
	if ok {
		f.call(true, "EditComment #%d %s", number, marker)
	} else {
		f.call(true, "CreateComment #%d %s", number, marker)
		f.commentN[number]++
	}
	f.comments[number][marker] = body
	return 1, nil
}

func (f *fakeGitHub) AddLabels(_ context.Context, owner, repo string, number int, labels []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(true, "AddLabels #%d %s", number, strings.Join(labels, ","))
	for _, l := range labels {
		if !containsFold(f.labels[number], l) {
			f.labels[number] = append(f.labels[number], l)
		}
	}
	sort.Strings(f.labels[number])
	return nil
}

func (f *fakeGitHub) RemoveLabel(_ context.Context, owner, repo string, number int, label string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(true, "RemoveLabel #%d %s", number, label)
	var keep []string
	found := false
	for _, l := range f.labels[number] {
		if l == label {
			found = true
			continue
		}
		keep = append(keep, l)
	}
	f.labels[number] = keep
	if !found {
		return ErrNotFound
	}
	return nil
}

func (f *fakeGitHub) EnsureLabels(_ context.Context, owner, repo string, labels []Label) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(true, "EnsureLabels %s/%s", owner, repo)
	f.ensured = labels
	return nil
}

func (f *fakeGitHub) CloseIssue(_ context.Context, owner, repo string, number int, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(true, "CloseIssue #%d %s", number, reason)
	f.closed[number] = reason
	return nil
}

func (f *fakeGitHub) IsOrgMember(_ context.Context, org, user string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(false, "IsOrgMember %s", user)
	return f.members[user], nil
}

func (f *fakeGitHub) TeamExists(_ context.Context, org, team string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(false, "TeamExists %s", team)
	_, ok := f.teams[team]
	return ok, nil
}

func (f *fakeGitHub) IsTeamMember(_ context.Context, org, team, user string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call(false, "IsTeamMember %s %s", team, user)
	return containsFold(f.teams[team], user), nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
