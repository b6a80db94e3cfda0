package github

import (
	"context"
	"errors"
	"fmt"

	gh "github.com/google/go-github/v62/github"
)

// IsOrgMember asks GET /orgs/{org}/members/{user}: 204 yes, 404 no. This is
// the membership check to trust (author_association hides private members).
func (c *Client) IsOrgMember(ctx context.Context, org, user string) (bool, error) {
	ok, _, err := c.gh.Organizations.IsMember(ctx, org, user)
	if err != nil {
		return false, fmt.Errorf("checking whether %s is a member of %s: %w", user, org, classify(err))
	}
	return ok, nil
}

// TeamExists tells whether the team slug exists in org.
func (c *Client) TeamExists(ctx context.Context, org, team string) (bool, error) {
	_, _, err := c.gh.Teams.GetTeamBySlug(ctx, org, team)
	switch err = classify(err); {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("looking up team %s/%s: %w", org, team, err)
}

// IsTeamMember tells whether user is an active member (or maintainer) of the
// team; a pending invitation is not membership.
func (c *Client) IsTeamMember(ctx context.Context, org, team, user string) (bool, error) {
	m, _, err := c.gh.Teams.GetTeamMembershipBySlug(ctx, org, team, user)
	switch err = classify(err); {
	case err == nil:
		return m.GetState() == "active", nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("checking whether %s is in team %s/%s: %w", user, org, team, err)
}

// GrantTeam gives the team permission ("pull", "triage", "push", "maintain",
// "admin") on owner/repo. PUT: safe to repeat.
func (c *Client) GrantTeam(ctx context.Context, org, team, owner, repo, permission string) error {
	_, err := c.gh.Teams.AddTeamRepoBySlug(ctx, org, team, owner, repo, &gh.TeamAddTeamRepoOptions{Permission: permission})
	if err != nil {
		return fmt.Errorf("granting team %s/%s %s access to %s/%s: %w", org, team, permission, owner, repo, classify(err))
	}
	return nil
}

// AdminTeams lists the slugs of the teams with admin or maintain
// permission on owner/repo (GET /repos/{owner}/{repo}/teams, all pages).
func (c *Client) AdminTeams(ctx context.Context, owner, repo string) ([]string, error) {
	var out []string
	opts := &gh.ListOptions{PerPage: 100}
	for {
		page, resp, err := c.gh.Repositories.ListTeams(ctx, owner, repo, opts)
		if err != nil {
			return nil, fmt.Errorf("listing the teams of %s/%s: %w", owner, repo, classify(err))
		}
		for _, t := range page {
			// permissions is the precise set (GitHub may name maintain
			// "push" in the legacy permission field).
			if p := t.GetPermission(); p == "admin" || p == "maintain" || t.Permissions["admin"] || t.Permissions["maintain"] {
				out = append(out, t.GetSlug())
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}
