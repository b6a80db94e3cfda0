package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/goldenpath-dev/goldenpath/internal/app"
	"github.com/goldenpath-dev/goldenpath/internal/config"
)

// runServe runs the GitHub App: configuration from the environment (and a
// .env file, as Probot reads it), then the webhook server and job workers
// until SIGTERM, which drains in-flight jobs.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return serve(ctx, args, stdout, stderr, app.Options{})
}

// serve is runServe with base holding what the environment does not set:
// nothing in production; the process-level tests scale GitHub's write
// pacing as they scale the simulator's rate limits.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer, base app.Options) error {
	fs := newFlagSet("serve", "", stderr)
	fs.Usage = func() {
		io.WriteString(stderr, serveUsage)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	getenv, err := config.Environ(".env")
	if err != nil {
		return err
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	base.Config, base.Logger = cfg, log
	a, err := app.New(ctx, base)
	if err != nil {
		return err
	}
	defer a.Close()
	log.Info("starting", "addr", cfg.Addr(), "webhook_path", cfg.WebhookPath, "github", cfg.GitHubAPIURL, "templates_repo", cfg.TemplatesRepo)
	return a.Run(ctx)
}

const serveUsage = `Usage: goldenpath serve

Runs the GitHub App: the webhook server and the job workers. Configuration
comes from the environment, and from a .env file in the working directory
(the environment wins), with Probot's names:

  APP_ID             GitHub App id (required)
  PRIVATE_KEY        the App's PEM private key, inline (or PRIVATE_KEY_PATH: a file)
  WEBHOOK_SECRET     webhook HMAC secret (required)
  PORT               listen port (default 3000); HOST: address (default all interfaces)
  WEBHOOK_PATH       where GitHub posts deliveries (default /api/github/webhooks)
  GITHUB_API_URL     REST base URL (default https://api.github.com; GHES: https://HOST/api/v3)
  DATABASE_URL       sqlite://goldenpath.db (default) or postgres://… for several replicas
  TEMPLATES_REPO     templates repository in each installation's account (default golden-paths)
  LOG_LEVEL          debug, info, warn or error (default info); logs are JSON lines on stderr

Also served: GET /healthz, GET /readyz, GET /metrics.
`
