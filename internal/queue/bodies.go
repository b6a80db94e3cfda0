package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/store"
)

// Delivery bodies live in a goldenpath table, not in River's job args. In
// the args an 11.7 KB payload was marshalled into River's JSON batch,
// validated, parsed back by SQLite (json_each) and returned with every
// inserted row: per delivery work linear in the payload, most of the
// intake's cost. Here it is one blob bound to one prepared INSERT, written
// in the transaction that inserts the job (so 2xx still means both are
// stored), and the job's args name the delivery in ~100 bytes. The worker
// reads the body with one prepared SELECT when a handler needs it.

const bodiesTable = "goldenpath_delivery"

var bodiesSchema = []string{
	`CREATE TABLE IF NOT EXISTS ` + bodiesTable + ` (
		delivery_id TEXT PRIMARY KEY,
		event TEXT NOT NULL,
		action TEXT NOT NULL,
		installation_id BIGINT NOT NULL,
		received_at BIGINT NOT NULL,
		body BYTEA NOT NULL,
		failed SMALLINT NOT NULL DEFAULT 0
	)`,
	`CREATE INDEX IF NOT EXISTS ` + bodiesTable + `_received ON ` + bodiesTable + ` (received_at)`,
}

// insertBodySQL stores a delivery once: a row is written (1 row affected)
// for a new delivery, and for a redelivery of one whose work failed for
// good (failed: a job of it was discarded or cancelled), which runs again —
// the workflows are idempotent. Any other redelivery is a duplicate (0
// rows) and keeps the first body, the same payload. PostgreSQL makes a
// second replica inserting the same id wait for the first's commit, then
// see the conflict.
const insertBodySQL = `INSERT INTO ` + bodiesTable + ` AS d (delivery_id, event, action, installation_id, received_at, body)
	VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_id) DO UPDATE SET failed = 0 WHERE d.failed = 1`

const markFailedSQL = `UPDATE ` + bodiesTable + ` SET failed = 1 WHERE delivery_id = ?`

const loadBodySQL = `SELECT body FROM ` + bodiesTable + ` WHERE delivery_id = ?`

// bodyMargin is how much longer than DeliveryRetention a body is kept: a
// discarded job stays `/retry`-able for DeliveryRetention after it was
// discarded, which is after its delivery was received.
const bodyMargin = 24 * time.Hour

// errNoBody: the body a job names is gone (pruned); retrying cannot help.
var errNoBody = errors.New("the delivery's body is no longer stored")

func createBodies(ctx context.Context, db *store.DB) error {
	err := db.WithMigrationLock(ctx, func(ctx context.Context) error {
		for _, stmt := range bodiesSchema {
			if db.Dialect == store.SQLite {
				stmt = strings.ReplaceAll(stmt, "BYTEA", "BLOB")
			}
			if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("creating the delivery body table: %w", err)
	}
	return nil
}

// bodyRow is the bound parameters of insertBodySQL for one delivery.
func bodyRow(a WebhookArgs, receivedAt time.Time) []any {
	body := []byte(a.Payload)
	if body == nil {
		body = []byte{}
	}
	return []any{a.DeliveryID, a.Event, a.Action, a.InstallationID, receivedAt.UnixMicro(), body}
}

// load returns args as handlers see them: the payload read from the body
// table when the job only names its delivery, or taken from the args of a
// job queued by an earlier version.
func (q *Queue) load(ctx context.Context, a WebhookArgs) (WebhookArgs, error) {
	if !a.BodyStored || a.Payload != nil {
		return a.loaded(), nil
	}
	var body []byte
	err := q.db.Read.QueryRowContext(ctx, q.loadBody, a.DeliveryID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return a, Permanent(fmt.Errorf("loading delivery %s: %w", a.DeliveryID, errNoBody))
	}
	if err != nil {
		return a, fmt.Errorf("loading delivery %s: %w", a.DeliveryID, err)
	}
	a.Payload = body
	return a, nil
}

// liveStates are the job states in which a job may still run, by itself or
// through `goldenpath jobs --retry`: only completed jobs are done with
// their body.
const liveStates = `'available', 'pending', 'scheduled', 'running', 'retryable', 'discarded', 'cancelled'`

// PruneDeliveries deletes the bodies of deliveries received more than
// DeliveryRetention plus a day before now that no job which may still run
// names; it returns how many. The queue calls it periodically; tests call
// it with a future now.
func (q *Queue) PruneDeliveries(ctx context.Context, now time.Time) (int64, error) {
	cutoff := now.Add(-q.opts.DeliveryRetention - bodyMargin).UnixMicro()
	batched := `SELECT value FROM river_job, json_each(river_job.args, '$.delivery_ids')`
	if q.db.Dialect == store.Postgres {
		batched = `SELECT jsonb_array_elements_text(args->'delivery_ids') FROM river_job`
	}
	res, err := q.db.SQL.ExecContext(ctx, q.db.Rebind(`DELETE FROM `+bodiesTable+` WHERE received_at < ?
		AND delivery_id NOT IN (SELECT args->>'delivery_id' FROM river_job
			WHERE kind IN ('`+WebhookKind+`', '`+WorkflowKind+`') AND state IN (`+liveStates+`)
			AND args->>'delivery_id' IS NOT NULL)
		AND delivery_id NOT IN (`+batched+` WHERE kind = '`+DeliveryBatchKind+`' AND state IN (`+liveStates+`))`), cutoff)
	if err != nil {
		return 0, fmt.Errorf("pruning delivery bodies received before %s: %w", time.UnixMicro(cutoff).UTC().Format(time.RFC3339), err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// pruneLoop prunes bodies every PruneInterval until stop closes. Every
// replica prunes; the DELETE is idempotent.
func (q *Queue) pruneLoop(stop <-chan struct{}) {
	t := time.NewTicker(q.opts.PruneInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if n, err := q.PruneDeliveries(ctx, time.Now()); err != nil {
			q.log.Warn("pruning delivery bodies", "error", err)
		} else if n > 0 {
			q.log.Info("pruned delivery bodies", "deliveries", n)
		}
		cancel()
	}
}

// markFailed records that a job of the delivery failed for good, so that a
// redelivery runs it again (insertBodySQL). Failing to record it only costs
// that: the error is logged.
func (q *Queue) markFailed(ctx context.Context, deliveryID string) {
	if _, err := q.db.SQL.ExecContext(ctx, q.markFailedSQL, deliveryID); err != nil {
		q.log.Warn("recording a failed delivery; a redelivery of it will be taken for a duplicate",
			"delivery", deliveryID, "error", err)
	}
}

// storedDelivery is one delivery as the batch worker reads it.
type storedDelivery struct {
	args       WebhookArgs
	receivedAt time.Time
}

// loadDeliveries reads the deliveries of ids in one query, in the order of
// ids; ids not stored (pruned) are left out. The id list is padded to a power of two so that a
// handful of statement texts serve every batch size (the statement cache
// would otherwise fill with one per size).
func (q *Queue) loadDeliveries(ctx context.Context, ids []string) ([]storedDelivery, error) {
	n := 1
	for n < len(ids) {
		n *= 2
	}
	args := make([]any, n)
	for i := range args {
		args[i] = ids[min(i, len(ids)-1)]
	}
	query := q.db.Rebind(`SELECT delivery_id, event, action, installation_id, received_at, body FROM ` + bodiesTable +
		` WHERE delivery_id IN (?` + strings.Repeat(", ?", n-1) + `)`)
	rows, err := q.db.Read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("loading %d deliveries: %w", len(ids), err)
	}
	defer rows.Close()
	var out []storedDelivery
	for rows.Next() {
		var d storedDelivery
		var received int64
		var body []byte
		if err := rows.Scan(&d.args.DeliveryID, &d.args.Event, &d.args.Action, &d.args.InstallationID, &received, &body); err != nil {
			return nil, fmt.Errorf("loading %d deliveries: %w", len(ids), err)
		}
		d.args.Payload, d.args.BodyStored = body, true
		d.receivedAt = time.UnixMicro(received)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("loading %d deliveries: %w", len(ids), err)
	}
	pos := make(map[string]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	slices.SortFunc(out, func(a, b storedDelivery) int { return pos[a.args.DeliveryID] - pos[b.args.DeliveryID] })
	return out, nil
}
