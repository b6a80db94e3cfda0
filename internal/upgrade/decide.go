package upgrade

import (
	"fmt"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// facts is what inspect has read about one repository's upgrade so far.
// decide says what it needs next, so nothing is read that the decision
// does not use (an index that says "up to date" costs no request).
type facts struct {
	name    string          // the template
	target  *semver.Version // nil: not a version tag worth rolling out
	rebuild bool
	// title is the pull request's title when it is not Title(name, target):
	// an adoption's (see OpenPR).
	title string

	fleetRead bool
	inFleet   bool
	rec       fleet.Repo

	treeRead   bool
	treeFound  bool   // the default branch could be read
	branch     string // the default branch
	head       string // its head commit
	files      map[string]github.File
	answers    *template.AnswersFile // nil: no answers file (or it does not parse)
	answersErr error                 // the answers file does not parse

	prRead bool
	pr     *github.PR // the upgrade branch's pull request, nil: none
	meta   Meta       // its hidden metadata

	ownerRead bool
	owned     bool   // every commit on the pull request's branch is the bot's
	who       string // who else committed there
}

// need is what decide wants read before it can decide.
type need int

const (
	needNothing   need = iota
	needFleet          // the fleet index's record
	needTree           // the default branch's files
	needPR             // the upgrade branch's pull request
	needOwnership      // who committed on the pull request's branch
)

// action is what apply does.
type action int

const (
	actNone         action = iota // nothing to write
	actLeaveFleet                 // the repository left the fleet: drop its record
	actFail                       // record reason on the dashboard and give up
	actRecordFleet                // keep the index's record (template or version) in step
	actRecordOpen                 // the open pull request is current: keep the record
	actBlock                      // a person pushed to the branch: say so once
	actRecordClosed               // closed unmerged for this version: keep the record
	actWrite                      // commit the upgrade and open or update its pull request
)

// decision is decide's answer.
type decision struct {
	need   need
	act    action
	out    outcome
	reason string // actFail, actLeaveFleet: why
	from   *semver.Version
	reuse  bool // actWrite: update the open pull request instead of opening one
	force  bool // actWrite: the branch may be rewritten
}

// decide is the upgrade's logic, apart from every read and write: given
// the facts so far, either what to read next or what to do.
func decide(f facts) decision {
	switch {
	case f.target == nil:
		return decision{act: actNone, out: outSkipped}
	case !f.fleetRead:
		return decision{need: needFleet}
	case !f.inFleet || f.rec.Template != f.name:
		return decision{act: actNone, out: outSkipped} // left the fleet since the rollout began
	case !f.rebuild && !olderThan(f.rec.Version, f.target):
		return decision{act: actNone, out: outUpToDate} // the index says so: not a single request
	case !f.treeRead:
		return decision{need: needTree}
	case !f.treeFound:
		return decision{act: actLeaveFleet, out: outSkipped, reason: "its default branch is gone"}
	case f.answersErr != nil:
		return decision{act: actFail, out: outFailed, reason: fmt.Sprintf("%s on %s: %v", template.AnswersFileName, f.branch, f.answersErr)}
	case f.answers == nil:
		return decision{act: actLeaveFleet, out: outSkipped, reason: "repository no longer has the answers file: left the fleet"}
	case f.answers.Template != f.name:
		return decision{act: actRecordFleet, out: outSkipped}
	}
	from, ok := parseVersion(f.answers.Version)
	switch {
	case !ok:
		return decision{act: actFail, out: outFailed, reason: fmt.Sprintf("%s records version %q, which is not semver", template.AnswersFileName, f.answers.Version)}
	case !from.LessThan(f.target):
		return decision{act: actRecordFleet, out: outCaughtUp}
	case !f.prRead:
		return decision{need: needPR}
	}
	d := decision{act: actWrite, from: from}
	if pr := f.pr; pr != nil {
		prTo, _ := parseVersion(f.meta.To)
		current := prTo != nil && !prTo.LessThan(f.target)
		switch {
		case pr.State == "open":
			d.reuse, d.force = true, true
			if !f.rebuild && current && f.meta.Base == f.head && pr.HeadSHA == f.meta.Commit {
				return decision{act: actRecordOpen, out: outSame}
			}
			if !f.rebuild && pr.HeadSHA != f.meta.Commit {
				if !f.ownerRead {
					return decision{need: needOwnership}
				}
				if !f.owned {
					return decision{act: actBlock, out: outBlocked}
				}
			}
		case !pr.Merged && current && !f.rebuild:
			return decision{act: actRecordClosed, out: outSkipped} // not reopened
		}
	}
	if f.rebuild && !d.reuse {
		return decision{act: actNone, out: outSkipped} // only an open pull request is rebuilt
	}
	return d
}
