package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/store"
)

// River's client is generic in its driver's transaction type (*sql.Tx for
// SQLite, pgx.Tx for PostgreSQL). The group commit writes delivery bodies
// and River's jobs in one transaction, so it needs that type; intakeTx hides
// it, as riverClient hides the client's.

// intakeTx is one group-commit transaction.
type intakeTx interface {
	// storeBodies runs insertBodySQL once per row (already rebound) and
	// tells which rows it wrote (new deliveries, see insertBodySQL).
	storeBodies(ctx context.Context, query string, rows [][]any) ([]bool, error)
	insertJobs(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	commit(ctx context.Context) error
	rollback(ctx context.Context)
}

// sqliteClient is River's client for SQLite with the intake's transactions.
type sqliteClient struct {
	*river.Client[*sql.Tx]
	db *store.DB
}

// beginIntake begins a durable transaction: the connection commits others
// without an fsync (store.BeginDurable).
func (c sqliteClient) beginIntake(ctx context.Context) (intakeTx, error) {
	tx, err := c.db.BeginDurable(ctx)
	if err != nil {
		return nil, err
	}
	return &sqliteIntake{client: c.Client, durable: tx, tx: tx.Tx}, nil
}

type sqliteIntake struct {
	client  *river.Client[*sql.Tx]
	durable *store.DurableTx
	tx      *sql.Tx
}

func (t *sqliteIntake) storeBodies(ctx context.Context, query string, rows [][]any) ([]bool, error) {
	// The store's statement cache keeps the INSERT prepared on the
	// connection across batches.
	written := make([]bool, len(rows))
	for i, r := range rows {
		res, err := t.tx.ExecContext(ctx, query, r...)
		if err != nil {
			return nil, fmt.Errorf("storing the body of delivery %v: %w", r[0], err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("storing the body of delivery %v: %w", r[0], err)
		}
		written[i] = n > 0
	}
	return written, nil
}

func (t *sqliteIntake) insertJobs(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	return t.client.InsertManyTx(ctx, t.tx, params)
}

func (t *sqliteIntake) commit(context.Context) error {
	defer t.durable.Done()
	return t.tx.Commit()
}

func (t *sqliteIntake) rollback(context.Context) {
	_ = t.tx.Rollback()
	t.durable.Done()
}

// pgClient is River's client for PostgreSQL with the intake's transactions.
type pgClient struct {
	*river.Client[pgx.Tx]
	pool *pgxpool.Pool
}

func (c pgClient) beginIntake(ctx context.Context) (intakeTx, error) {
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &pgIntake{client: c.Client, tx: tx}, nil
}

type pgIntake struct {
	client *river.Client[pgx.Tx]
	tx     pgx.Tx
}

func (t *pgIntake) storeBodies(ctx context.Context, query string, rows [][]any) ([]bool, error) {
	// One round trip for the batch; pgx prepares the statement once per
	// connection and caches it.
	b := &pgx.Batch{}
	for _, r := range rows {
		b.Queue(query, r...)
	}
	br := t.tx.SendBatch(ctx, b)
	written := make([]bool, len(rows))
	var errs []error
	for i, r := range rows {
		tag, err := br.Exec()
		if err != nil {
			errs = append(errs, fmt.Errorf("storing the body of delivery %v: %w", r[0], err))
			break
		}
		written[i] = tag.RowsAffected() > 0
	}
	errs = append(errs, br.Close())
	return written, errors.Join(errs...)
}

func (t *pgIntake) insertJobs(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	return t.client.InsertManyTx(ctx, t.tx, params)
}

func (t *pgIntake) commit(ctx context.Context) error { return t.tx.Commit(ctx) }
func (t *pgIntake) rollback(ctx context.Context)     { _ = t.tx.Rollback(ctx) }
