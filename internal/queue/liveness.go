package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgLiveness tells dead processes from live ones on PostgreSQL at once,
// without waiting for their lease: every process holds, for its whole life
// and on a connection of its own, a session advisory lock named by its
// client id. PostgreSQL drops the lock as soon as that connection closes,
// which the kernel does the moment the process dies (SIGKILL, OOM kill,
// panic). A lock that can be taken therefore belongs to a dead process. A
// lost host closes nothing: its lease (rescue.go) expires instead. Lock
// keys are hashes; a collision only makes a dead process look alive until
// its lease expires.
type pgLiveness struct {
	pool *pgxpool.Pool
	conn *pgx.Conn
}

// livenessNamespace is the first key of the advisory locks ("gpql").
const livenessNamespace int32 = 0x6770716c

func holdLiveness(ctx context.Context, pool *pgxpool.Pool, clientID string) (*pgLiveness, error) {
	c, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquiring a connection for the queue liveness lock: %w", err)
	}
	conn := c.Hijack() // ours for the process's life, out of the pool's count
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, livenessNamespace, clientID); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("taking the queue liveness lock: %w", err)
	}
	return &pgLiveness{pool: pool, conn: conn}, nil
}

// dead returns which of clients no longer hold their liveness lock.
func (l *pgLiveness) dead(ctx context.Context, clients []string) (_ map[string]bool, err error) {
	if len(clients) == 0 {
		return nil, nil
	}
	c, err := l.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquiring a connection to check the queue's processes: %w", err)
	}
	defer func() {
		if err == nil {
			c.Release()
			return
		}
		// The session may still hold a dead process's lock, which would make
		// it look alive: end the session rather than pool it.
		conn := c.Hijack()
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	out := map[string]bool{}
	for _, client := range clients {
		var free bool
		if err := c.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext($2))`, livenessNamespace, client).Scan(&free); err != nil {
			return nil, fmt.Errorf("checking whether %s is alive: %w", client, err)
		}
		if free {
			out[client] = true
			if _, err := c.Exec(ctx, `SELECT pg_advisory_unlock($1, hashtext($2))`, livenessNamespace, client); err != nil {
				return nil, fmt.Errorf("releasing the liveness lock of %s: %w", client, err)
			}
		}
	}
	return out, nil
}

func (l *pgLiveness) close() {
	if l == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.conn.Close(ctx) // ends the session: the lock goes with it
}
