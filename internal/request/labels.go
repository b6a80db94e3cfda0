package request

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
)

// EnsureLabels creates the labels requests use in the templates repository
// (GitHub drops form labels that do not exist): goldenpath, the two status
// labels and template:<name> for every template with a published tag (only
// those can be requested; a tag push is a push, so a new template gets its
// label when it is first published). Call it on installation and on pushes
// to the templates repository: it also rereads the tags and goldenpath.yaml
// and loads every template's published version into the client's cache, so
// requests stay cheap. Requests: the tags, the policy, the labels (unless
// this process made or saw them all within labelTTL), one per missing
// label, two per template version not cached yet.
func (w *Workflow) EnsureLabels(ctx context.Context, installationID int64, org string) error {
	gh, err := w.cfg.Client(ctx, installationID)
	if err != nil {
		return fmt.Errorf("ensuring labels: getting a client for installation %d: %w", installationID, err)
	}
	repo := w.cfg.TemplatesRepo
	src := w.templates(gh, org).Fresh()
	names := map[string]bool{}
	tags, err := src.Tags(ctx)
	if errors.Is(err, github.ErrNotFound) || errors.Is(err, github.ErrConflict) {
		// No templates repository yet (or not shared with the App, or still
		// empty): nothing to label. The push that creates it comes back here.
		w.cfg.Logger.Info("no templates repository to label yet", "org", org, "repo", repo, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("ensuring labels: %w", err)
	}
	if _, err := src.Policy(ctx, ""); err != nil && !errors.As(err, new(*templatesrc.BrokenPolicyError)) {
		return fmt.Errorf("ensuring labels: %w", err)
	}
	tagNames := templatesrc.TagNames(tags)
	for _, t := range tagNames {
		if n, _, ok := template.ParseTag(t); ok {
			names[n] = true
		}
	}
	// Warm the client's tree cache and the shared cache with every
	// template's published version, so a request on any replica pays no
	// archive download.
	for _, n := range sortedKeys(names) {
		if tag, _, ok := template.LatestVersion(tagNames, n); ok {
			if _, err := src.Files(ctx, tag); err != nil {
				w.cfg.Logger.Warn("prefetching a template", "org", org, "tag", tag, "err", err)
			}
		}
	}
	labels := []github.Label{
		{Name: LabelRequest, Color: "5319e7", Description: "A request to goldenpath"},
		{Name: LabelNeedsChanges, Color: "d93f0b", Description: "goldenpath found problems: edit the issue"},
		{Name: LabelCreated, Color: "0e8a16", Description: "goldenpath created the repository"},
		{Name: LabelAdopt, Color: "fbca04", Description: "A request to bring existing repositories onto a golden path"},
	}
	for _, n := range sortedKeys(names) {
		labels = append(labels, github.Label{Name: TemplateLabelPfx + n, Color: "1d76db", Description: "A new repository from the " + n + " template"})
	}
	if err := w.labels.ensure(ctx, gh, org, repo, labels, w.cfg.Now()); err != nil {
		return fmt.Errorf("ensuring labels in %s/%s: %w", org, repo, err)
	}
	return nil
}

// reply shows a problem as the request's comment and sets the labels.
func (w *Workflow) reply(ctx context.Context, gh GitHub, r *request, name string, p *Problem) error {
	r.log.Info("request needs attention", "problem", p.Headline)
	org, repo := r.ref.Org, r.ref.Repo
	if _, err := gh.UpsertComment(ctx, org, repo, r.ref.Number, Marker, p.Body()); err != nil {
		return fmt.Errorf("commenting on %s/%s#%d: %w", org, repo, r.ref.Number, err)
	}
	status := ""
	if p.NeedsChanges {
		status = LabelNeedsChanges
	}
	return w.setLabels(ctx, gh, r, name, status)
}

// setLabels adds status (if any), goldenpath and template:<name> where
// missing, and removes goldenpath:needs-changes unless it is the status. It
// works from the event's labels, so it sends nothing when all is in place.
func (w *Workflow) setLabels(ctx context.Context, gh GitHub, r *request, name, status string) error {
	org, repo := r.ref.Org, r.ref.Repo
	var add []string
	for _, l := range []string{status, LabelRequest, TemplateLabelPfx + name} {
		if l != "" && !r.hasLabel(l) {
			add = append(add, l)
		}
	}
	if len(add) > 0 {
		if err := gh.AddLabels(ctx, org, repo, r.ref.Number, add); err != nil {
			return fmt.Errorf("labelling %s/%s#%d: %w", org, repo, r.ref.Number, err)
		}
		r.labels = append(r.labels, add...)
	}
	if status != LabelNeedsChanges && r.hasLabel(LabelNeedsChanges) {
		err := gh.RemoveLabel(ctx, org, repo, r.ref.Number, LabelNeedsChanges)
		if err != nil && !errors.Is(err, github.ErrNotFound) {
			return fmt.Errorf("removing label %s from %s/%s#%d: %w", LabelNeedsChanges, org, repo, r.ref.Number, err)
		}
	}
	return nil
}

// doneLabels is the label set of a finished request: the labels,
// plus add where missing, without goldenpath:needs-changes (compared as
// GitHub compares label names, case-insensitively).
func doneLabels(have []string, add ...string) []string {
	out := make([]string, 0, len(have)+len(add))
	seen := map[string]bool{strings.ToLower(LabelNeedsChanges): true}
	for _, l := range append(slices.Clone(have), add...) {
		if k := strings.ToLower(l); l != "" && !seen[k] {
			seen[k] = true
			out = append(out, l)
		}
	}
	return out
}
