package request

import (
	"context"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/github"
)

// GitHub is every GitHub operation the workflow needs, and nothing more.
// *github.Client satisfies it; the tests run that client over HTTP against
// the simulator.
type GitHub interface {
	ListTags(ctx context.Context, owner, repo, prefix string) ([]github.Tag, error)
	ReadTree(ctx context.Context, owner, repo, ref string) (map[string]github.File, string, error)
	CachedTree(owner, repo, sha string) (map[string]github.File, bool)
	CacheTree(owner, repo, sha string, files map[string]github.File)
	GetFile(ctx context.Context, owner, repo, path, ref string) ([]byte, string, error)
	GetRepo(ctx context.Context, owner, repo string) (*github.Repo, error)
	CreateRepoWithFiles(ctx context.Context, org, name string, opts github.RepoOptions, files map[string]github.File, message string) (*github.Repo, error)
	GrantTeam(ctx context.Context, org, team, owner, repo, permission string) error
	SetTopics(ctx context.Context, owner, repo string, topics []string) error
	UpsertComment(ctx context.Context, owner, repo string, number int, marker, body string) (int64, error)
	AddLabels(ctx context.Context, owner, repo string, number int, labels []string) error
	RemoveLabel(ctx context.Context, owner, repo string, number int, label string) error
	EnsureLabels(ctx context.Context, owner, repo string, labels []github.Label) error
	CloseIssue(ctx context.Context, owner, repo string, number int, reason string) error
	CloseWithLabels(ctx context.Context, owner, repo string, number int, reason string, labels []string) error
	IsOrgMember(ctx context.Context, org, user string) (bool, error)
	TeamExists(ctx context.Context, org, team string) (bool, error)
	IsTeamMember(ctx context.Context, org, team, user string) (bool, error)
}

var _ GitHub = (*github.Client)(nil)

// SharedCache keeps what the workflow reads from the templates repository
// where every replica finds it (a database table: *tmplcache.Cache): the tag
// list with when it was read from GitHub, and archives by commit SHA.
type SharedCache interface {
	Tags(ctx context.Context, owner, repo string) (tags []github.Tag, fetchedAt time.Time, ok bool, err error)
	PutTags(ctx context.Context, owner, repo string, tags []github.Tag, fetchedAt time.Time) error
	Archive(ctx context.Context, owner, repo, sha string) (map[string]github.File, bool, error)
	PutArchive(ctx context.Context, owner, repo, sha string, files map[string]github.File) error
}

// Clients adapts a GitHub App to Config.Client: one cached client per
// installation.
func Clients(app *github.App) func(context.Context, int64) (GitHub, error) {
	return func(_ context.Context, id int64) (GitHub, error) { return app.Installation(id), nil }
}
