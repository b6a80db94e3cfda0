package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/riverqueue/river"

	"github.com/goldenpath-dev/goldenpath/internal/queue"
	"github.com/goldenpath-dev/goldenpath/internal/request"
)

// route registers one handler per webhook event. Handlers stay thin: decode,
// then hand the event to a workflow (ARCHITECTURE.md, habit 1).
func (a *App) route() {
	a.events = map[string]queue.WebhookHandler{
		"issues":                    a.onIssues,
		"issue_comment":             a.onIssueComment,
		"installation":              a.onInstallation,
		"installation_repositories": a.onInstallation,
		"push":                      a.onPush,
		"pull_request":              a.toUpgrades,
		"release":                   a.toUpgrades,
		"repository":                a.toUpgrades,
	}
	for event, h := range a.events {
		a.Queue.HandleWebhook(event, h)
	}
	a.Queue.OnWebhookDiscard(a.onDiscard)
}

// Events lists the webhook events this process works, sorted (app.yml must
// subscribe to exactly these).
func (a *App) Events() []string {
	out := make([]string, 0, len(a.events))
	for e := range a.events {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

func (a *App) onIssues(ctx context.Context, d queue.WebhookArgs) error {
	ev, err := request.DecodeIssueEvent(d.Payload)
	if err != nil {
		return queue.Permanent(err)
	}
	return snoozeIfAsked(a.Requests.HandleIssue(ctx, ev))
}

// snoozeIfAsked turns a workflow's "come back later" (another attempt may
// still be at work) into a River snooze, which costs no attempt.
func snoozeIfAsked(err error) error {
	if wait, ok := request.RetryAfter(err); ok {
		return river.JobSnooze(wait)
	}
	return err
}

func (a *App) onIssueComment(ctx context.Context, d queue.WebhookArgs) error {
	ev, err := request.DecodeCommentEvent(d.Payload)
	if err != nil {
		return queue.Permanent(err)
	}
	return snoozeIfAsked(a.Requests.HandleComment(ctx, ev))
}

// accountEvent is the part of installation, installation_repositories and
// push deliveries the routing needs.
type accountEvent struct {
	Action       string `json:"action"`
	Installation struct {
		ID      int64 `json:"id"`
		Account struct {
			Login string `json:"login"`
		} `json:"account"`
	} `json:"installation"`
	Repository struct {
		Name  string `json:"name"`
		Owner struct {
			Login string `json:"login"`
		} `json:"owner"`
	} `json:"repository"`
}

func decodeAccount(d queue.WebhookArgs) (accountEvent, error) {
	var ev accountEvent
	if err := json.Unmarshal(d.Payload, &ev); err != nil {
		return ev, queue.Permanent(fmt.Errorf("decoding %s event: %w", d.Event, err))
	}
	return ev, nil
}

// toUpgrades hands an event to the upgrade workflow: tags and releases start
// rollouts, pull requests and pushes keep the fleet index and upgrade PRs
// current.
func (a *App) toUpgrades(ctx context.Context, d queue.WebhookArgs) error {
	return a.Upgrades.HandleEvent(ctx, d.Event, d.DeliveryID, d.InstallationID, d.Payload)
}

// onInstallation keeps the request labels present in the templates
// repository of a new installation (GitHub drops form labels that do not
// exist) and lets the upgrade workflow index the installation's
// repositories.
func (a *App) onInstallation(ctx context.Context, d queue.WebhookArgs) error {
	if err := a.toUpgrades(ctx, d); err != nil {
		return err
	}
	ev, err := decodeAccount(d)
	if err != nil {
		return err
	}
	if ev.Action == "deleted" || ev.Action == "suspend" || ev.Action == "removed" {
		return nil
	}
	org := ev.Installation.Account.Login
	if org == "" || ev.Installation.ID == 0 {
		return nil
	}
	return a.Requests.EnsureLabels(ctx, ev.Installation.ID, org)
}

// onPush: a version tag starts a rollout and a default-branch push that
// touches .goldenpath.yml updates the fleet (upgrade workflow); a push to the
// templates repository may add a template, so its labels are ensured again.
func (a *App) onPush(ctx context.Context, d queue.WebhookArgs) error {
	if err := a.toUpgrades(ctx, d); err != nil {
		return err
	}
	ev, err := decodeAccount(d)
	if err != nil {
		return err
	}
	if !a.Requests.IsTemplatesRepo(ev.Repository.Name) || ev.Installation.ID == 0 {
		return nil
	}
	return a.Requests.EnsureLabels(ctx, ev.Installation.ID, ev.Repository.Owner.Login)
}

// onDiscard explains on the issue a request whose job ran out of attempts.
func (a *App) onDiscard(ctx context.Context, d queue.WebhookArgs, cause error) {
	var ev any
	var err error
	switch d.Event {
	case "issues":
		ev, err = request.DecodeIssueEvent(d.Payload)
	case "issue_comment":
		ev, err = request.DecodeCommentEvent(d.Payload)
	default:
		return
	}
	if err == nil {
		err = a.Requests.ExplainFailure(ctx, ev, cause)
	}
	if err != nil {
		a.Log.Error("explaining a failed delivery on its issue", "delivery", d.DeliveryID, "event", d.Event, "err", err)
	}
}
