// Package fleetscan reads what the fleet dashboard shows beyond versions
// (SPEC §7): each fleet repository's owner team, system and lifecycle, and
// which of its files drifted from the render of its recorded version and
// answers. Drift compares git blob ids of a fresh render with the default
// branch's tree, so a repository costs one tree read, and nothing but a
// conditional read answered 304 while its tree is unchanged.
package fleetscan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/drift"
	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
)

// GitHub is what a scan reads. *github.Client satisfies it.
type GitHub interface {
	templatesrc.GitHub
	TreeIfChanged(ctx context.Context, owner, repo, ref, etag string) (*github.TreeVersion, bool, error)
	TeamID(ctx context.Context, org, slug string) (int64, bool, error)
}

var _ GitHub = (*github.Client)(nil)

// Fleet is the part of the fleet index a scan reads and keeps.
type Fleet interface {
	SetOwnership(ctx context.Context, r fleet.Repo) error
	ETag(ctx context.Context, cacheKey string) (etag string, body []byte, err error)
	SetETag(ctx context.Context, cacheKey, etag string, body []byte) error
}

// Result is what a scan found in one repository.
type Result struct {
	// Drifted lists the rendered files that differ on the default branch.
	Drifted []string `json:"drifted,omitempty"`
	// AnswersBlob is the blob id of .goldenpath.yml the result was made with.
	AnswersBlob string `json:"answers_blob,omitempty"`
	// Err says why drift could not be computed (a template that does not
	// load, answers that do not validate).
	Err string `json:"error,omitempty"`
}

// Scanner scans fleet repositories.
type Scanner struct {
	Fleet     Fleet
	Templates *templatesrc.Source
}

func cacheKey(r fleet.Repo) string {
	return "fleetscan:" + strings.ToLower(r.Owner+"/"+r.Name) + "@" + r.DefaultBranch
}

// Scan reads repository r (its templates repository is templatesOwner's
// templatesRepo) and keeps its ownership in the index; r is returned with
// the ownership it now has. Requests: one conditional tree read; when the
// tree changed, .goldenpath.yml and the owner team's lookup if the answers
// changed, and the template at the recorded version (cached).
func (s *Scanner) Scan(ctx context.Context, gh GitHub, r fleet.Repo, templatesOwner, templatesRepo string) (fleet.Repo, Result, error) {
	if r.DefaultBranch == "" {
		return r, Result{Err: "the fleet index does not know its default branch yet"}, nil
	}
	key := cacheKey(r)
	etag, body, err := s.Fleet.ETag(ctx, key)
	if err != nil {
		return r, Result{}, err
	}
	var prev Result
	if etag != "" && json.Unmarshal(body, &prev) != nil {
		etag = ""
	}
	if r.Ownership.Answers == "" {
		etag = "" // the ownership was never read: read it all
	}
	tree, changed, err := gh.TreeIfChanged(ctx, r.Owner, r.Name, r.DefaultBranch, etag)
	if err != nil {
		return r, Result{}, err
	}
	if !changed {
		return r, prev, nil
	}
	res := Result{AnswersBlob: tree.Blobs[template.AnswersFileName]}
	var af template.AnswersFile
	if res.AnswersBlob != "" && (res.AnswersBlob != prev.AnswersBlob || r.Ownership.Answers == "") {
		if r, af, err = s.readOwnership(ctx, gh, r); err != nil {
			return r, Result{}, err
		}
	} else if af, err = answersOf(r); err != nil {
		res.Err = err.Error()
	}
	if res.Err == "" && af.Template != "" {
		res.Drifted, err = s.drifted(ctx, gh, r, af, tree.Blobs, templatesOwner, templatesRepo)
		var broken *templatesrc.BrokenError
		var invalid *template.ValidationError
		switch {
		case errors.As(err, &broken), errors.As(err, &invalid), errors.Is(err, github.ErrNotFound), errors.Is(err, templatesrc.ErrNoVersion):
			res.Err = err.Error()
		case err != nil:
			return r, Result{}, err
		}
	}
	data, _ := json.Marshal(res) // strings only: cannot fail
	return r, res, s.Fleet.SetETag(ctx, key, tree.ETag, data)
}

// readOwnership reads .goldenpath.yml and records the ownership it says,
// following the owner team by id.
func (s *Scanner) readOwnership(ctx context.Context, gh GitHub, r fleet.Repo) (fleet.Repo, template.AnswersFile, error) {
	data, _, err := gh.GetFile(ctx, r.Owner, r.Name, template.AnswersFileName, r.DefaultBranch)
	if err != nil {
		return r, template.AnswersFile{}, err
	}
	af, err := template.ParseAnswersFile(data)
	if err != nil {
		return r, template.AnswersFile{}, nil // the upgrade workflow reports it
	}
	r, err = Record(ctx, gh, s.Fleet, r, af)
	return r, af, err
}

// Record keeps the ownership af says of r in the index, following the
// owner team by id (one request to look it up).
func Record(ctx context.Context, gh interface {
	TeamID(ctx context.Context, org, slug string) (int64, bool, error)
}, f interface {
	SetOwnership(ctx context.Context, r fleet.Repo) error
}, r fleet.Repo, af template.AnswersFile) (fleet.Repo, error) {
	o := Ownership(af)
	if o.Team != "" {
		id, found, err := gh.TeamID(ctx, r.Owner, o.Team)
		if err != nil {
			return r, err
		}
		o.TeamID = id
		if !found {
			o.TeamID = fleet.NoTeam
		}
	}
	r.Ownership = o
	return r, f.SetOwnership(ctx, r)
}

// drifted renders r's recorded version with its answers and lists the
// files whose blob differs from the tree's.
func (s *Scanner) drifted(ctx context.Context, gh GitHub, r fleet.Repo, af template.AnswersFile, blobs map[string]string, templatesOwner, templatesRepo string) ([]string, error) {
	tag := af.Template + "/v" + strings.TrimPrefix(af.Version, "v")
	if _, _, ok := template.ParseTag(tag); !ok {
		return nil, fmt.Errorf("%s records version %q, which is not semver", template.AnswersFileName, af.Version)
	}
	t, err := s.Templates.Repo(gh, templatesOwner, templatesRepo).At(ctx, tag)
	if err != nil {
		return nil, err
	}
	want, err := drift.Expected(ctx, t, af, r.Owner)
	if err != nil {
		return nil, err
	}
	return drift.Compare(want, blobs), nil
}

// answersOf is the answers file the index keeps for r.
func answersOf(r fleet.Repo) (template.AnswersFile, error) {
	af := template.AnswersFile{Template: r.Template, Version: r.Version}
	if r.Ownership.Answers == "" {
		return af, nil
	}
	if err := json.Unmarshal([]byte(r.Ownership.Answers), &af.Answers); err != nil {
		return af, fmt.Errorf("decoding the answers the fleet index keeps: %w", err)
	}
	return af, nil
}

// Ownership is what the fleet index keeps of af's answers (the team id is
// looked up apart).
func Ownership(af template.AnswersFile) fleet.Ownership {
	str := func(k string) string {
		s, _ := af.Answers[k].(string)
		return s
	}
	b, _ := json.Marshal(af.Answers) // strings, bools and lists: cannot fail
	return fleet.Ownership{Team: str("owner"), System: str("system"), Lifecycle: str("lifecycle"), Answers: string(b)}
}
