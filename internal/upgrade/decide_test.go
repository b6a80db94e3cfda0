package upgrade

import (
	"testing"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// TestDecide: the upgrade's decisions, from facts alone (no simulator).
func TestDecide(t *testing.T) {
	v11 := semver.MustParse("1.1.0")
	inFleet := func(version string) facts {
		return facts{name: "svc", target: v11, fleetRead: true, inFleet: true,
			rec: fleet.Repo{Owner: "acme", Name: "a", Template: "svc", Version: version, DefaultBranch: "main"}}
	}
	withTree := func(f facts, af *template.AnswersFile) facts {
		f.treeRead, f.treeFound, f.branch, f.head, f.answers = true, true, "main", "head1", af
		return f
	}
	answers := func(tmpl, version string) *template.AnswersFile {
		return &template.AnswersFile{Template: tmpl, Version: version}
	}
	withPR := func(f facts, pr *github.PR, meta Meta) facts {
		f.prRead, f.pr, f.meta = true, pr, meta
		return f
	}
	ready := withTree(inFleet("1.0.0"), answers("svc", "1.0.0"))
	current := Meta{Template: "svc", To: "1.1.0", Base: "head1", Commit: "c1"}
	open := &github.PR{Number: 7, State: "open", HeadSHA: "c1"}
	pushed := &github.PR{Number: 7, State: "open", HeadSHA: "someone"}
	closed := &github.PR{Number: 7, State: "closed"}
	rebuild := func(f facts) facts { f.rebuild = true; return f }
	owned := func(f facts, ours bool) facts { f.ownerRead, f.owned, f.who = true, ours, "@alice"; return f }
	reanswer := func(f facts) facts { f.reanswer = true; return f }
	onV11 := withTree(inFleet("1.1.0"), answers("svc", "1.1.0"))
	notFound := inFleet("1.0.0")
	notFound.treeRead = true

	tests := []struct {
		name string
		f    facts
		want decision
	}{
		{"not a version tag", facts{}, decision{act: actNone, out: outSkipped}},
		{"first the index", facts{name: "svc", target: v11}, decision{need: needFleet}},
		{"not in the fleet", facts{name: "svc", target: v11, fleetRead: true}, decision{act: actNone, out: outSkipped}},
		{"another template", func() facts { f := inFleet("1.0.0"); f.rec.Template = "other"; return f }(), decision{act: actNone, out: outSkipped}},
		{"the index says up to date", inFleet("1.1.0"), decision{act: actNone, out: outUpToDate}},
		{"older: read the branch", inFleet("1.0.0"), decision{need: needTree}},
		{"a rebuild reads even when up to date", rebuild(inFleet("1.1.0")), decision{need: needTree}},
		{"branch gone", notFound, decision{act: actLeaveFleet, out: outSkipped, reason: "its default branch is gone"}},
		{"no answers file", withTree(inFleet("1.0.0"), nil), decision{act: actLeaveFleet, out: outSkipped, reason: "repository no longer has the answers file: left the fleet"}},
		{"answers file does not parse", func() facts {
			f := withTree(inFleet("1.0.0"), nil)
			f.answersErr = errString("line 1: bad")
			return f
		}(), decision{act: actFail, out: outFailed, reason: ".goldenpath.yml on main: line 1: bad"}},
		{"answers name another template", withTree(inFleet("1.0.0"), answers("other", "1.0.0")), decision{act: actRecordFleet, out: outSkipped}},
		{"answers version not semver", withTree(inFleet("1.0.0"), answers("svc", "one")), decision{act: actFail, out: outFailed, reason: `.goldenpath.yml records version "one", which is not semver`}},
		{"the index was behind", withTree(inFleet("1.0.0"), answers("svc", "1.1.0")), decision{act: actRecordFleet, out: outCaughtUp}},
		{"then the pull request", ready, decision{need: needPR}},
		{"no pull request: open one", withPR(ready, nil, Meta{}), decision{act: actWrite, from: semver.MustParse("1.0.0")}},
		{"open and current", withPR(ready, open, current), decision{act: actRecordOpen, out: outSame}},
		{"open, older version: update", withPR(ready, open, Meta{To: "1.0.1", Base: "head1", Commit: "c1"}),
			decision{act: actWrite, from: semver.MustParse("1.0.0"), reuse: true, force: true}},
		{"open, default branch moved: update", withPR(ready, open, Meta{To: "1.1.0", Base: "old", Commit: "c1"}),
			decision{act: actWrite, from: semver.MustParse("1.0.0"), reuse: true, force: true}},
		{"someone pushed: who?", withPR(ready, pushed, current), decision{need: needOwnership}},
		{"a person pushed: blocked", owned(withPR(ready, pushed, current), false), decision{act: actBlock, out: outBlocked}},
		{"the bot's own commits: update", owned(withPR(ready, pushed, current), true),
			decision{act: actWrite, from: semver.MustParse("1.0.0"), reuse: true, force: true}},
		{"rebuild over a person's commits", rebuild(withPR(ready, pushed, current)),
			decision{act: actWrite, from: semver.MustParse("1.0.0"), reuse: true, force: true}},
		{"closed for this version", withPR(ready, closed, current), decision{act: actRecordClosed, out: outSkipped}},
		{"closed for an older version: open again", withPR(ready, closed, Meta{To: "1.0.1"}), decision{act: actWrite, from: semver.MustParse("1.0.0")}},
		{"merged: open the next", withPR(ready, &github.PR{Number: 7, State: "closed", Merged: true}, current), decision{act: actWrite, from: semver.MustParse("1.0.0")}},
		{"rebuild without an open pull request", rebuild(withPR(ready, closed, current)), decision{act: actNone, out: outSkipped}},

		// Re-answers (SPEC §7) target the version the repository is on.
		{"re-answer: the index being current is no reason to stop", reanswer(inFleet("1.1.0")), decision{need: needTree}},
		{"re-answer: then the pull request", reanswer(onV11), decision{need: needPR}},
		{"re-answer: no pull request: open one", withPR(reanswer(onV11), nil, Meta{}), decision{act: actWrite, from: v11}},
		{"re-answer: an open pull request is rebuilt", withPR(reanswer(onV11), open, Meta{To: "1.1.0", Base: "old", Commit: "c1"}),
			decision{act: actWrite, from: v11, reuse: true, force: true}},
		{"re-answer redelivered: nothing new", withPR(reanswer(onV11), open, current), decision{act: actRecordOpen, out: outSame}},
		{"re-answer: a closed pull request does not stop new answers", withPR(reanswer(onV11), closed, current), decision{act: actWrite, from: v11}},
		{"re-answer: a person's commits are not overwritten", owned(withPR(reanswer(onV11), pushed, current), false), decision{act: actBlock, out: outBlocked}},
		{"re-answer of an older version than the repository's", reanswer(withTree(inFleet("1.1.0"), answers("svc", "1.2.0"))), decision{act: actRecordFleet, out: outCaughtUp}},
		{"re-answer on an upgrade: both", withPR(reanswer(ready), open, Meta{To: "1.1.0", Base: "old", Commit: "c1"}),
			decision{act: actWrite, from: semver.MustParse("1.0.0"), reuse: true, force: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decide(tt.f)
			if got.need != tt.want.need || got.act != tt.want.act || got.out != tt.want.out || got.reason != tt.want.reason ||
				got.reuse != tt.want.reuse || got.force != tt.want.force || !sameVersion(got.from, tt.want.from) {
				t.Errorf("decide = %+v, want %+v", got, tt.want)
			}
		})
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func sameVersion(a, b *semver.Version) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(b)
}
