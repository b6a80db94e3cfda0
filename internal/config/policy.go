package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// PolicyFile is where an organisation's policy lives in its templates
// repository.
const PolicyFile = "goldenpath.yaml"

// Policy is an organisation's goldenpath.yaml (SPEC §3).
type Policy struct {
	Requesters Requesters       `yaml:"requesters"`
	Approval   Approval         `yaml:"approval"`
	Repository RepositoryPolicy `yaml:"repository"`
	Upgrades   Upgrades         `yaml:"upgrades"`
}

// Requesters limits who may file requests (no teams: any org member) and
// which team they may name as the owner of the new repository.
type Requesters struct {
	Teams []string `yaml:"teams"`
	// AnyOwnerTeam lets a requester name any team of the organisation as
	// the owner, which gets maintain access. Without it the requester must
	// be a member of that team, or of the approvers team (OwnerAllowed).
	AnyOwnerTeam bool `yaml:"anyOwnerTeam"`
}

// OwnerAllowed decides whether a requester may name a team as the owner of
// the repository they request: the owner team gets maintain access, so a
// requester may not hand a repository (and its CODEOWNERS reviews) to a
// team they are not part of, unless goldenpath.yaml says any team will do
// (requesters.anyOwnerTeam) or they are an approver (approval.approvers),
// whom the policy already trusts with other people's requests.
func (p Policy) OwnerAllowed(inOwnerTeam, isApprover bool) bool {
	return p.Requesters.AnyOwnerTeam || inOwnerTeam || (isApprover && p.Approval.Approvers != "")
}

// Approval makes a request wait for `/approve` from a member of Approvers.
type Approval struct {
	Required  bool   `yaml:"required"`
	Approvers string `yaml:"approvers"` // team slug
}

// RepositoryPolicy sets what every created repository gets.
type RepositoryPolicy struct {
	Visibility string   `yaml:"visibility"` // private (default), internal or public
	Topics     []string `yaml:"topics"`     // added to goldenpath, template-<name>
}

// Upgrades paces upgrade pull requests across the fleet, like Renovate's
// options of the same names. Zero means no limit beyond GitHub's own.
type Upgrades struct {
	PRHourlyLimit     int `yaml:"prHourlyLimit"`     // upgrade PRs opened per hour
	PRConcurrentLimit int `yaml:"prConcurrentLimit"` // upgrade PRs open at once
}

// Visibilities a repository may be created with.
const (
	VisibilityPrivate  = "private"
	VisibilityInternal = "internal"
	VisibilityPublic   = "public"
)

// DefaultPolicy is the policy of an organisation without goldenpath.yaml:
// any member may request, no approval, private repositories, no extra pacing.
func DefaultPolicy() Policy {
	return Policy{Repository: RepositoryPolicy{Visibility: VisibilityPrivate}}
}

var (
	teamSlug  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	topicName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,49}$`)
	unknownRe = regexp.MustCompile(`^line (\d+): field (\S+) not found in type`)
)

// ParsePolicy reads goldenpath.yaml strictly: an unknown key is an error
// naming its line, because a misspelt `aproval:` silently ignored would let
// anyone create repositories. Empty input gives DefaultPolicy. Every problem
// is reported at once.
func ParsePolicy(data []byte) (Policy, error) {
	p := DefaultPolicy()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return Policy{}, fmt.Errorf("%s: %w", PolicyFile, friendlyYAML(err))
	}
	if p.Repository.Visibility == "" {
		p.Repository.Visibility = VisibilityPrivate
	}
	p.Approval.Approvers = strings.ToLower(strings.TrimSpace(p.Approval.Approvers))
	for i, t := range p.Requesters.Teams {
		p.Requesters.Teams[i] = strings.ToLower(strings.TrimSpace(t))
	}
	if err := p.validate(); err != nil {
		return Policy{}, fmt.Errorf("%s: %w", PolicyFile, err)
	}
	return p, nil
}

func (p Policy) validate() error {
	var errs []error
	for _, t := range p.Requesters.Teams {
		if !teamSlug.MatchString(t) {
			errs = append(errs, fmt.Errorf("requesters.teams: %q is not a team slug (like platform-team)", t))
		}
	}
	if p.Approval.Required && p.Approval.Approvers == "" {
		errs = append(errs, errors.New("approval.approvers must name a team when approval.required is true"))
	}
	if p.Approval.Approvers != "" && !teamSlug.MatchString(p.Approval.Approvers) {
		errs = append(errs, fmt.Errorf("approval.approvers: %q is not a team slug (like platform-team)", p.Approval.Approvers))
	}
	switch p.Repository.Visibility {
	case VisibilityPrivate, VisibilityInternal, VisibilityPublic:
	default:
		errs = append(errs, fmt.Errorf("repository.visibility must be private, internal or public, got %q", p.Repository.Visibility))
	}
	for _, t := range p.Repository.Topics {
		if !topicName.MatchString(t) {
			errs = append(errs, fmt.Errorf("repository.topics: %q is not a GitHub topic (lowercase letters, digits and hyphens, at most 50)", t))
		}
	}
	if p.Upgrades.PRHourlyLimit < 0 {
		errs = append(errs, errors.New("upgrades.prHourlyLimit must not be negative (0 means no limit)"))
	}
	if p.Upgrades.PRConcurrentLimit < 0 {
		errs = append(errs, errors.New("upgrades.prConcurrentLimit must not be negative (0 means no limit)"))
	}
	return errors.Join(errs...)
}

// friendlyYAML rewrites yaml.v3's "field x not found in type config.Approval"
// into words a policy author understands.
func friendlyYAML(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	var errs []error
	for _, e := range te.Errors {
		if m := unknownRe.FindStringSubmatch(e); m != nil {
			errs = append(errs, fmt.Errorf("line %s: unknown key %q", m[1], m[2]))
			continue
		}
		errs = append(errs, errors.New(e))
	}
	return errors.Join(errs...)
}
