package request

import (
	"context"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
)

// Fleet records which repositories came from which template (*fleet.Index).
type Fleet interface {
	Upsert(ctx context.Context, r fleet.Repo) error
}

var _ Fleet = (*fleet.Index)(nil)
