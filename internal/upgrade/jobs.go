package upgrade

// Job kinds of the upgrade workflow. How they are queued (attempts,
// uniqueness by the fields tagged unique) is upgradejobs' business.
const (
	RepoKind      = "goldenpath_upgrade_repo"
	DashboardKind = "goldenpath_fleet_dashboard"
	ReconcileKind = "goldenpath_fleet_reconcile"
)

// RepoArgs is the job that brings one repository to the template version of
// Tag: one job per repository, so a rollout survives restarts and retries
// one repository at a time.
type RepoArgs struct {
	InstallationID int64  `json:"installation_id" river:"unique"`
	Owner          string `json:"owner" river:"unique"`
	Repo           string `json:"repo" river:"unique"`
	Tag            string `json:"tag" river:"unique"` // <template>/vX.Y.Z
	// TagSHA is the commit the tag points at when the trigger knew it (a
	// push event's "after"): one request fewer.
	TagSHA string `json:"tag_sha,omitempty"`
	// TemplatesOwner/TemplatesRepo: where the template lives (the org's
	// templates repository).
	TemplatesOwner string `json:"templates_owner"`
	TemplatesRepo  string `json:"templates_repo"`
	// Rebuild: a person asked (ticked the box, reopened the PR) to rebuild
	// the branch from the default branch, over anyone's commits.
	Rebuild bool `json:"rebuild,omitempty"`
	// Cause makes a job unique: "tag" for a rollout (a redelivered push adds
	// nothing), a delivery id for a rebuild (every ask runs).
	Cause string `json:"cause" river:"unique"`
	// Limits of goldenpath.yaml (upgrades:) read when the rollout started.
	PRHourlyLimit     int `json:"pr_hourly_limit,omitempty"`
	PRConcurrentLimit int `json:"pr_concurrent_limit,omitempty"`
	// Answers, when set, makes the job a re-answer (SPEC §7): the same pull
	// request lifecycle, with the answers changed instead of (or as well as,
	// when an upgrade pull request is open) the version.
	Answers *AnswersChange `json:"answers,omitempty"`
}

// AnswersChange is what a re-answer changes.
type AnswersChange struct {
	// Base are the answers the default branch's files were rendered with,
	// when they are not those of its .goldenpath.yml (a person changed the
	// answers: these are the previous ones).
	Base map[string]any `json:"base,omitempty"`
	// Set are answers the pull request changes in .goldenpath.yml (a team
	// renamed: owner).
	Set map[string]any `json:"set,omitempty"`
	// Reason says why, in the pull request's body.
	Reason string `json:"reason"`
}

// Kind names the job's kind in the queue.
func (RepoArgs) Kind() string { return RepoKind }

// DashboardArgs refreshes the fleet dashboard issue of one account.
type DashboardArgs struct {
	InstallationID int64  `json:"installation_id"`
	Owner          string `json:"owner" river:"unique"`
	TemplatesRepo  string `json:"templates_repo"`
}

// Kind names the job's kind in the queue.
func (DashboardArgs) Kind() string { return DashboardKind }

// ReconcileArgs is the periodic job that re-reads every fleet repository's
// .goldenpath.yml (conditional requests) and rolls out versions it missed.
type ReconcileArgs struct{}

// Kind names the job's kind in the queue.
func (ReconcileArgs) Kind() string { return ReconcileKind }
