package request

import (
	"fmt"

	"context"
	"gopkg.in/yaml.v3"

	"github.com/goldenpath-dev/goldenpath/internal/github"
)

// policy is the part of goldenpath.yaml (internal/config) the workflow reads.
type policy struct {
	RequesterTeams   []string
	ApprovalRequired bool
	ApproversTeam    string
	Visibility       string
	Topics           []string
}

// FleetRepo is one repository for the fleet index.
type FleetRepo struct {
	InstallationID int64
	Owner, Name    string
	Template       string
	Version        string
	DefaultBranch  string
	Request        string
}

// Fleet records which repositories came from which template.
type Fleet interface {
	Upsert(ctx context.Context, r FleetRepo) error
}

// parsePolicy reads goldenpath.yaml from a tree; no file is the default policy.
func parsePolicy(files map[string]github.File) (policy, error) {
	f, ok := files[PolicyFileName]
	if !ok {
		return policy{}, nil
	}
	var raw struct {
		Requesters struct {
			Teams []string `yaml:"teams"`
		} `yaml:"requesters"`
		Approval struct {
			Required  bool   `yaml:"required"`
			Approvers string `yaml:"approvers"`
		} `yaml:"approval"`
		Repository struct {
			Visibility string   `yaml:"visibility"`
			Topics     []string `yaml:"topics"`
		} `yaml:"repository"`
	}
	if err := yaml.Unmarshal(f.Data, &raw); err != nil {
		return policy{}, fmt.Errorf("parsing %s: %w", PolicyFileName, err)
	}
	return policy{
		RequesterTeams:   raw.Requesters.Teams,
		ApprovalRequired: raw.Approval.Required,
		ApproversTeam:    raw.Approval.Approvers,
		Visibility:       raw.Repository.Visibility,
		Topics:           raw.Repository.Topics,
	}, nil
}
