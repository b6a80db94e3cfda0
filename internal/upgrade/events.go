package upgrade

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/ghevent"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// Route declares the webhook events the upgrade workflow handles. app.yml
// subscribes to push, release, pull_request and repository; GitHub sends
// installation and installation_repositories to every App.
func (w *Workflow) Route() job.Route {
	return job.Route{
		Workflow: "upgrade",
		Events:   []string{"push", "release", "pull_request", "repository", "installation", "installation_repositories"},
		Handle: func(ctx context.Context, d job.Delivery) error {
			return w.HandleEvent(ctx, d.Event, d.ID, d.InstallationID, d.Payload)
		},
	}
}

type installationPayload struct {
	ghevent.Envelope
	RepositoriesAdded []struct {
		FullName string `json:"full_name"`
	} `json:"repositories_added"`
	RepositoriesRemoved []struct {
		FullName string `json:"full_name"`
	} `json:"repositories_removed"`
}

type repositoryPayload struct {
	ghevent.Envelope
	Changes struct {
		Repository struct {
			Name struct {
				From string `json:"from"`
			} `json:"name"`
		} `json:"repository"`
		// Owner.From names the previous owner of a transferred repository:
		// a user or an organization.
		Owner struct {
			From struct {
				User *struct {
					Login string `json:"login"`
				} `json:"user"`
				Organization *struct {
					Login string `json:"login"`
				} `json:"organization"`
			} `json:"from"`
		} `json:"owner"`
	} `json:"changes"`
}

type pushPayload struct {
	ghevent.Envelope
	Ref     string `json:"ref"`
	After   string `json:"after"`
	Deleted bool   `json:"deleted"`
	Commits []struct {
		Added    []string `json:"added"`
		Modified []string `json:"modified"`
		Removed  []string `json:"removed"`
	} `json:"commits"`
	HeadCommit *struct {
		Added    []string `json:"added"`
		Modified []string `json:"modified"`
		Removed  []string `json:"removed"`
	} `json:"head_commit"`
}

type releasePayload struct {
	ghevent.Envelope
	Release struct {
		TagName    string `json:"tag_name"`
		Prerelease bool   `json:"prerelease"`
		Draft      bool   `json:"draft"`
	} `json:"release"`
}

type prPayload struct {
	ghevent.Envelope
	Number      int `json:"number"`
	PullRequest struct {
		Number int    `json:"number"`
		Body   string `json:"body"`
		Merged bool   `json:"merged"`
		Head   struct {
			Ref  string `json:"ref"`
			Repo *struct {
				FullName string `json:"full_name"`
			} `json:"repo"`
		} `json:"head"`
	} `json:"pull_request"`
}

// HandleEvent works one webhook delivery of the events Route declares; others
// are ignored. deliveryID makes asks to rebuild unique jobs.
func (w *Workflow) HandleEvent(ctx context.Context, event, deliveryID string, installationID int64, payload []byte) error {
	switch event {
	case "push":
		var p pushPayload
		if err := ghevent.Decode(event, payload, &p); err != nil {
			return err
		}
		return w.handlePush(ctx, installationID, p)
	case "release":
		var p releasePayload
		if err := ghevent.Decode(event, payload, &p); err != nil {
			return err
		}
		if p.Action != "published" || p.Release.Prerelease || p.Release.Draft {
			return nil
		}
		return w.HandleTagPush(ctx, installationID, p.Repository.OwnerLogin(), p.Repository.Name, p.Release.TagName, "")
	case "installation", "installation_repositories":
		var p installationPayload
		if err := ghevent.Decode(event, payload, &p); err != nil {
			return err
		}
		return w.handleInstallation(ctx, installationID, event, p)
	case "repository":
		var p repositoryPayload
		if err := ghevent.Decode(event, payload, &p); err != nil {
			return err
		}
		return w.handleRepository(ctx, installationID, p)
	case "pull_request":
		var p prPayload
		if err := ghevent.Decode(event, payload, &p); err != nil {
			return err
		}
		return w.handlePullRequest(ctx, installationID, deliveryID, p)
	}
	return nil
}

// handleRepository keeps the fleet in step with a repository's life: deleted
// and archived ones leave it (archived ones take no pull requests);
// unarchived ones are read again; renamed and transferred ones leave under
// their old name or owner and are read under the new one (the payload's
// repository is already the new one).
func (w *Workflow) handleRepository(ctx context.Context, installationID int64, p repositoryPayload) error {
	owner, name := p.Repository.OwnerLogin(), p.Repository.Name
	switch p.Action {
	case "deleted", "archived":
		return w.cfg.Fleet.Delete(ctx, owner, name)
	case "unarchived":
		return w.RefreshRepo(ctx, installationID, owner, name, p.Repository.DefaultBranch, "")
	case "renamed":
		if from := p.Changes.Repository.Name.From; from != "" {
			if err := w.cfg.Fleet.Delete(ctx, owner, from); err != nil {
				return err
			}
		}
		return w.RefreshRepo(ctx, installationID, owner, name, p.Repository.DefaultBranch, "")
	case "transferred":
		from := p.Changes.Owner.From
		prev := ""
		switch {
		case from.Organization != nil && from.Organization.Login != "":
			prev = from.Organization.Login
		case from.User != nil && from.User.Login != "":
			prev = from.User.Login
		}
		if prev != "" && !strings.EqualFold(prev, owner) {
			if err := w.cfg.Fleet.Delete(ctx, prev, name); err != nil {
				return err
			}
		}
		// Read under the new owner: it joins the fleet if this installation
		// sees it (an installation that does not is answered 404, and the
		// refresh leaves it out).
		return w.RefreshRepo(ctx, installationID, owner, name, p.Repository.DefaultBranch, "")
	}
	return nil
}

// handleInstallation keeps the fleet in step with what the App can see: a
// new installation is reconciled in full, added repositories are read,
// removed ones (or a removed installation's) leave the fleet.
func (w *Workflow) handleInstallation(ctx context.Context, installationID int64, event string, p installationPayload) error {
	if installationID == 0 {
		installationID = p.Installation.ID
	}
	account := p.Installation.Account.Login
	switch {
	case event == "installation" && p.Action == "created":
		return w.Reconcile(ctx, installationID, account)
	case event == "installation" && p.Action == "deleted":
		all, err := w.cfg.Fleet.List(ctx)
		if err != nil {
			return err
		}
		for _, r := range all {
			if strings.EqualFold(r.Owner, account) {
				if err := w.cfg.Fleet.Delete(ctx, r.Owner, r.Name); err != nil {
					return err
				}
			}
		}
		return nil
	case event == "installation_repositories":
		for _, r := range p.RepositoriesRemoved {
			if owner, name, ok := strings.Cut(r.FullName, "/"); ok {
				if err := w.cfg.Fleet.Delete(ctx, owner, name); err != nil {
					return err
				}
			}
		}
		for _, r := range p.RepositoriesAdded {
			if owner, name, ok := strings.Cut(r.FullName, "/"); ok {
				if err := w.RefreshRepo(ctx, installationID, owner, name, "", ""); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (w *Workflow) handlePush(ctx context.Context, installationID int64, p pushPayload) error {
	owner, name := p.Repository.OwnerLogin(), p.Repository.Name
	if tag, ok := strings.CutPrefix(p.Ref, "refs/tags/"); ok {
		if p.Deleted || !strings.EqualFold(name, w.cfg.TemplatesRepo) {
			return nil
		}
		return w.HandleTagPush(ctx, installationID, owner, name, tag, p.After)
	}
	branch, ok := strings.CutPrefix(p.Ref, "refs/heads/")
	if !ok || p.Deleted || branch != p.Repository.DefaultBranch || !touchesAnswers(p) {
		return nil
	}
	if w.isBot(p.Sender.Login) {
		// The App's own push to a default branch is a repository it just
		// created: the request workflow records it in the fleet, so reading
		// the answers back would only cost a request. The dashboard still
		// has to show it.
		return w.cfg.Queue.EnqueueDashboard(ctx, DashboardArgs{InstallationID: installationID, Owner: owner, TemplatesRepo: w.cfg.TemplatesRepo})
	}
	return w.RefreshRepo(ctx, installationID, owner, name, branch, p.After)
}

// PushTouchesAnswers reports whether a push event's payload may change
// .goldenpath.yml (when GitHub lists too few commits to tell, it may).
func PushTouchesAnswers(payload []byte) bool {
	var p pushPayload
	return ghevent.Decode("push", payload, &p) == nil && touchesAnswers(p)
}

func touchesAnswers(p pushPayload) bool {
	lists := [][]string{}
	for _, c := range p.Commits {
		lists = append(lists, c.Added, c.Modified, c.Removed)
	}
	if p.HeadCommit != nil {
		lists = append(lists, p.HeadCommit.Added, p.HeadCommit.Modified, p.HeadCommit.Removed)
	}
	for _, l := range lists {
		for _, f := range l {
			if f == template.AnswersFileName {
				return true
			}
		}
	}
	// GitHub lists at most 20 commits (and none for a big push): look when unsure.
	return len(p.Commits) >= 20 || (len(p.Commits) == 0 && p.HeadCommit == nil)
}

// RefreshRepo re-reads a repository's .goldenpath.yml at ref and keeps the
// fleet index in step: a repository that gained a valid one joins (adopted
// by hand), one that lost it leaves. One request.
func (w *Workflow) RefreshRepo(ctx context.Context, installationID int64, owner, name, defaultBranch, ref string) error {
	gh, err := w.cfg.Client(ctx, installationID)
	if err != nil {
		return err
	}
	data, _, err := gh.GetFile(ctx, owner, name, template.AnswersFileName, ref)
	if errors.Is(err, github.ErrNotFound) {
		return w.cfg.Fleet.Delete(ctx, owner, name)
	}
	if err != nil {
		return err
	}
	return w.recordAnswers(ctx, installationID, owner, name, defaultBranch, data)
}

func (w *Workflow) recordAnswers(ctx context.Context, installationID int64, owner, name, defaultBranch string, data []byte) error {
	af, err := template.ParseAnswersFile(data)
	if err != nil {
		w.cfg.Logger.Info("ignoring an invalid answers file", slog.String("repo", owner+"/"+name), slog.Any("error", err))
		return nil
	}
	if _, ok := parseVersion(af.Version); !ok {
		return nil
	}
	prev, err := w.cfg.Fleet.Get(ctx, owner, name)
	if err != nil && !errors.Is(err, fleet.ErrNotFound) {
		return err
	}
	next := fleet.Repo{InstallationID: installationID, Owner: owner, Name: name, Template: af.Template,
		Version: af.Version, DefaultBranch: defaultBranch, Request: af.Request}
	if err == nil && prev.InstallationID == next.InstallationID && prev.Template == next.Template &&
		prev.Version == next.Version && prev.DefaultBranch == next.DefaultBranch && prev.Request == next.Request {
		return nil
	}
	if err := w.cfg.Fleet.Upsert(ctx, next); err != nil {
		return err
	}
	if org, _, ok := strings.Cut(af.Source, "/"); ok {
		return w.cfg.Queue.EnqueueDashboard(ctx, DashboardArgs{InstallationID: installationID, Owner: org, TemplatesRepo: w.cfg.TemplatesRepo})
	}
	return nil
}

func (w *Workflow) handlePullRequest(ctx context.Context, installationID int64, deliveryID string, p prPayload) error {
	pr := p.PullRequest
	owner, repo := p.Repository.OwnerLogin(), p.Repository.Name
	if !strings.HasPrefix(pr.Head.Ref, BranchPrefix) || (pr.Head.Repo != nil && !strings.EqualFold(pr.Head.Repo.FullName, owner+"/"+repo)) {
		return nil
	}
	meta, ok := ParseMeta(pr.Body)
	if !ok || pr.Head.Ref != Branch(meta.Template) {
		return nil
	}
	number := pr.Number
	if number == 0 {
		number = p.Number
	}
	org, trepo, _ := strings.Cut(meta.Source, "/")
	a := RepoArgs{InstallationID: installationID, Owner: owner, Repo: repo, Tag: meta.Template + "/v" + meta.To,
		TemplatesOwner: org, TemplatesRepo: trepo}
	dashboard := func() error {
		return w.cfg.Queue.EnqueueDashboard(ctx, DashboardArgs{InstallationID: installationID, Owner: org, TemplatesRepo: trepo})
	}
	switch p.Action {
	case "closed":
		if pr.Merged {
			fr, err := w.cfg.Fleet.Get(ctx, owner, repo)
			if err != nil && !errors.Is(err, fleet.ErrNotFound) {
				return err
			}
			if errors.Is(err, fleet.ErrNotFound) {
				fr = fleet.Repo{InstallationID: installationID, Owner: owner, Name: repo, Template: meta.Template, DefaultBranch: p.Repository.DefaultBranch}
			}
			if olderThan(fr.Version, mustVersion(meta.To)) {
				fr.Version, fr.Template = meta.To, meta.Template
				if err := w.cfg.Fleet.Upsert(ctx, fr); err != nil {
					return err
				}
			}
			if err := w.recordPR(ctx, a, meta.Template, meta.To, number, fleet.PRMerged, 0, ""); err != nil {
				return err
			}
			return dashboard()
		}
		if IsAdoption(meta) {
			// The adoption workflow explains a closed adoption itself.
			if err := w.recordPR(ctx, a, meta.Template, meta.To, number, fleet.PRClosed, -1, ""); err != nil {
				return err
			}
			return dashboard()
		}
		gh, err := w.cfg.Client(ctx, installationID)
		if err != nil {
			return err
		}
		body := fmt.Sprintf("Closed without merging, so goldenpath will not open the upgrade to **v%s** of `%s` again. The next version of the template opens a new pull request.\n\n"+
			"To get this upgrade back now, reopen this pull request: goldenpath rebuilds it from the default branch. To upgrade on your own machine instead, run `goldenpath upgrade --to %s --source <clone of %s>` in a clean checkout.",
			meta.To, meta.Template, meta.To, meta.Source)
		if _, err := gh.UpsertComment(ctx, owner, repo, number, "upgrade-closed", body); err != nil {
			return err
		}
		if err := w.recordPR(ctx, a, meta.Template, meta.To, number, fleet.PRClosed, -1, ""); err != nil {
			return err
		}
		return dashboard()
	case "reopened", "edited":
		if IsAdoption(meta) {
			return nil // an adoption is not rebuilt as an upgrade
		}
		if p.Action == "edited" && (!RebuildRequested(pr.Body) || w.isBot(p.Sender.Login)) {
			return nil
		}
		// Rebuild at the newest version known for the repository: a
		// blocked pull request may have missed some.
		version := meta.To
		if rec, err := w.cfg.Fleet.UpgradePR(ctx, owner, repo, meta.Template); err == nil && mustVersion(version).LessThan(mustVersion(rec.TargetVersion)) {
			version = rec.TargetVersion
		}
		if err := w.recordPR(ctx, a, meta.Template, version, number, fleet.PROpen, -1, ""); err != nil {
			return err
		}
		a.Tag = meta.Template + "/v" + version
		a.Rebuild, a.Cause = true, "rebuild:"+deliveryID
		return w.cfg.Queue.EnqueueUpgrades(ctx, []RepoArgs{a})
	}
	return nil
}
