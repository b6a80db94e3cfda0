package queue

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
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

// Enqueue stores a delivery and returns once it is committed; duplicate
// reports that the delivery id was already stored (and its work has not
// failed for good: a redelivery of such a delivery runs it again).
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
	// Two posts of the same delivery in one batch become one row.
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
	start := time.Now()
	written, err := q.insertDeliveries(ctx, unique, start)
	q.metrics.commit.Observe(time.Since(start).Seconds())
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
	for i, w := range written {
		for j, p := range byID[unique[i].DeliveryID] {
			dup := !w || j > 0
			if dup {
				q.metrics.enqueued.WithLabelValues("duplicate").Inc()
			} else {
				q.metrics.enqueued.WithLabelValues("inserted").Inc()
			}
			p.done <- result{duplicate: dup}
		}
	}
}

// insertDeliveries writes the bodies and one River job naming the new
// deliveries among them (DeliveryBatchArgs) in one transaction. The bodies
// go in delivery id order: two PostgreSQL replicas inserting overlapping
// batches then take the rows' locks in the same order, and one waits for
// the other instead of deadlocking. The job names the deliveries in the
// order they arrived, which is the order its worker starts them in.
// written follows ds and tells which deliveries are new.
func (q *Queue) insertDeliveries(ctx context.Context, ds []WebhookArgs, receivedAt time.Time) (written []bool, err error) {
	order := make([]int, len(ds))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(ds[a].DeliveryID, ds[b].DeliveryID) })
	rows := make([][]any, len(ds))
	for i, k := range order {
		rows[i] = bodyRow(ds[k], receivedAt)
	}
	tx, err := q.client.beginIntake(ctx)
	if err != nil {
		return nil, fmt.Errorf("beginning the transaction: %w", err)
	}
	defer func() {
		if err != nil {
			tx.rollback(ctx)
		}
	}()
	sorted, err := tx.storeBodies(ctx, q.insertBody, rows)
	if err != nil {
		return nil, err
	}
	written = make([]bool, len(ds))
	for i, k := range order {
		written[k] = sorted[i]
	}
	var ids []string
	for i, w := range written {
		if w {
			ids = append(ids, ds[i].DeliveryID)
		}
	}
	if len(ids) > 0 {
		if _, err := tx.insertJobs(ctx, []river.InsertManyParams{{Args: DeliveryBatchArgs{DeliveryIDs: ids}}}); err != nil {
			return nil, fmt.Errorf("inserting the batch job: %w", err)
		}
	}
	if err := tx.commit(ctx); err != nil {
		return nil, fmt.Errorf("committing: %w", err)
	}
	return written, nil
}
