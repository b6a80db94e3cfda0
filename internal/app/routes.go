package app

import (
	"github.com/goldenpath-dev/goldenpath/internal/queue"
)

// route builds the queue's routing from what each workflow declares it
// handles (ARCHITECTURE.md, habit 1): a delivery that two workflows handle
// (push, installation) becomes one job per workflow, so one's failure
// neither repeats nor blocks the other's work.
func (a *App) route() error {
	plan, err := queue.Plan(a.Upgrades.Route(), a.Requests.Route(), a.Ownership.Route(), a.Adoptions.Route())
	if err != nil {
		return err
	}
	a.routing = plan
	return a.Queue.Route(plan)
}

// Events lists the webhook events this process works, sorted (app.yml must
// subscribe to exactly these).
func (a *App) Events() []string { return a.routing.Events() }
