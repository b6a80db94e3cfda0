package request

import (
	"context"
	"errors"
	"fmt"

	"github.com/goldenpath-dev/goldenpath/internal/adoption"
	"github.com/goldenpath-dev/goldenpath/internal/issueform"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
)

// LabelAdopt marks adoption requests (SPEC §6).
const LabelAdopt = adoption.Label

// Adopter starts the adoption of the repositories an accepted adoption
// request selects (*adoption.Workflow).
type Adopter interface {
	Start(ctx context.Context, req adoption.Request) error
}

// checkAdoption is check for an adoption request: the form is read, then
// the same policy as a request applies (requester teams, approval).
func (w *Workflow) checkAdoption(ctx context.Context, gh GitHub, r *request, p *plan) error {
	org := r.ref.Org
	m := p.l.tmpl.Manifest
	form, err := issueform.ParseAdoption(m, r.body, org)
	if err != nil {
		return unreadableAnswers(m, err)
	}
	src := w.templates(gh, org)
	p.policy, err = src.Policy(ctx, "")
	var broken *templatesrc.BrokenPolicyError
	if errors.As(err, &broken) {
		return brokenPolicy(org, r.ref.Repo, broken.Err)
	}
	if err != nil {
		return err
	}
	if err := w.mayRequest(ctx, gh, r, p.policy); err != nil {
		return err
	}
	if err := w.approved(ctx, gh, r, p.policy); err != nil {
		return err
	}
	p.adoption = form
	return nil
}

// adopt hands an accepted adoption request to the adoption workflow, which
// keeps the issue's comment from then on and closes it when done.
func (w *Workflow) adopt(ctx context.Context, gh GitHub, r *request, p *plan) error {
	if err := w.setLabels(ctx, gh, r, p.tmplName, ""); err != nil {
		return err
	}
	err := w.cfg.Adopter.Start(ctx, adoption.Request{
		InstallationID: r.ref.InstallationID, Org: r.ref.Org, TemplatesRepo: r.ref.Repo, Issue: r.ref.Number, IssueURL: r.url,
		Tag: p.l.tag, Template: p.tmplName, Repositories: p.adoption.Repositories, Given: p.adoption.Answers,
		PRHourlyLimit: p.policy.Upgrades.PRHourlyLimit, PRConcurrentLimit: p.policy.Upgrades.PRConcurrentLimit,
	})
	if err != nil {
		return fmt.Errorf("starting the adoption of %s: %w", r.url, err)
	}
	w.markFinished(r.url)
	return nil
}
