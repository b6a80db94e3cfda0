// Package opsview is what an operator reads from goldenpath's database:
// the fleet index as a table (`goldenpath fleet`) and the job queue's
// failed, retrying and stuck jobs (`goldenpath jobs`). The Fleet and Jobs
// functions decide what to show from rows already read; the Write functions
// print it.
package opsview

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
)

// FleetRow is one repository of the fleet with its upgrade pull request.
type FleetRow struct {
	Template   string `json:"template"`
	Version    string `json:"version"`
	Repository string `json:"repository"`
	Owner      string `json:"owner"`
	// Team is the owning team (the owner answer) as the fleet index last
	// saw it; "" before the index has read the repository's answers.
	Team string `json:"team,omitempty"`
	// PR is the upgrade pull request for this template, if any.
	PR *FleetPR `json:"pr,omitempty"`
}

// FleetPR is a repository's upgrade (or adoption) pull request.
type FleetPR struct {
	Number        int    `json:"number"`
	State         string `json:"state"`
	TargetVersion string `json:"targetVersion"`
	Conflicts     int    `json:"conflicts"`
	LastError     string `json:"lastError,omitempty"`
}

// Fleet joins the fleet index's repositories with their pull requests,
// sorted by template, owner and repository.
func Fleet(repos []fleet.Repo, prs []fleet.UpgradePR) []FleetRow {
	type prKey struct{ owner, name, template string }
	byRepo := make(map[prKey]fleet.UpgradePR, len(prs))
	for _, pr := range prs {
		byRepo[prKey{lower(pr.Owner), lower(pr.Name), pr.Template}] = pr
	}
	rows := make([]FleetRow, 0, len(repos))
	for _, r := range repos {
		row := FleetRow{Template: r.Template, Version: r.Version, Repository: r.Name, Owner: r.Owner, Team: r.Ownership.Team}
		if pr, ok := byRepo[prKey{lower(r.Owner), lower(r.Name), r.Template}]; ok {
			row.PR = &FleetPR{Number: pr.Number, State: pr.State, TargetVersion: pr.TargetVersion, Conflicts: pr.Conflicts, LastError: pr.LastError}
		}
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b FleetRow) int {
		return cmp.Or(cmp.Compare(a.Template, b.Template), cmp.Compare(lower(a.Owner), lower(b.Owner)), cmp.Compare(lower(a.Repository), lower(b.Repository)))
	})
	return rows
}

// text is the PR column: "open #12 → v1.1.0", with conflicts and errors.
func (p *FleetPR) text() string {
	if p == nil {
		return "-"
	}
	s := fmt.Sprintf("%s #%d → v%s", p.State, p.Number, p.TargetVersion)
	if p.Number == 0 {
		s = fmt.Sprintf("%s → v%s", p.State, p.TargetVersion)
	}
	if p.Conflicts > 0 {
		s += fmt.Sprintf(" (%d %s)", p.Conflicts, plural(p.Conflicts, "conflict", "conflicts"))
	}
	if p.LastError != "" {
		s += " error: " + firstLine(p.LastError)
	}
	return s
}

// WriteFleet prints rows as an aligned table, or as JSON (an array).
func WriteFleet(w io.Writer, rows []FleetRow, asJSON bool) error {
	if asJSON {
		return writeJSON(w, rows)
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "The fleet index is empty: no repository was created or adopted from a template yet.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TEMPLATE\tVERSION\tREPOSITORY\tOWNER\tTEAM\tPR")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\tv%s\t%s\t%s\t%s\t%s\n", r.Template, r.Version, r.Repository, r.Owner, cmp.Or(r.Team, "-"), r.PR.text())
	}
	return tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}
