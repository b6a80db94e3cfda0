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

// WebhookArgs is one GitHub delivery as handlers see it, and the job of a
// delivery whose first attempt (inline, in its group commit's job) failed.
// Enqueue deduplicates deliveries by DeliveryID (the X-GitHub-Delivery
// header) in the body table (bodies.go); the job is unique by DeliveryID as
// well, so a batch that runs again adds no second job.
type WebhookArgs struct {
	DeliveryID     string `json:"delivery_id" river:"unique"`
	Event          string `json:"event"`
	Action         string `json:"action,omitempty"`
	InstallationID int64  `json:"installation_id,omitempty"`
	// Payload is the delivery's JSON document as GitHub sent it. Jobs
	// queued by earlier versions stored it here, as a JSON object.
	Payload json.RawMessage `json:"payload,omitempty"`
	// Body is how this version stores Payload: the same bytes, which
	// encoding/json writes as one base64 string. As a JSON object the payload
	// was compacted by encoding/json, validated by River, converted to JSONB
	// by SQLite on insert and back to text on every fetch: a quarter of the
	// server's CPU under a stream of 11 KB deliveries. The queue sets it and
	// hands handlers Payload.
	Body []byte `json:"body,omitempty"`
	// BodyStored says the payload is in the delivery body table (bodies.go),
	// not in the args: how Enqueue stores deliveries since Body, too, cost
	// River's JSON round trips. The queue loads it before a handler runs.
	BodyStored bool `json:"body_stored,omitempty"`
}

// stored returns the args as the queue writes them.
func (a WebhookArgs) stored() WebhookArgs {
	if a.BodyStored {
		a.Payload, a.Body = nil, nil
		return a
	}
	if a.Body == nil {
		a.Body, a.Payload = a.Payload, nil
	}
	return a
}

// loaded returns stored args as handlers see them.
func (a WebhookArgs) loaded() WebhookArgs {
	if a.Payload == nil {
		a.Payload, a.Body = a.Body, nil
	}
	return a
}

// WebhookKind is the River kind of WebhookArgs.
const WebhookKind = "github_webhook"

// Kind implements river.JobArgs.
func (WebhookArgs) Kind() string { return WebhookKind }

// InsertOpts implements river.JobArgsWithInsertOpts: unique by the fields
// tagged `river:"unique"` (the delivery id) in River's default states
// (available, pending, scheduled, running, retryable, completed). Discarded
// and cancelled jobs do not count, so redelivering a delivery that failed for
// good from GitHub's UI runs it again — the workflows are idempotent (the
// body table forgets the duplicate as well: markFailed).
func (WebhookArgs) InsertOpts() river.InsertOpts {
	// MaxAttempts comes from the client (Options.MaxAttempts).
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}
