package request

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/issueform"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
)

// plan is a request that passed its checks: what act creates.
type plan struct {
	tmplName string // the template; set as soon as it is known
	l        *loaded
	answers  template.Answers
	newName  string // the new repository
	owner    string // the owning team
	// ownerID is the owning team's id when the owner check looked the team
	// up (0 when the requester's membership answered alone).
	ownerID int64
	policy  config.Policy
	files   []template.File
	// adoption is an adoption request's form (SPEC §6): act hands it to
	// the adoption workflow instead of creating a repository.
	adoption *issueform.Adoption
}

// check runs the request's checks in SPEC §5's order, reading but never
// writing. It returns nil, nil for an issue that is not a request, and a
// *Problem (with the plan so far, for the labels) for a request someone
// must act on.
func (w *Workflow) check(ctx context.Context, gh GitHub, r *request) (*plan, error) {
	org := r.ref.Org
	src := w.templates(gh, org)
	p := &plan{tmplName: templateFromLabels(r.labels)}
	if p.tmplName == "" {
		// No template label (GitHub dropped it): recognise the form's headings.
		l, err := w.recognise(ctx, gh, r)
		if err != nil || l == nil {
			return nil, err
		}
		p.l, p.tmplName = l, l.tmpl.Manifest.Name
	}
	r.log = r.log.With("template", p.tmplName)

	// Only members ask: author_association hides private members, the API does not.
	member, err := gh.IsOrgMember(ctx, org, r.author)
	if err != nil {
		return p, fmt.Errorf("checking that %s is a member of %s: %w", r.author, org, err)
	}
	if !member {
		return p, notMember(org, r.author)
	}
	if p.l == nil {
		if p.l, err = w.load(ctx, src, r, p.tmplName); err != nil {
			return p, err
		}
	}
	r.log = r.log.With("version", p.l.version.String())
	if w.cfg.Adopter != nil && (r.hasLabel(LabelAdopt) || issueform.LooksLikeAdoption(p.l.tmpl.Manifest, r.body)) {
		return p, w.checkAdoption(ctx, gh, r, p)
	}
	if err := w.checkAnswers(r, p); err != nil {
		return p, err
	}
	p.policy, err = src.Policy(ctx, "")
	var broken *templatesrc.BrokenPolicyError
	if errors.As(err, &broken) {
		return p, brokenPolicy(org, r.ref.Repo, broken.Err)
	}
	if err != nil {
		return p, err
	}
	if err := w.mayRequest(ctx, gh, r, p.policy); err != nil {
		return p, err
	}
	if p.files, err = template.RenderCtx(ctx, p.l.tmpl, p.answers, template.RenderContext{Org: org, Timeout: w.cfg.RenderTimeout}); err != nil {
		r.log.Warn("template does not render", "err", err)
		return p, renderFailed(org, r.ref.Repo, p.tmplName, p.l.version.String(), err)
	}
	if err := w.checkOwner(ctx, gh, r, p); err != nil {
		return p, err
	}
	// Last, so approvers are asked only about a request that can go ahead.
	return p, w.approved(ctx, gh, r, p.policy)
}

// checkAnswers reads and validates the answers in the body.
func (w *Workflow) checkAnswers(r *request, p *plan) error {
	m := p.l.tmpl.Manifest
	raw, err := issueform.ParseBody(m, r.body)
	if err != nil {
		return unreadableAnswers(m, err)
	}
	answers, err := m.Validate(raw)
	var ve *template.ValidationError
	if errors.As(err, &ve) {
		return validationProblem(p.l.tmpl, p.l.version.String(), ve)
	} else if err != nil {
		return fmt.Errorf("validating answers: %w", err)
	}
	p.answers = answers
	p.newName, _ = answers["name"].(string)
	p.owner, _ = answers["owner"].(string)
	return nil
}

// mayRequest applies the policy's requester teams: a *Problem when the
// author may not request repositories.
func (w *Workflow) mayRequest(ctx context.Context, gh GitHub, r *request, pol config.Policy) error {
	org := r.ref.Org
	if len(pol.Requesters.Teams) == 0 {
		return nil
	}
	for _, t := range pol.Requesters.Teams {
		ok, err := gh.IsTeamMember(ctx, org, t, r.author)
		if err != nil {
			return fmt.Errorf("checking that %s is in team %s/%s: %w", r.author, org, t, err)
		}
		if ok {
			return nil
		}
	}
	return notRequester(org, r.author, pol.Requesters.Teams)
}

// approved applies the policy's approval: the request waits (a *Problem)
// until a member of the approvers team (not its author) comments /approve.
func (w *Workflow) approved(ctx context.Context, gh GitHub, r *request, pol config.Policy) error {
	org := r.ref.Org
	if !pol.Approval.Required {
		return nil
	}
	team := pol.Approval.Approvers
	if r.approver == "" {
		return waitingApproval(org, team, "")
	}
	if strings.EqualFold(r.approver, r.author) {
		return waitingApproval(org, team, "@"+r.approver+" filed this request and cannot approve it.")
	}
	ok, err := gh.IsTeamMember(ctx, org, team, r.approver)
	if err != nil {
		return fmt.Errorf("checking that %s is in team %s/%s: %w", r.approver, org, team, err)
	}
	if !ok {
		return waitingApproval(org, team, "The `/approve` of @"+r.approver+" does not count: they are not a member of that team.")
	}
	r.log.Info("request approved", "approver", r.approver)
	return nil
}
