package request

import (
	"context"

	"github.com/goldenpath-dev/goldenpath/internal/ghevent"
	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
)

// Route declares the events the request workflow handles: issues and
// comments on requests, and the installations and pushes that call for the
// request labels in the templates repository (GitHub drops form labels
// that do not exist). A delivery whose job fails for good is explained on
// its issue.
func (w *Workflow) Route() job.Route {
	return job.Route{
		Workflow:  "request",
		Events:    []string{"issues", "issue_comment", "installation", "installation_repositories", "push"},
		Handle:    w.HandleDelivery,
		OnDiscard: w.explainDiscard,
	}
}

// HandleDelivery works one delivery of the events Route declares.
func (w *Workflow) HandleDelivery(ctx context.Context, d job.Delivery) error {
	switch d.Event {
	case "issues":
		ev, err := DecodeIssueEvent(d.Payload)
		if err != nil {
			return job.Permanent(err)
		}
		return w.HandleIssue(ctx, ev)
	case "issue_comment":
		ev, err := DecodeCommentEvent(d.Payload)
		if err != nil {
			return job.Permanent(err)
		}
		return w.HandleComment(ctx, ev)
	case "installation", "installation_repositories", "push":
		var ev ghevent.Envelope
		if err := ghevent.Decode(d.Event, d.Payload, &ev); err != nil {
			return job.Permanent(err)
		}
		if d.Event == "push" {
			return w.onPush(ctx, ev)
		}
		return w.onInstallation(ctx, ev)
	}
	return nil
}

// onInstallation keeps the request labels present in the templates
// repository of a new installation.
func (w *Workflow) onInstallation(ctx context.Context, ev ghevent.Envelope) error {
	if ev.Action == "deleted" || ev.Action == "suspend" || ev.Action == "removed" {
		return nil
	}
	org := ev.Installation.Account.Login
	if org == "" || ev.Installation.ID == 0 {
		return nil
	}
	return w.EnsureLabels(ctx, ev.Installation.ID, org)
}

// onPush: a push to the templates repository may add a template, so its
// labels are ensured again (and the caches refreshed).
func (w *Workflow) onPush(ctx context.Context, ev ghevent.Envelope) error {
	if !w.inTemplatesRepo(ev.Repository.Name) || ev.Installation.ID == 0 {
		return nil
	}
	return w.EnsureLabels(ctx, ev.Installation.ID, ev.Repository.OwnerLogin())
}

// explainDiscard explains on the issue a request whose job ran out of
// attempts.
func (w *Workflow) explainDiscard(ctx context.Context, d job.Delivery, cause error) {
	var ev any
	var err error
	switch d.Event {
	case "issues":
		ev, err = DecodeIssueEvent(d.Payload)
	case "issue_comment":
		ev, err = DecodeCommentEvent(d.Payload)
	default:
		return
	}
	if err == nil {
		err = w.ExplainFailure(ctx, ev, cause)
	}
	if err != nil {
		w.cfg.Logger.Error("explaining a failed delivery on its issue", "delivery", d.ID, "event", d.Event, "err", err)
	}
}
