package queue

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// pending is one Enqueue call waiting for its group commit.
type pending struct {
	args WebhookArgs
	done chan result
}

type result struct {
	duplicate bool
	err       error
}

// Enqueue stores a delivery as a job and returns once it is committed;
// duplicate reports that a job for this delivery id already existed.
// Deliveries that arrive while a commit is under way share the next one
// (group commit): on SQLite one insert per transaction manages ~1,100/s, a
// batch ~10× that, and a lone delivery is written at once, never held back
// to wait for company.
func (q *Queue) Enqueue(ctx context.Context, args WebhookArgs) (duplicate bool, err error) {
	if args.DeliveryID == "" {
		return false, fmt.Errorf("enqueueing a %s delivery: the delivery id is empty", args.Event)
	}
	p := &pending{args: args, done: make(chan result, 1)}
	select {
	case <-q.stopIntake:
		return false, ErrStopped
	default:
	}
	select {
	case q.intake <- p:
	case <-q.stopIntake:
		return false, ErrStopped
	case <-ctx.Done():
		return false, fmt.Errorf("enqueueing delivery %s: %w", args.DeliveryID, ctx.Err())
	}
	select {
	case r := <-p.done:
		return r.duplicate, r.err
	case <-q.intakeDone:
		// Handed over just as the intake loop finished its last drain.
		select {
		case r := <-p.done:
			return r.duplicate, r.err
		default:
			return false, ErrStopped
		}
	case <-ctx.Done():
		// The insert may still commit; a redelivery is then deduplicated.
		return false, fmt.Errorf("enqueueing delivery %s: %w", args.DeliveryID, ctx.Err())
	}
}

// runIntake is the group-commit loop: take one delivery and whatever else is
// already waiting, write them in one transaction, answer each. Deliveries
// arriving during that commit form the next batch, so the batch grows with
// the load and a lone delivery never waits.
func (q *Queue) runIntake() {
	defer close(q.intakeDone)
	for {
		select {
		case first := <-q.intake:
			q.commit(q.gather([]*pending{first}))
		case <-q.stopIntake:
			q.drainIntake()
			return
		}
	}
}

// gather appends the deliveries already waiting, up to MaxBatch.
func (q *Queue) gather(batch []*pending) []*pending {
	for len(batch) < q.opts.MaxBatch {
		select {
		case p := <-q.intake:
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

// drainIntake writes what was handed over before Stop.
func (q *Queue) drainIntake() {
	for {
		batch := q.gather(nil)
		if len(batch) == 0 {
			return
		}
		q.commit(batch)
	}
}

func (q *Queue) commit(batch []*pending) {
	// Two posts of the same delivery in one batch become one row: River's
	// bulk insert cannot resolve a unique conflict within one statement.
	byID := map[string][]*pending{}
	var unique []WebhookArgs
	for _, p := range batch {
		if _, seen := byID[p.args.DeliveryID]; !seen {
			unique = append(unique, p.args)
		}
		byID[p.args.DeliveryID] = append(byID[p.args.DeliveryID], p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	res, err := q.insertDeliveries(ctx, unique, time.Now())
	q.metrics.batch.Observe(float64(len(unique)))
	if err != nil {
		err = fmt.Errorf("inserting %d deliveries: %w", len(unique), err)
		q.log.Error("enqueueing deliveries", slog.Any("error", err))
		for _, p := range batch {
			q.metrics.enqueued.WithLabelValues("error").Inc()
			p.done <- result{err: err}
		}
		return
	}
	for i, r := range res {
		for j, p := range byID[unique[i].DeliveryID] {
			dup := r.UniqueSkippedAsDuplicate || j > 0
			if dup {
				q.metrics.enqueued.WithLabelValues("duplicate").Inc()
			} else {
				q.metrics.enqueued.WithLabelValues("inserted").Inc()
			}
			p.done <- result{duplicate: dup}
		}
	}
}

// insertDeliveries writes the bodies and one job per delivery in one
// transaction. The bodies go in delivery id order: two PostgreSQL replicas
// inserting overlapping batches then take the rows' locks in the same
// order, and one waits for the other instead of deadlocking (so they never
// meet on River's unique index either). The jobs go in the order the
// deliveries arrived, which is the order River starts them in (sorted by
// id, a loaded server's batches would start their deliveries in random
// order, not in the order GitHub sent them). The results follow ds.
func (q *Queue) insertDeliveries(ctx context.Context, ds []WebhookArgs, receivedAt time.Time) (_ []*rivertype.JobInsertResult, err error) {
	rows := make([][]any, len(ds))
	params := make([]river.InsertManyParams, len(ds))
	for i, d := range ds {
		rows[i] = bodyRow(d, receivedAt)
		params[i] = river.InsertManyParams{Args: WebhookArgs{DeliveryID: d.DeliveryID, Event: d.Event, Action: d.Action,
			InstallationID: d.InstallationID, BodyStored: true}}
	}
	slices.SortFunc(rows, func(a, b []any) int { return strings.Compare(a[0].(string), b[0].(string)) })
	tx, err := q.client.beginIntake(ctx)
	if err != nil {
		return nil, fmt.Errorf("beginning the transaction: %w", err)
	}
	defer func() {
		if err != nil {
			tx.rollback(ctx)
		}
	}()
	if err := tx.storeBodies(ctx, q.insertBody, rows); err != nil {
		return nil, err
	}
	res, err := tx.insertJobs(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("inserting the jobs: %w", err)
	}
	if err := tx.commit(ctx); err != nil {
		return nil, fmt.Errorf("committing: %w", err)
	}
	return res, nil
}
