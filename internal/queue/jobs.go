package queue

import (
	"encoding/json"

	"github.com/riverqueue/river"
)

// DefaultMaxAttempts bounds how often a job runs before it is discarded.
// River waits attempt⁴ seconds (plus jitter) between attempts, so eight
// attempts span a little over an hour: long enough to ride out a GitHub
// incident, short enough that a requester hears back the same day.
const DefaultMaxAttempts = 8

// WebhookArgs is one GitHub delivery waiting to be worked. It is unique by
// DeliveryID (the X-GitHub-Delivery header): inserting the same delivery again
// while a job for it exists in any live or completed state is a no-op. See
// Options.DeliveryRetention for how long "completed" lasts.
type WebhookArgs struct {
	DeliveryID     string          `json:"delivery_id" river:"unique"`
	Event          string          `json:"event"`
	Action         string          `json:"action,omitempty"`
	InstallationID int64           `json:"installation_id,omitempty"`
	Payload        json.RawMessage `json:"payload"`
}

// WebhookKind is the River kind of WebhookArgs.
const WebhookKind = "github_webhook"

// Kind implements river.JobArgs.
func (WebhookArgs) Kind() string { return WebhookKind }

// InsertOpts implements river.JobArgsWithInsertOpts: unique by the fields
// tagged `river:"unique"` (the delivery id) in River's default states
// (available, pending, scheduled, running, retryable, completed). Discarded
// and cancelled jobs do not count, so redelivering a delivery that failed for
// good from GitHub's UI runs it again — the workflows are idempotent.
func (WebhookArgs) InsertOpts() river.InsertOpts {
	// MaxAttempts comes from the client (Options.MaxAttempts).
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}
