package app

import (
	"context"
	"fmt"

	"github.com/goldenpath-dev/goldenpath/internal/adoption"
	"github.com/goldenpath-dev/goldenpath/internal/adoption/adoptionjobs"
	"github.com/goldenpath-dev/goldenpath/internal/request"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
)

// newAdoptionsAndRequests wires the adoption workflow, then the request
// workflow that hands it the adoption issues it accepts.
func (a *App) newAdoptionsAndRequests(ctx context.Context, templates *templatesrc.Source, opts Options) error {
	if err := a.newAdoptions(ctx, templates, opts); err != nil {
		return err
	}
	var err error
	a.Requests, err = request.New(request.Config{
		Client:        a.requestClient,
		Fleet:         a.Fleet,
		Templates:     templates,
		TemplatesRepo: a.Config.TemplatesRepo,
		Adopter:       a.Adoptions,
		Logger:        a.Log,
		RenderTimeout: a.Config.RenderTimeout,
		Locks:         a.locks,
	})
	if err != nil {
		return fmt.Errorf("setting up the request workflow: %w", err)
	}
	return nil
}

// adoptionSection is the fleet dashboard's adoption section.
func (a *App) adoptionSection(ctx context.Context, owner string) (string, error) {
	return a.Adoptions.DashboardSection(ctx, owner)
}

// newAdoptions wires the adoption workflow: its table, its jobs, and the
// upgrade workflow's pull request lifecycle it shares.
func (a *App) newAdoptions(ctx context.Context, templates *templatesrc.Source, opts Options) error {
	st, err := adoption.OpenStore(ctx, a.DB)
	if err != nil {
		return err
	}
	a.Adoptions, err = adoption.New(adoption.Config{
		Client:        func(_ context.Context, id int64) (adoption.GitHub, error) { return a.GitHub.Installation(id), nil },
		Store:         st,
		Fleet:         a.Fleet,
		Queue:         &adoptionjobs.Enqueuer{Q: a.Queue, CommentEvery: opts.AdoptionCommentEvery},
		Upgrades:      a.Upgrades,
		Templates:     templates,
		TemplatesRepo: a.Config.TemplatesRepo,
		Marker:        request.Marker,
		CreatedLabel:  request.LabelCreated,
		Logger:        a.Log,
		Locks:         a.locks,
		RenderTimeout: a.Config.RenderTimeout,
	})
	if err != nil {
		return fmt.Errorf("setting up the adoption workflow: %w", err)
	}
	if err := adoptionjobs.Register(a.Queue, a.Adoptions); err != nil {
		return fmt.Errorf("registering the adoption jobs: %w", err)
	}
	return nil
}
