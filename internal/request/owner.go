package request

import (
	"context"
	"fmt"
)

// checkOwner checks the owner team: it must exist, and the requester may
// name it (config.Policy.OwnerAllowed). It asks GitHub as little as it can:
// an active membership of the requester in the team answers both questions
// in one request; only then is it asked whether the team exists at all, and
// whether the requester approves.
func (w *Workflow) checkOwner(ctx context.Context, gh GitHub, r *request, p *plan) error {
	org, owner, pol := r.ref.Org, p.owner, p.policy
	inTeam := false
	if !pol.Requesters.AnyOwnerTeam {
		ok, err := gh.IsTeamMember(ctx, org, owner, r.author)
		if err != nil {
			return fmt.Errorf("checking that %s is in the owner team %s/%s: %w", r.author, org, owner, err)
		}
		inTeam = ok
	}
	if !inTeam {
		// The team's id comes with the answer: the fleet index follows the
		// owner team by it.
		id, exists, err := gh.TeamID(ctx, org, owner)
		if err != nil {
			return fmt.Errorf("checking that team %s/%s exists: %w", org, owner, err)
		}
		if !exists {
			return noTeam(p.l.tmpl.Manifest, org, owner)
		}
		p.ownerID = id
	}
	isApprover := false
	if !inTeam && !pol.Requesters.AnyOwnerTeam && pol.Approval.Approvers != "" {
		ok, err := gh.IsTeamMember(ctx, org, pol.Approval.Approvers, r.author)
		if err != nil {
			return fmt.Errorf("checking that %s is in team %s/%s: %w", r.author, org, pol.Approval.Approvers, err)
		}
		isApprover = ok
	}
	if pol.OwnerAllowed(inTeam, isApprover) {
		return nil
	}
	return notInOwnerTeam(p.l.tmpl.Manifest, org, r.author, owner)
}
