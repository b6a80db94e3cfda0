package webhook

import (
	"bytes"
	"errors"

	"github.com/goldenpath-dev/goldenpath/internal/ghevent"
)

// wireScope is the part of a payload a Scope is read from.
type wireScope struct {
	Action       string `json:"action"`
	Ref          string `json:"ref"`
	Deleted      bool   `json:"deleted"`
	Installation struct {
		ID int64 `json:"id"`
	} `json:"installation"`
	Repository struct {
		Name          string `json:"name"`
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
	PullRequest struct {
		Head struct {
			Ref string `json:"ref"`
		} `json:"head"`
	} `json:"pull_request"`
}

// readScope reads the Scope of event's payload, with the decoder every
// workflow uses (ghevent.Decode), so a payload the intake accepts is one the
// workflows can read: it checks the syntax of the whole document in the same
// pass, and a queued payload needs no second validity check.
func readScope(event string, payload []byte) (Scope, error) {
	if !bytes.HasPrefix(bytes.TrimLeft(payload, " \t\r\n"), []byte("{")) {
		return Scope{}, errors.New("the payload is not a JSON object")
	}
	var w wireScope
	if err := ghevent.Decode(event, payload, &w); err != nil {
		return Scope{}, err
	}
	return Scope{
		Action:         w.Action,
		InstallationID: w.Installation.ID,
		Repo:           w.Repository.Name,
		DefaultBranch:  w.Repository.DefaultBranch,
		Ref:            w.Ref,
		Deleted:        w.Deleted,
		HeadRef:        w.PullRequest.Head.Ref,
	}, nil
}
