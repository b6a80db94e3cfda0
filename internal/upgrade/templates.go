package upgrade

import (
	"github.com/goldenpath-dev/goldenpath/internal/github"
)

// toGitHub converts a plan's changes to the client's file type.
func toGitHub(changes map[string]*mergeEntry) map[string]*github.File {
	out := make(map[string]*github.File, len(changes))
	for p, f := range changes {
		if f == nil {
			out[p] = nil
			continue
		}
		out[p] = &github.File{Data: f.Data, Mode: f.Mode}
	}
	return out
}
