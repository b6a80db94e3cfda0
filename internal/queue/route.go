package queue

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/riverqueue/river"

	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
)

// WorkflowArgs is one workflow's share of a delivery that several workflows
// handle: unique by delivery and workflow (River reads the unique fields of
// the embedded WebhookArgs at the top level), so a retried fan-out adds
// nothing and each workflow retries (or fails) on its own.
type WorkflowArgs struct {
	WebhookArgs
	Workflow string `json:"workflow" river:"unique"`
}

// WorkflowKind is the River kind of WorkflowArgs.
const WorkflowKind = "github_webhook_workflow"

// Kind implements river.JobArgs.
func (WorkflowArgs) Kind() string { return WorkflowKind }

// InsertOpts implements river.JobArgsWithInsertOpts, as WebhookArgs does.
func (WorkflowArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

func (a WebhookArgs) delivery() job.Delivery {
	a = a.loaded()
	return job.Delivery{ID: a.DeliveryID, Event: a.Event, Action: a.Action, InstallationID: a.InstallationID, Payload: a.Payload}
}

// Routing is the plan Route builds from the workflows' declarations: which
// workflows handle each event.
type Routing map[string][]job.Route

// Plan groups routes by event, in declaration order. Two routes with one
// workflow name, or a route without a name or handler, are an error.
func Plan(routes ...job.Route) (Routing, error) {
	plan := Routing{}
	seen := map[string]bool{}
	for _, r := range routes {
		if r.Workflow == "" || r.Handle == nil {
			return nil, fmt.Errorf("routing: a route needs a workflow name and a handler (got %q)", r.Workflow)
		}
		if seen[r.Workflow] {
			return nil, fmt.Errorf("routing: workflow %s declared twice", r.Workflow)
		}
		seen[r.Workflow] = true
		for _, e := range r.Events {
			plan[e] = append(plan[e], r)
		}
	}
	return plan, nil
}

// Events lists the routed events, sorted (app.yml subscribes to these).
func (p Routing) Events() []string {
	out := make([]string, 0, len(p))
	for e := range p {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

// Route registers the routing of the workflows' declarations. A delivery's
// first attempt runs inline in its group commit's job (batch.go), each
// workflow of an event several handle apart; work that fails there becomes
// a job of its own: a WebhookArgs for an event one workflow handles, one
// WorkflowArgs per failed workflow otherwise. (WebhookArgs jobs of earlier
// versions of a fanned-out event still fan out.) Call once, before Start.
func (q *Queue) Route(plan Routing) error {
	byName := map[string]job.Route{}
	for event, routes := range plan {
		for _, r := range routes {
			byName[r.Workflow] = r
		}
		if len(routes) == 1 {
			h := routes[0].Handle
			q.HandleWebhook(event, func(ctx context.Context, a WebhookArgs) error { return h(ctx, a.delivery()) })
			continue
		}
		q.mu.Lock()
		q.fanout[event] = routes
		q.mu.Unlock()
		names := make([]string, len(routes))
		for i, r := range routes {
			names[i] = r.Workflow
		}
		q.HandleWebhook(event, func(ctx context.Context, a WebhookArgs) error { return q.fanOut(ctx, a, names) })
	}
	q.OnWebhookDiscard(func(ctx context.Context, a WebhookArgs, err error) {
		if routes := plan[a.Event]; len(routes) == 1 && routes[0].OnDiscard != nil {
			routes[0].OnDiscard(ctx, a.delivery(), err)
		}
	})
	return AddWorker(q, func(ctx context.Context, j *river.Job[WorkflowArgs]) error {
		r, ok := byName[j.Args.Workflow]
		if !ok || !slices.Contains(r.Events, j.Args.Event) {
			return Permanent(fmt.Errorf("no workflow %s handles %s deliveries", j.Args.Workflow, j.Args.Event))
		}
		a, err := q.load(ctx, j.Args.WebhookArgs)
		if err != nil {
			return err
		}
		j.Args.WebhookArgs = a // for the discard callback
		return r.Handle(ctx, a.delivery())
	}, func(ctx context.Context, j *river.Job[WorkflowArgs], err error) {
		if j.Args.BodyStored {
			q.markFailed(ctx, j.Args.DeliveryID)
		}
		if r, ok := byName[j.Args.Workflow]; ok && r.OnDiscard != nil {
			r.OnDiscard(ctx, j.Args.delivery(), err)
		}
	})
}

// fanOut inserts one job per workflow for the delivery, in one transaction.
func (q *Queue) fanOut(ctx context.Context, a WebhookArgs, workflows []string) error {
	params := make([]river.InsertManyParams, len(workflows))
	for i, w := range workflows {
		params[i] = river.InsertManyParams{Args: WorkflowArgs{WebhookArgs: a.stored(), Workflow: w}}
	}
	if _, err := q.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("handing delivery %s to %d workflows: %w", a.DeliveryID, len(workflows), err)
	}
	return nil
}
