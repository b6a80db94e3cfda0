package request

import (
	"context"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
)

// Fleet records which repositories came from which template (*fleet.Index).
type Fleet interface {
	Upsert(ctx context.Context, r fleet.Repo) error
}

var _ Fleet = (*fleet.Index)(nil)

// parsePolicy reads goldenpath.yaml from the tree of the templates
// repository; no file is the default policy.
func parsePolicy(files map[string]github.File) (config.Policy, error) {
	f, ok := files[config.PolicyFile]
	if !ok {
		return config.DefaultPolicy(), nil
	}
	return config.ParsePolicy(f.Data)
}
