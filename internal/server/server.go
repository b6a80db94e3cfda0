// Package server is goldenpath's HTTP front: the webhook endpoint, health and
// readiness probes and Prometheus metrics on one chi router, served with
// timeouts and shut down gracefully — HTTP first, so no delivery is accepted
// that the queue can no longer store, then the queue, so running jobs finish.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Pinger reports whether the database answers (*store.DB, *queue.Queue).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Stopper drains background work at shutdown (*queue.Queue).
type Stopper interface {
	Stop(ctx context.Context) error
}

// Options configure a Server. Webhook, DB and Metrics are required.
type Options struct {
	WebhookPath string // default /api/github/webhooks
	Webhook     http.Handler
	DB          Pinger
	Metrics     prometheus.Gatherer
	// Queue, if set, is stopped after the HTTP server has drained.
	Queue  Stopper
	Logger *slog.Logger
	// ShutdownTimeout bounds the whole drain (default 30 s, under
	// Kubernetes' default 30 s grace period with the probe going first).
	ShutdownTimeout time.Duration
}

// Server serves goldenpath's HTTP endpoints.
type Server struct {
	opts    Options
	handler http.Handler
}

// New builds the router.
func New(opts Options) (*Server, error) {
	if opts.Webhook == nil || opts.DB == nil || opts.Metrics == nil {
		return nil, errors.New("the server needs a webhook handler, a database to ping and a metrics registry")
	}
	if opts.WebhookPath == "" {
		opts.WebhookPath = "/api/github/webhooks"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 30 * time.Second
	}
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Post(opts.WebhookPath, opts.Webhook.ServeHTTP)
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	r.Get("/readyz", func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := opts.DB.Ping(ctx); err != nil {
			opts.Logger.Warn("readiness check: database unreachable", slog.Any("error", err))
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("database unreachable\n"))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(opts.Metrics, promhttp.HandlerOpts{ErrorLog: slogErrorLog{opts.Logger}}))
	return &Server{opts: opts, handler: r}, nil
}

// Handler returns the router (for tests and for embedding).
func (s *Server) Handler() http.Handler { return s.handler }

// Run listens on addr (host:port) and serves until ctx ends, then drains.
func (s *Server) Run(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends, then shuts down gracefully: stop
// accepting, let in-flight requests finish, then stop the queue. It returns
// nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		// A 25 MB delivery over a slow link still fits in a minute.
		ReadTimeout:    60 * time.Second,
		WriteTimeout:   60 * time.Second,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 1 << 20,
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:       slog.NewLogLogger(s.opts.Logger.Handler(), slog.LevelWarn),
	}
	s.opts.Logger.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("webhook_path", s.opts.WebhookPath))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving HTTP: %w", err)
	case <-ctx.Done():
	}
	s.opts.Logger.Info("shutting down: draining HTTP, then the job queue")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("draining HTTP: %w", err))
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("serving HTTP: %w", err))
	}
	if s.opts.Queue != nil {
		if err := s.opts.Queue.Stop(sctx); err != nil {
			errs = append(errs, fmt.Errorf("draining the job queue: %w", err))
		}
	}
	return errors.Join(errs...)
}

type slogErrorLog struct{ log *slog.Logger }

func (l slogErrorLog) Println(v ...any) {
	l.log.Warn("serving metrics", slog.String("error", fmt.Sprint(v...)))
}
