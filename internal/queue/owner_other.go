//go:build !unix

package queue

import "context"

// ownerLock: without flock, a SQLite process never knows it is alone; its
// predecessor's jobs come back when their lease expires, as on PostgreSQL.
type ownerLock struct{ sole bool }

func lockOwner(context.Context, string) (*ownerLock, error) { return nil, nil }

func (l *ownerLock) share(context.Context) error { return nil }

func (l *ownerLock) release() {}
