package upgrade

import (
	"context"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
)

// GitHub is every GitHub operation the upgrade workflow needs. *github.Client
// satisfies it; the tests run that client over HTTP against the simulator.
type GitHub interface {
	GetRepo(ctx context.Context, owner, repo string) (*github.Repo, error)
	ReadTree(ctx context.Context, owner, repo, ref string) (map[string]github.File, string, error)
	CachedTree(owner, repo, sha string) (map[string]github.File, bool)
	CacheTree(owner, repo, sha string, files map[string]github.File)
	ResolveRef(ctx context.Context, owner, repo, ref string) (string, error)
	GetFile(ctx context.Context, owner, repo, path, ref string) ([]byte, string, error)
	GetFileIfChanged(ctx context.Context, owner, repo, path, ref, etag string) (*github.FileVersion, bool, error)
	ListTags(ctx context.Context, owner, repo, prefix string) ([]github.Tag, error)
	Repos(ctx context.Context) ([]*github.Repo, error)
	CommitFiles(ctx context.Context, owner, repo, branch, baseSHA string, changes map[string]*github.File, message string, force bool) (string, error)
	FindPR(ctx context.Context, owner, repo, headBranch string) (*github.PR, error)
	CreatePR(ctx context.Context, owner, repo string, p github.NewPR) (*github.PR, error)
	UpdatePR(ctx context.Context, owner, repo string, number int, u github.PRUpdate) (*github.PR, error)
	// SetPRDraft turns a pull request into a draft or marks it ready (GitHub
	// allows it through GraphQL only): an upgrade pull request that gains
	// conflicts on an update becomes a draft, one whose conflicts are gone
	// becomes ready.
	SetPRDraft(ctx context.Context, owner, repo string, number int, nodeID string, draft bool) error
	BranchCommits(ctx context.Context, owner, repo, base, head string) ([]github.Commit, error)
	UpsertComment(ctx context.Context, owner, repo string, number int, marker, body string) (int64, error)
	AddLabels(ctx context.Context, owner, repo string, number int, labels []string) error
	EnsureLabels(ctx context.Context, owner, repo string, labels []github.Label) error
	CreateOrUpdateIssueByTitle(ctx context.Context, owner, repo string, spec github.IssueSpec) (*github.Issue, error)
	// TreeIfChanged and TeamID read the dashboard's drift and owners.
	TreeIfChanged(ctx context.Context, owner, repo, ref, etag string) (*github.TreeVersion, bool, error)
	TeamID(ctx context.Context, org, slug string) (int64, bool, error)
}

var _ GitHub = (*github.Client)(nil)

// Fleet is the part of the fleet index the workflow reads and keeps.
// *fleet.Index satisfies it.
type Fleet interface {
	Upsert(ctx context.Context, r fleet.Repo) error
	Get(ctx context.Context, owner, name string) (fleet.Repo, error)
	ListByTemplate(ctx context.Context, template string) ([]fleet.Repo, error)
	List(ctx context.Context) ([]fleet.Repo, error)
	Delete(ctx context.Context, owner, name string) error
	DeleteIfRecordedBefore(ctx context.Context, owner, name string, before time.Time) (bool, error)
	SetUpgradePR(ctx context.Context, pr fleet.UpgradePR) error
	UpgradePR(ctx context.Context, owner, name, template string) (fleet.UpgradePR, error)
	UpgradePRs(ctx context.Context, template string) ([]fleet.UpgradePR, error)
	// ReservePRSlot, ConfirmPRSlot and ReleasePRSlot apply the account's
	// prConcurrentLimit and prHourlyLimit across replicas.
	ReservePRSlot(ctx context.Context, r fleet.SlotRequest) (fleet.Slot, error)
	ConfirmPRSlot(ctx context.Context, slot fleet.Slot, pr fleet.UpgradePR) error
	ReleasePRSlot(ctx context.Context, slot fleet.Slot) error
	ETag(ctx context.Context, cacheKey string) (etag string, body []byte, err error)
	SetETag(ctx context.Context, cacheKey, etag string, body []byte) error
}

var _ Fleet = (*fleet.Index)(nil)

// Enqueuer puts the workflow's jobs on the durable queue. The upgradejobs
// package implements it on River; tests may run the jobs inline.
type Enqueuer interface {
	// EnqueueUpgrades inserts one job per repository, all at once.
	EnqueueUpgrades(ctx context.Context, jobs []RepoArgs) error
	// EnqueueDashboard asks for the dashboard to be refreshed soon; many
	// asks in a short time may be worked as one.
	EnqueueDashboard(ctx context.Context, job DashboardArgs) error
}
