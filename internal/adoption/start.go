package adoption

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/issueform"
)

// Request is an adoption issue that passed the request policy (who may
// ask, approval): what Start needs.
type Request struct {
	InstallationID int64
	Org            string // the account, where the repositories live
	TemplatesRepo  string
	Issue          int
	IssueURL       string
	// Tag is the template's newest released version (<name>/vX.Y.Z).
	Tag          string
	Template     string
	Repositories issueform.RepositoryList
	// Given are the answers the issue gives for every repository.
	Given map[string]any
	// Limits of goldenpath.yaml (upgrades:).
	PRHourlyLimit, PRConcurrentLimit int
}

// Start selects the request's repositories, records a row for each (a
// redelivered request records nothing new), queues one job per repository
// still to adopt and asks for the issue's comment. Requests: the
// installation's repositories (one per 100).
func (w *Workflow) Start(ctx context.Context, req Request) error {
	gh, err := w.cfg.Client(ctx, req.InstallationID)
	if err != nil {
		return err
	}
	repos, err := gh.Repos(ctx)
	if err != nil {
		return fmt.Errorf("selecting the repositories of adoption request %s: %w", req.IssueURL, err)
	}
	given, err := json.Marshal(req.Given)
	if err != nil {
		return fmt.Errorf("encoding the answers of adoption request %s: %w", req.IssueURL, err)
	}
	rows := selectRows(req, repos)
	for i := range rows {
		rows[i].Given = string(given)
	}
	if err := w.cfg.Store.Insert(ctx, rows); err != nil {
		return err
	}
	// The rows as recorded: a redelivery finds the first delivery's.
	rows, err = w.cfg.Store.Rows(ctx, req.Org, req.TemplatesRepo, req.Issue)
	if err != nil {
		return err
	}
	var jobs []RepoArgs
	for _, r := range rows {
		if r.State == Queued {
			jobs = append(jobs, RepoArgs{InstallationID: req.InstallationID, Org: req.Org, TemplatesRepo: req.TemplatesRepo, Issue: req.Issue,
				Repo: r.Repo, Tag: req.Tag, Cause: CauseIssue, Given: json.RawMessage(r.Given),
				PRHourlyLimit: req.PRHourlyLimit, PRConcurrentLimit: req.PRConcurrentLimit})
		}
	}
	w.cfg.Logger.Info("adoption requested", slog.String("issue", req.IssueURL), slog.Int("repositories", len(rows)), slog.Int("queued", len(jobs)))
	if len(jobs) > 0 {
		if err := w.cfg.Queue.EnqueueRepos(ctx, jobs); err != nil {
			return err
		}
	}
	return w.cfg.Queue.EnqueueComment(ctx, CommentArgs{InstallationID: req.InstallationID, Org: req.Org, TemplatesRepo: req.TemplatesRepo, Issue: req.Issue})
}

// selectRows decides the request's rows from the installation's
// repositories: every name given (a clear reason for one the installation
// cannot see, or archived), then every repository with a topic given
// (archived ones and the templates repository left out), each once; an
// entry of the list that is not a repository is a row with its reason.
func selectRows(req Request, repos []*github.Repo) []Row {
	byName := map[string]*github.Repo{}
	for _, r := range repos {
		if strings.EqualFold(r.Owner, req.Org) {
			byName[strings.ToLower(r.Name)] = r
		}
	}
	base := Row{InstallationID: req.InstallationID, Org: req.Org, TemplatesRepo: req.TemplatesRepo, Issue: req.Issue,
		IssueURL: req.IssueURL, Template: req.Template}
	var rows []Row
	seen := map[string]bool{}
	add := func(r Row) {
		if k := strings.ToLower(r.Repo); !seen[k] {
			seen[k] = true
			r.Position = len(rows)
			rows = append(rows, r)
		}
	}
	queued := func(gr *github.Repo) Row {
		r := base
		r.Repo, r.State, r.DefaultBranch, r.Description = gr.Name, Queued, gr.DefaultBranch, gr.Description
		return r
	}
	for _, name := range req.Repositories.Names {
		gr, ok := byName[strings.ToLower(name)]
		r := base
		r.Repo, r.State = name, Skipped
		switch {
		case !ok:
			r.Reason = fmt.Sprintf("not a repository of %s that goldenpath can see (it does not exist, or the App is not installed on it)", req.Org)
		case gr.Archived:
			r.Repo, r.Reason = gr.Name, "archived: it cannot take a pull request"
		case strings.EqualFold(gr.Name, req.TemplatesRepo):
			r.Repo, r.Reason = gr.Name, "the templates repository itself is not adopted"
		default:
			r = queued(gr)
		}
		add(r)
	}
	names := make([]string, 0, len(byName))
	for k := range byName {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, topic := range req.Repositories.Topics {
		for _, k := range names {
			gr := byName[k]
			if !gr.Archived && !strings.EqualFold(gr.Name, req.TemplatesRepo) && slices.Contains(gr.Topics, topic) {
				add(queued(gr))
			}
		}
	}
	for i, p := range req.Repositories.Problems {
		r := base
		r.Repo, r.State, r.Reason = fmt.Sprintf("entry %d", i+1), Skipped, p
		add(r)
	}
	return rows
}
