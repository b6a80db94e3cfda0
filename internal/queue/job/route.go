package job

import (
	"context"
	"encoding/json"
)

// Delivery is one GitHub webhook delivery as a workflow sees it.
type Delivery struct {
	ID             string // X-GitHub-Delivery
	Event          string // X-GitHub-Event
	Action         string
	InstallationID int64
	Payload        json.RawMessage
}

// Route is what one workflow declares: its name, the events it handles and
// how. The application builds the queue's routing from every workflow's
// Route: an event one workflow handles is worked in its delivery's job; an
// event several handle becomes one job per workflow, so one workflow's
// failure neither repeats nor blocks another's work.
type Route struct {
	// Workflow names the workflow (unique; part of its jobs' identity).
	Workflow string
	Events   []string
	// Handle works one delivery of one of Events.
	Handle func(ctx context.Context, d Delivery) error
	// OnDiscard, when set, is told when the workflow's work on a delivery
	// failed for the last time, with the last error.
	OnDiscard func(ctx context.Context, d Delivery, err error)
}
