package githubsim

import (
	"fmt"
	"strings"
)

// TeamID returns the id of a team of org, or 0 when it has none by that slug.
func (s *Sim) TeamID(org, slug string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.teams[strings.ToLower(org)+"/"+strings.ToLower(slug)]; t != nil {
		return t.id
	}
	return 0
}

// RenameTeam renames a team of org as an organisation owner does in the
// settings: its slug follows the new name, and a `team` webhook (edited,
// with changes.name.from) is delivered. It returns the new slug.
func (s *Sim) RenameTeam(org, slug, newName, actor string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := strings.ToLower(org) + "/" + strings.ToLower(slug)
	t := s.teams[old]
	if t == nil {
		return "", fmt.Errorf("organisation %s has no team %q", org, slug)
	}
	newSlug := teamSlug(newName)
	key := strings.ToLower(t.org.login) + "/" + newSlug
	if other := s.teams[key]; other != nil && other != t {
		return "", fmt.Errorf("organisation %s already has a team %q", org, newSlug)
	}
	prevName := t.name
	delete(s.teams, old)
	t.name, t.slug = newName, newSlug
	s.teams[key] = t
	s.fireTeam(t, "edited", s.user(actor), obj{"changes": obj{"name": obj{"from": prevName}}})
	return newSlug, nil
}

// DeleteTeam deletes a team of org (its repository permissions go with it)
// and delivers a `team` webhook (deleted).
func (s *Sim) DeleteTeam(org, slug, actor string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(org) + "/" + strings.ToLower(slug)
	t := s.teams[key]
	if t == nil {
		return fmt.Errorf("organisation %s has no team %q", org, slug)
	}
	delete(s.teams, key)
	for _, r := range s.repos {
		delete(r.teamPerms, t.id)
	}
	s.fireTeam(t, "deleted", s.user(actor), obj{})
	return nil
}

// fireTeam delivers a team event to the organisation's installation.
// Called with s.mu held.
func (s *Sim) fireTeam(t *team, action string, sender *account, payload obj) {
	in := s.instByAcc[strings.ToLower(t.org.login)]
	if in == nil {
		return
	}
	j := s.teamJSON(t, false)
	j["organization_id"] = t.org.id
	if action == "deleted" {
		j["deleted"] = true
	}
	payload["team"] = j
	s.fireFor(in, "team", action, sender, payload)
}
