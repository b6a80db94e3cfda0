package ownership

import (
	"reflect"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// pushFacts is what a push to a default branch says about the answers.
type pushFacts struct {
	// before and after are .goldenpath.yml before and after the push; nil
	// when absent there.
	before, after *template.AnswersFile
	// afterErr: .goldenpath.yml after the push does not parse.
	afterErr error
	// problems: the new answers break the template's parameters.
	problems []string
	// equal: the answers mean the same before and after (validated).
	equal bool
	// merged: the push merges goldenpath's own pull request.
	merged bool
}

// verdict is what a push to a default branch calls for.
type verdict int

const (
	doNothing  verdict = iota // not answers that changed
	doComment                 // invalid new answers: say so on the commit
	doRecord                  // valid answers that changed nothing the files show: keep the index
	doReanswer                // a person's new answers: a pull request
)

// decidePush is the re-answer's logic apart from reads and writes.
func decidePush(f pushFacts) verdict {
	switch {
	case f.afterErr != nil, f.after != nil && len(f.problems) > 0:
		return doComment
	case f.after == nil:
		return doNothing // the upgrade workflow lets it leave the fleet
	case f.before == nil || f.before.Template != f.after.Template:
		return doRecord // joined the fleet (or changed template) by hand: nothing rendered to follow yet
	case f.equal, f.merged:
		return doRecord
	}
	return doReanswer
}

// mergesOwnPR tells goldenpath's own pull request merged (GitHub's merge
// commit message names its branch) from a person's push.
func mergesOwnPR(headMessage, owner, branchPrefix string) bool {
	first, _, _ := strings.Cut(strings.ToLower(headMessage), "\n")
	return strings.HasPrefix(first, "merge pull request #") && strings.Contains(first, " from "+strings.ToLower(owner+"/"+branchPrefix))
}

// sameAnswers reports whether two sets of answers mean the same once
// validated by t.
func sameAnswers(t *template.Template, a, b template.Answers) bool {
	va, errA := t.Manifest.Validate(a)
	vb, errB := t.Manifest.Validate(b)
	return errA == nil && errB == nil && reflect.DeepEqual(va, vb)
}

// targetVersion is the version a re-answer targets: the one the repository
// records, or the newer one its open upgrade pull request brings (that pull
// request is rebuilt carrying both).
func targetVersion(recorded string, pr fleet.UpgradePR, found bool) string {
	if !found || (pr.State != fleet.PROpen && pr.State != fleet.PRBlocked) {
		return recorded
	}
	cur, err1 := semver.NewVersion(recorded)
	to, err2 := semver.NewVersion(pr.TargetVersion)
	if err1 != nil || err2 != nil || !to.GreaterThan(cur) {
		return recorded
	}
	return to.String()
}
