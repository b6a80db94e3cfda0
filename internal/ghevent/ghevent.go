// Package ghevent holds the parts of GitHub webhook payloads every workflow
// reads the same way: the envelope (action, installation, repository,
// sender) and its accounts. Each workflow decodes the rest of an event it
// handles into its own type that embeds Envelope.
package ghevent

import (
	"fmt"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
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
// saying which event did not decode. It is the one JSON decoder of webhook
// payloads: the intake reads each delivery's scope with it and every
// workflow its event.
//
// It is encoding/json/v2 (go-json-experiment), not encoding/json: v1 scans
// a document twice (a validity pass, then the decoding pass) and walks the
// values it skips slowly; on the 11.7 KB issues.opened example v2 decodes in
// a fifth of the time, and still checks the whole document's syntax, so the
// intake needs no separate json.Valid. Options keep v1's leniency where
// GitHub's payloads could differ from v2's defaults: a name given twice
// (the last wins) and invalid UTF-8 in a string (kept as sent) are accepted.
// Names match case-sensitively (GitHub's keys are lower case).
func Decode(event string, payload []byte, v any) error {
	if err := json.Unmarshal(payload, v, decodeOptions); err != nil {
		return fmt.Errorf("decoding %s event: %w", event, err)
	}
	return nil
}

var decodeOptions = json.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
