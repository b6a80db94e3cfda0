package request

import (
	"context"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
)

// GitHub is every GitHub operation the workflow needs, and nothing more.
// *github.Client satisfies it; the tests run that client over HTTP against
// the simulator.
type GitHub interface {
	// The templates repository is read through templatesrc.
	templatesrc.GitHub
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
	TeamID(ctx context.Context, org, slug string) (id int64, found bool, err error)
	IsTeamMember(ctx context.Context, org, team, user string) (bool, error)
}

var _ GitHub = (*github.Client)(nil)

// Fleet records which repositories came from which template, and who owns
// them (*fleet.Index).
type Fleet interface {
	Upsert(ctx context.Context, r fleet.Repo) error
	SetOwnership(ctx context.Context, r fleet.Repo) error
}

var _ Fleet = (*fleet.Index)(nil)

// Clients adapts a GitHub App to Config.Client: one cached client per
// installation.
func Clients(app *github.App) func(context.Context, int64) (GitHub, error) {
	return func(_ context.Context, id int64) (GitHub, error) { return app.Installation(id), nil }
}
