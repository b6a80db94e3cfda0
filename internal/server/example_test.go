package server_test

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/queue"
	"github.com/goldenpath-dev/goldenpath/internal/server"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/webhook"
)

// Example shows how `goldenpath serve` wires the platform packages; the
// workflows register their handlers where the comment says.
func Example() {
	getenv, err := config.Environ(".env")
	if err != nil {
		slog.Error(err.Error())
		os.Exit(1)
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		slog.Error(err.Error())
		os.Exit(1)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		log.Error(err.Error())
		os.Exit(1)
	}
	defer db.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	q, err := queue.Open(ctx, db, queue.Options{Logger: log, Registerer: reg})
	if err != nil {
		log.Error(err.Error())
		os.Exit(1)
	}
	index, err := fleet.Open(ctx, db)
	if err != nil {
		log.Error(err.Error())
		os.Exit(1)
	}
	_ = index // handed to the request and upgrade workflows

	// Workflows register here, before Start:
	q.HandleWebhook("issues", func(ctx context.Context, d queue.WebhookArgs) error { return nil })
	q.OnWebhookDiscard(func(ctx context.Context, d queue.WebhookArgs, err error) {})
	// queue.AddWorker(q, upgrade.Work, upgrade.OnDiscard)
	// q.AddPeriodic("fleet-reconcile", 6*time.Hour, func() (river.JobArgs, *river.InsertOpts) { return ReconcileArgs{}, nil })
	_ = time.Hour

	hook, err := webhook.New(cfg.WebhookSecret, []string{"issues"}, q, log)
	if err != nil {
		log.Error(err.Error())
		os.Exit(1)
	}
	srv, err := server.New(server.Options{WebhookPath: cfg.WebhookPath, Webhook: hook, DB: db, Metrics: reg, Queue: q, Logger: log})
	if err != nil {
		log.Error(err.Error())
		os.Exit(1)
	}
	if err := q.Start(ctx); err != nil {
		log.Error(err.Error())
		os.Exit(1)
	}
	// Run returns after SIGTERM once HTTP has drained and running jobs ended.
	if err := srv.Run(ctx, cfg.Addr()); err != nil {
		log.Error(err.Error())
		os.Exit(1)
	}
}
