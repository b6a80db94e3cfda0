package request

import (
	"context"
	"errors"
	"time"
)

// The kinds of GitHub failure the workflow branches on (errors.Is).
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	ErrConflict      = errors.New("conflict")
)

// GitHub is every GitHub operation the workflow needs, and nothing more.
// *github.Client satisfies it; tests use that same client against the
// simulator.
type GitHub interface {
	ListTags(ctx context.Context, owner, repo, prefix string) ([]Tag, error)
	ReadTree(ctx context.Context, owner, repo, ref string) (map[string]TreeFile, string, error)
	GetFile(ctx context.Context, owner, repo, path, ref string) ([]byte, error)
	CreateRepoWithFiles(ctx context.Context, org, name string, opts RepoOptions, files []NewFile, message string) (*Repo, error)
	GetRepo(ctx context.Context, owner, repo string) (*Repo, error)
	GrantTeam(ctx context.Context, org, team, owner, repo, permission string) error
	SetTopics(ctx context.Context, owner, repo string, topics []string) error
	UpsertComment(ctx context.Context, owner, repo string, number int, marker, body string) (int64, error)
	AddLabels(ctx context.Context, owner, repo string, number int, labels []string) error
	RemoveLabel(ctx context.Context, owner, repo string, number int, label string) error
	EnsureLabels(ctx context.Context, owner, repo string, labels []Label) error
	CloseIssue(ctx context.Context, owner, repo string, number int, reason string) error
	IsOrgMember(ctx context.Context, org, user string) (bool, error)
	TeamExists(ctx context.Context, org, team string) (bool, error)
	IsTeamMember(ctx context.Context, org, team, user string) (bool, error)
}

// Placeholder shapes until internal/github lands; they become aliases of
// its types.
type (
	Tag struct {
		Name string
		SHA  string
	}
	TreeFile struct {
		Mode int64
		Data []byte
	}
	NewFile struct {
		Path string
		Mode int64
		Data []byte
	}
	RepoOptions struct {
		Visibility  string
		Description string
		Topics      []string
	}
	Repo struct {
		Owner, Name, DefaultBranch, HTMLURL string
		CreatedAt                           time.Time
	}
	Label struct {
		Name, Color, Description string
	}
)
