// Package ghevent holds the parts of GitHub webhook payloads every workflow
// reads the same way: the envelope (action, installation, repository,
// sender) and its accounts. Each workflow decodes the rest of an event it
// handles into its own type that embeds Envelope.
package ghevent

import (
	"encoding/json"
	"fmt"
	"strings"
)

// User is an account in a payload.
type User struct {
	Login string `json:"login"`
	Type  string `json:"type"`
}

// IsBot recognises GitHub App and other bot accounts: the App's own writes
// come back as webhooks and must not trigger it again.
func (u User) IsBot() bool {
	return strings.EqualFold(u.Type, "Bot") || strings.HasSuffix(strings.ToLower(u.Login), "[bot]")
}

// Installation is the App installation a delivery is for.
type Installation struct {
	ID      int64 `json:"id"`
	Account User  `json:"account"`
}

// Repository is the repository a delivery is about.
type Repository struct {
	Name          string `json:"name"`
	DefaultBranch string `json:"default_branch"`
	Owner         struct {
		Login string `json:"login"`
		Name  string `json:"name"` // push events give name, not login
	} `json:"owner"`
}

// OwnerLogin is the repository's owner, whichever way the event names it.
func (r Repository) OwnerLogin() string {
	if r.Owner.Login != "" {
		return r.Owner.Login
	}
	return r.Owner.Name
}

// Envelope is what every event carries (some leave parts empty).
type Envelope struct {
	Action       string       `json:"action"`
	Installation Installation `json:"installation"`
	Repository   Repository   `json:"repository"`
	Sender       User         `json:"sender"`
}

// Decode reads an event's payload into v (a type embedding Envelope),
// saying which event did not decode.
func Decode(event string, payload []byte, v any) error {
	if err := json.Unmarshal(payload, v); err != nil {
		return fmt.Errorf("decoding %s event: %w", event, err)
	}
	return nil
}
