package request

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/fleetscan"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// act creates what a checked request asks for (SPEC §5): the repository
// with every file and .goldenpath.yml in one commit, team access, topics,
// the fleet record, the comment, the labels, the closed issue. Every step
// is checked against current state, so a retry finishes what an
// interrupted attempt began.
func (w *Workflow) act(ctx context.Context, gh GitHub, r *request, p *plan) error {
	org, repo := r.ref.Org, r.ref.Repo
	version, owner := p.l.version.String(), p.owner
	af := template.AnswersFile{Template: p.tmplName, Version: version, Source: org + "/" + repo, Answers: p.answers, Request: r.url}
	out := make(map[string]github.File, len(p.files)+1)
	for _, f := range p.files {
		out[f.Path] = github.File{Data: f.Data, Mode: f.Mode}
	}
	// The answers file is goldenpath's to write, whatever the skeleton holds.
	out[template.AnswersFileName] = github.File{Data: af.Marshal(), Mode: 0o644}
	opts := github.RepoOptions{
		Visibility:  visibility(p.policy),
		Description: description(p.answers),
		Topics:      topics(p.tmplName, p.policy),
	}
	msg := fmt.Sprintf("Create %s from the %s template v%s\n\nRequested in %s", p.newName, p.tmplName, version, r.url)
	created, err := gh.CreateRepoWithFiles(ctx, org, p.newName, opts, out, msg)
	recovering := false
	switch {
	case err == nil:
		r.log.Info("repository created", "repository", org+"/"+p.newName, "files", len(out))
	case errors.Is(err, github.ErrAlreadyExists):
		adopt := func() (*github.Repo, error) {
			opts.AdoptPristine = true
			return gh.CreateRepoWithFiles(ctx, org, p.newName, opts, out, msg)
		}
		var prev *template.AnswersFile
		if created, prev, err = w.claim(ctx, gh, r, p.l.tmpl.Manifest, p.newName, created, opts.Description, adopt); err != nil {
			return err
		}
		if prev != nil {
			// Finish what the repository records, even if the issue was
			// edited or a newer version was published since.
			recovering = true
			if o, ok := prev.Answers["owner"].(string); ok && o != "" {
				owner = o
			}
			af = *prev
		}
	case errors.Is(err, github.ErrValidation):
		// GitHub refused the repository's settings (such as internal
		// visibility outside an enterprise): retrying cannot help.
		return refusedByGitHub(org, repo, p.newName, err)
	default:
		return fmt.Errorf("creating repository %s/%s: %w", org, p.newName, err)
	}
	return w.finish(ctx, gh, r, p, created, af, owner, recovering, opts.Topics)
}

// finish does what follows the repository's first commit (af is the
// answers file it holds): team access, topics (when recovering an
// interrupted attempt), the fleet record with its ownership, the comment,
// and one write that labels and closes the issue.
func (w *Workflow) finish(ctx context.Context, gh GitHub, r *request, p *plan, created *github.Repo, af template.AnswersFile, owner string, recovering bool, wantTopics []string) error {
	org, repo, newName, version := r.ref.Org, r.ref.Repo, p.newName, af.Version
	if err := gh.GrantTeam(ctx, org, owner, org, newName, "maintain"); err != nil {
		return fmt.Errorf("granting team %s access to %s/%s: %w", owner, org, newName, err)
	}
	if recovering && !slices.Equal(created.Topics, wantTopics) {
		// The attempt may have stopped before the topics were set.
		if err := gh.SetTopics(ctx, org, newName, wantTopics); err != nil {
			return fmt.Errorf("setting topics of %s/%s: %w", org, newName, err)
		}
	}
	rec := fleet.Repo{
		InstallationID: r.ref.InstallationID, Owner: org, Name: newName, Template: p.tmplName, Version: version,
		DefaultBranch: created.DefaultBranch, Request: r.url,
	}
	if err := w.cfg.Fleet.Upsert(ctx, rec); err != nil {
		return fmt.Errorf("recording %s/%s in the fleet index: %w", org, newName, err)
	}
	// The owner is known now: the dashboard's Ownership section and the
	// team events need not wait for a scan to read it back.
	rec.Ownership = ownershipOf(af, owner, p)
	if err := w.cfg.Fleet.SetOwnership(ctx, rec); err != nil {
		return err
	}
	link := created.HTMLURL
	if link == "" {
		link = "https://github.com/" + org + "/" + newName
	}
	success := createdReply(org, newName, link, p.tmplName, version, owner)
	if _, err := gh.UpsertComment(ctx, org, repo, r.ref.Number, Marker, success.Body()); err != nil {
		return fmt.Errorf("commenting on %s/%s#%d: %w", org, repo, r.ref.Number, err)
	}
	// One write labels and closes the issue. The label set is built from the
	// event's labels, so a label someone adds in the instant between the
	// event and this write is lost: a fair price for a request that is done.
	final := doneLabels(r.labels, LabelCreated, LabelRequest, TemplateLabelPfx+p.tmplName)
	if err := gh.CloseWithLabels(ctx, org, repo, r.ref.Number, "completed", final); err != nil {
		return fmt.Errorf("closing %s/%s#%d: %w", org, repo, r.ref.Number, err)
	}
	r.labels = final
	w.markFinished(r.url)
	return nil
}

// A repository of the requested name without an answers file may be this
// request's, made by an attempt that stopped between creating it and its
// first commit, or by another worker that is writing it right now.
const (
	// inProgressWindow: so young, another worker is likely still writing it.
	inProgressWindow = 30 * time.Second
	// claimWindow: older than this, an empty repository is someone else's.
	claimWindow = 10 * time.Minute
)

// claim decides what to do when a repository of the requested name already
// exists: it is this request's (its .goldenpath.yml names this issue: a
// redelivery, or a crash after the commit) and only the remaining steps are
// run (resumed = true); or it is a recent empty repository that an earlier
// attempt created and the files are written into it; or it belongs to
// someone else and stays untouched (a *Problem for the requester).
func (w *Workflow) claim(ctx context.Context, gh GitHub, r *request, m *template.Manifest, name string,
	existing *github.Repo, description string, adopt func() (*github.Repo, error)) (repo *github.Repo, resumed *template.AnswersFile, err error) {
	org := r.ref.Org
	if existing == nil {
		if existing, err = gh.GetRepo(ctx, org, name); err != nil {
			return nil, nil, fmt.Errorf("reading repository %s/%s: %w", org, name, err)
		}
	}
	age := w.cfg.Now().Sub(existing.CreatedAt)
	// So young a repository may be another worker's, still writing it or
	// about to comment: come back when it has surely finished or died, so
	// that two workers never comment at once.
	young := job.Retry(inProgressWindow-age+time.Second,
		fmt.Sprintf("repository %s/%s was created %s ago, perhaps by another attempt at this request still at work", org, name, age.Round(time.Second)))
	data, _, err := gh.GetFile(ctx, org, name, template.AnswersFileName, "")
	switch {
	case err == nil:
		if af, perr := template.ParseAnswersFile(data); perr == nil && af.Request == r.url {
			if age < inProgressWindow {
				return nil, nil, young
			}
			r.log.Info("repository exists and names this request: finishing the remaining steps", "repository", org+"/"+name)
			return existing, &af, nil
		}
	case errors.Is(err, github.ErrNotFound), errors.Is(err, github.ErrConflict):
		// Only a repository carrying this request's description can be an
		// earlier attempt's; anyone else's is answered at once.
		ours := existing.Description == description
		switch {
		case ours && age < inProgressWindow:
			return nil, nil, young
		case ours && age < claimWindow:
			// Written only if it still holds nothing but GitHub's initial
			// commit: an empty repository created minutes ago with this
			// request's description is an earlier attempt's, not a person's.
			repo, err := adopt()
			switch {
			case err == nil:
				r.log.Info("wrote the files into the empty repository an earlier attempt created", "repository", org+"/"+name)
				return repo, nil, nil
			case !errors.Is(err, github.ErrAlreadyExists):
				return nil, nil, fmt.Errorf("writing the files into %s/%s: %w", org, name, err)
			}
		}
	default:
		return nil, nil, fmt.Errorf("reading %s of %s/%s: %w", template.AnswersFileName, org, name, err)
	}
	return nil, nil, repoTaken(m, org, name)
}

func visibility(p config.Policy) string {
	if p.Repository.Visibility == "" {
		return config.VisibilityPrivate
	}
	return p.Repository.Visibility
}

func description(a template.Answers) string {
	d, _ := a["description"].(string)
	// GitHub wants one line of at most 350 characters.
	r := []rune(strings.Join(strings.Fields(d), " "))
	if len(r) > 350 {
		r = append(r[:349], '…')
	}
	return string(r)
}

// topics are the repository's topics: goldenpath, template-<name> and the
// policy's, deduplicated and in a stable order.
func topics(name string, p config.Policy) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range append([]string{"goldenpath", "template-" + name}, p.Repository.Topics...) {
		t = strings.ToLower(strings.TrimSpace(t))
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// ownershipOf is the ownership of a repository this request made, from the
// answers file it holds: the owner team's id when the owner check looked it
// up, else 0, which the next dashboard scan looks up.
func ownershipOf(af template.AnswersFile, owner string, p *plan) fleet.Ownership {
	o := fleetscan.Ownership(af)
	if owner == p.owner && strings.EqualFold(o.Team, owner) {
		o.TeamID = p.ownerID
	}
	return o
}
