package request

import (
	"context"
	"fmt"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// checkOwner checks the owner team: it must exist, and the requester may
// name it (config.Policy.OwnerAllowed). It asks GitHub as little as it can:
// an active membership of the requester in the team answers both questions
// in one request; only then is it asked whether the team exists at all, and
// whether the requester approves.
func (w *Workflow) checkOwner(ctx context.Context, gh GitHub, r *request, m *template.Manifest, pol config.Policy, owner string) (*problem, error) {
	org := r.ref.Org
	inTeam := false
	if !pol.Requesters.AnyOwnerTeam {
		ok, err := gh.IsTeamMember(ctx, org, owner, r.author)
		if err != nil {
			return nil, fmt.Errorf("checking that %s is in the owner team %s/%s: %w", r.author, org, owner, err)
		}
		inTeam = ok
	}
	if !inTeam {
		exists, err := gh.TeamExists(ctx, org, owner)
		if err != nil {
			return nil, fmt.Errorf("checking that team %s/%s exists: %w", org, owner, err)
		}
		if !exists {
			return &problem{
				headline: "This request needs changes",
				text: fmt.Sprintf("- **%s**: there is no team %s in %s. Give the slug of an existing team (it is the last part of the team's URL, like `team-payments`).\n\n%s",
					mdEscape(titleOf(m, "owner")), code(owner), org, editHint),
				needsChanges: true,
			}, nil
		}
	}
	isApprover := false
	if !inTeam && !pol.Requesters.AnyOwnerTeam && pol.Approval.Approvers != "" {
		ok, err := gh.IsTeamMember(ctx, org, pol.Approval.Approvers, r.author)
		if err != nil {
			return nil, fmt.Errorf("checking that %s is in team %s/%s: %w", r.author, org, pol.Approval.Approvers, err)
		}
		isApprover = ok
	}
	if pol.OwnerAllowed(inTeam, isApprover) {
		return nil, nil
	}
	return &problem{
		headline: "This request needs changes",
		text: fmt.Sprintf("- **%s**: @%s is not a member of %s, which would get maintain access to the new repository and review its changes. "+
			"Name a team you belong to, or ask a member of that team to file the request. "+
			"(The organization's `%s` can allow any owner team with `requesters: {anyOwnerTeam: true}`.)\n\n%s",
			mdEscape(titleOf(m, "owner")), r.author, teamList(org, []string{owner}), PolicyFileName, editHint),
		needsChanges: true,
	}, nil
}
