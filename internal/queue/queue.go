// Package queue is goldenpath's durable job queue: River on the database the
// store package opened (SQLite by default, PostgreSQL for several replicas).
// It stores webhook deliveries (one per X-GitHub-Delivery, with group
// commit: the bodies and one job per commit in one transaction), runs
// registered handlers, each delivery's first attempt inline in its commit's
// job and later ones as jobs of their own with bounded retries, tells a
// callback when a job is discarded for good, runs periodic jobs, and
// exports Prometheus metrics.
package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
	"github.com/goldenpath-dev/goldenpath/internal/store"
)

// ErrStopped is returned by Enqueue once Stop has begun.
var ErrStopped = errors.New("the job queue is stopping")

// Options tune a Queue. The zero value is usable.
type Options struct {
	Logger *slog.Logger
	// Registerer receives the queue's metrics; nil registers none.
	Registerer prometheus.Registerer
	// MaxWorkers is how many jobs run at once, and how many deliveries'
	// first attempts the group commits' jobs run at once. Jobs wait on
	// GitHub, not on the CPU, so the default is 32; GitHub writes are paced
	// elsewhere.
	MaxWorkers int
	// JobTimeout bounds one attempt (default 10 minutes: a job may wait on
	// the per-installation write pacing).
	JobTimeout time.Duration
	// DeliveryRetention is how long completed jobs (and so their delivery
	// ids) are kept. GitHub lets a delivery be redelivered for 3 days, so the
	// default of 7 days keeps every possible redelivery deduplicated.
	DeliveryRetention time.Duration
	// MaxBatch caps one group-commit transaction (default 256).
	MaxBatch int
	// FetchCooldown and FetchPollInterval: SQLite has no LISTEN/NOTIFY, so
	// workers poll; defaults 20 ms and 50 ms (River's 1 s poll would leave a
	// delivery waiting for up to a second).
	FetchCooldown     time.Duration
	FetchPollInterval time.Duration
	// MaxAttempts bounds how often a job runs before it is discarded
	// (default DefaultMaxAttempts); RetryPolicy spaces the attempts (default
	// River's exponential backoff). Tests shrink both to reach a discard.
	MaxAttempts int
	RetryPolicy river.ClientRetryPolicy
	// Lease and LeaseRenew: how long this process's lease lasts and how
	// often it is renewed and other processes' orphaned jobs are rescued
	// (defaults DefaultLease and DefaultLeaseRenew; see rescue.go).
	Lease, LeaseRenew time.Duration
	// PruneInterval is how often delivery bodies older than
	// DeliveryRetention (plus a day) are deleted (default 1 hour).
	PruneInterval time.Duration
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxWorkers <= 0 {
		o.MaxWorkers = 32
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 10 * time.Minute
	}
	if o.DeliveryRetention <= 0 {
		o.DeliveryRetention = 7 * 24 * time.Hour
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.FetchCooldown <= 0 {
		o.FetchCooldown = 20 * time.Millisecond
	}
	if o.FetchPollInterval <= 0 {
		o.FetchPollInterval = 50 * time.Millisecond
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.LeaseRenew <= 0 {
		o.LeaseRenew = DefaultLeaseRenew
	}
	if o.PruneInterval <= 0 {
		o.PruneInterval = time.Hour
	}
}

// riverClient is the part of *river.Client[TTx] the queue uses; none of it
// mentions the transaction type, so one Queue serves both drivers.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
	PeriodicJobs() *river.PeriodicJobBundle
	// beginIntake starts a group-commit transaction (txclient.go).
	beginIntake(ctx context.Context) (intakeTx, error)
}

// Queue is the job queue. Register handlers (HandleWebhook, AddWorker,
// AddPeriodic) before Start.
type Queue struct {
	db      *store.DB
	log     *slog.Logger
	opts    Options
	client  riverClient
	workers *river.Workers
	metrics *metrics
	rescue  *rescuer

	mu        sync.RWMutex
	webhooks  map[string]WebhookHandler
	onDiscard func(ctx context.Context, args WebhookArgs, err error)
	started   bool

	intake     chan *pending
	stopIntake chan struct{}
	intakeDone chan struct{}
	stopOnce   sync.Once

	// insertBody and loadBody are the body table's statements in the
	// database's placeholder style (bodies.go).
	insertBody, loadBody, markFailedSQL string
	stopPrune                           chan struct{}
	// fanout holds the events several workflows handle (Route), each of
	// which a batch runs inline apart; inline bounds the inline attempts
	// of all batches together (batch.go).
	fanout map[string][]job.Route
	inline chan struct{}
}

// Open migrates River's tables in db (under the store's migration lock, so
// replicas starting together do not race) and returns a queue ready for
// registrations and inserts. It does not start working jobs: call Start.
func Open(ctx context.Context, db *store.DB, opts Options) (*Queue, error) {
	opts.defaults()
	q := &Queue{
		db:            db,
		log:           opts.Logger,
		opts:          opts,
		workers:       river.NewWorkers(),
		webhooks:      map[string]WebhookHandler{},
		intake:        make(chan *pending, 4*opts.MaxBatch),
		stopIntake:    make(chan struct{}),
		intakeDone:    make(chan struct{}),
		insertBody:    db.Rebind(insertBodySQL),
		loadBody:      db.Rebind(loadBodySQL),
		markFailedSQL: db.Rebind(markFailedSQL),
		fanout:        map[string][]job.Route{},
		inline:        make(chan struct{}, opts.MaxWorkers),
		stopPrune:     make(chan struct{}),
	}
	clientID, err := newClientID()
	if err != nil {
		return nil, err
	}
	cfg := &river.Config{
		ID:                          clientID,
		Logger:                      opts.Logger,
		MaxAttempts:                 opts.MaxAttempts,
		RetryPolicy:                 opts.RetryPolicy,
		JobTimeout:                  opts.JobTimeout,
		RescueStuckJobsAfter:        opts.JobTimeout + 5*time.Minute,
		CompletedJobRetentionPeriod: opts.DeliveryRetention,
		DiscardedJobRetentionPeriod: opts.DeliveryRetention,
		CancelledJobRetentionPeriod: opts.DeliveryRetention,
		FetchCooldown:               opts.FetchCooldown,
		FetchPollInterval:           opts.FetchPollInterval,
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.MaxWorkers}},
		Workers:                     q.workers,
	}
	switch db.Dialect {
	case store.SQLite:
		var c *river.Client[*sql.Tx]
		c, err = openClient(ctx, db, riversqlite.New(db.SQL), cfg)
		q.client = sqliteClient{Client: c, db: db}
	case store.Postgres:
		var c *river.Client[pgx.Tx]
		c, err = openClient(ctx, db, riverpgxv5.New(db.Pool), cfg)
		q.client = pgClient{Client: c, pool: db.Pool}
	default:
		err = fmt.Errorf("unsupported database dialect %q", db.Dialect)
	}
	if err == nil {
		err = createBodies(ctx, db)
	}
	if err != nil {
		return nil, err
	}
	q.rescue = &rescuer{db: db, log: opts.Logger, clientID: clientID, lease: opts.Lease, renew: opts.LeaseRenew, jobs: q.Jobs}
	if err := q.rescue.prepare(ctx); err != nil {
		q.Close()
		return nil, err
	}
	if q.metrics, err = newMetrics(opts.Registerer, q); err != nil {
		q.Close()
		return nil, fmt.Errorf("registering queue metrics: %w", err)
	}
	river.AddWorker(q.workers, river.WorkFunc(func(ctx context.Context, job *river.Job[WebhookArgs]) error {
		return q.workWebhook(ctx, job)
	}))
	if err := AddWorker(q, q.workBatch, nil); err != nil {
		q.Close()
		return nil, err
	}
	go q.runIntake()
	return q, nil
}

func openClient[TTx any](ctx context.Context, db *store.DB, driver riverdriver.Driver[TTx], cfg *river.Config) (*river.Client[TTx], error) {
	err := db.WithMigrationLock(ctx, func(ctx context.Context) error {
		m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: cfg.Logger})
		if err != nil {
			return err
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("migrating the job queue tables: %w", err)
	}
	c, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the River client: %w", err)
	}
	return c, nil
}

// Start begins working jobs. The queue keeps running until Stop, even if ctx
// ends: River cancels running jobs when its start context ends, and a
// SIGTERM must drain them instead (Stop does).
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	q.started = true
	q.mu.Unlock()
	if err := q.rescue.start(ctx); err != nil {
		return err
	}
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("starting the job queue: %w", err)
	}
	go q.pruneLoop(q.stopPrune)
	return nil
}

// Stop refuses new deliveries, finishes the pending group commit, and waits
// for running jobs to finish until ctx ends; then it cancels what is left
// (River puts cancelled jobs back to be retried). Stop the HTTP server first.
func (q *Queue) Stop(ctx context.Context) error {
	q.stopOnce.Do(func() {
		close(q.stopIntake)
		close(q.stopPrune)
	})
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		q.rescue.close(cctx)
	}()
	select {
	case <-q.intakeDone:
	case <-ctx.Done():
	}
	q.mu.RLock()
	started := q.started
	q.mu.RUnlock()
	if !started {
		return nil
	}
	err := q.client.Stop(ctx)
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		q.log.Warn("jobs still running at shutdown deadline; cancelling them", slog.Any("error", err))
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := q.client.StopAndCancel(cctx); err != nil {
			return fmt.Errorf("cancelling running jobs: %w", err)
		}
		return nil
	}
	return fmt.Errorf("stopping the job queue: %w", err)
}

// Ping reports whether the queue's database answers (for /readyz).
func (q *Queue) Ping(ctx context.Context) error { return q.db.Ping(ctx) }

// Insert adds one job of any registered kind (upgrade jobs, reconcile…). Its
// uniqueness and attempts come from the args' InsertOpts unless opts says so.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if w, ok := args.(WebhookArgs); ok {
		args = w.stored()
	}
	res, err := q.client.Insert(ctx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("inserting a %s job: %w", args.Kind(), err)
	}
	return res, nil
}

// InsertMany adds many jobs in one transaction (a rollout's per-repository
// jobs). Duplicate unique jobs within one call are not allowed.
func (q *Queue) InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	res, err := q.client.InsertMany(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("inserting %d jobs: %w", len(params), err)
	}
	return res, nil
}

// Job returns a job by id (tests and diagnostics).
func (q *Queue) Job(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	return q.client.JobGet(ctx, id)
}

// Jobs lists jobs (tests and diagnostics).
func (q *Queue) Jobs(ctx context.Context, params *river.JobListParams) ([]*rivertype.JobRow, error) {
	res, err := q.client.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("listing jobs: %w", err)
	}
	return res.Jobs, nil
}

// Retry makes a failed, cancelled or retrying job available to run now
// (`goldenpath jobs --retry ID`), with one more attempt if it had used them
// all. Whichever replica is working picks it up.
func (q *Queue) Retry(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	row, err := q.client.JobRetry(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("retrying job %d: %w", id, err)
	}
	return row, nil
}

// AddPeriodic runs a job every interval (and once at start) on whichever
// replica leads; id names it (unique). Call before Start or while running.
func (q *Queue) AddPeriodic(id string, every time.Duration, construct func() (river.JobArgs, *river.InsertOpts)) error {
	_, err := q.client.PeriodicJobs().AddSafely(river.NewPeriodicJob(
		river.PeriodicInterval(every),
		construct,
		&river.PeriodicJobOpts{ID: id, RunOnStart: true},
	))
	if err != nil {
		return fmt.Errorf("adding periodic job %s: %w", id, err)
	}
	return nil
}
