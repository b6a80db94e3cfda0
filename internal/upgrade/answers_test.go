package upgrade

import (
	"reflect"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/template"
)

func TestPlanAnswers(t *testing.T) {
	old := map[string]any{"owner": "team-a"}
	tests := []struct {
		name string
		job  *AnswersChange
		meta *Meta
		want answersPlan
	}{
		{"a plain upgrade", nil, nil, answersPlan{}},
		{"a person's new answers", &AnswersChange{Base: old, Reason: "changed"}, nil, answersPlan{base: old, reason: "changed"}},
		{"a team renamed", &AnswersChange{Set: map[string]any{"owner": "team-b"}, Reason: "renamed"}, nil,
			answersPlan{set: map[string]any{"owner": "team-b"}, reason: "renamed"}},
		{"an open re-answer rebuilt by a new version keeps its answers", nil, &Meta{BaseAnswers: old, Set: map[string]any{"owner": "team-b"}, Reason: "renamed"},
			answersPlan{base: old, set: map[string]any{"owner": "team-b"}, reason: "renamed"}},
		{"the open pull request's base wins", &AnswersChange{Base: map[string]any{"owner": "team-x"}, Reason: "changed again"}, &Meta{BaseAnswers: old},
			answersPlan{base: old, reason: "changed again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := planAnswers(tt.job, tt.meta); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("planAnswers = %+v, want %+v", got, tt.want)
			}
		})
	}
	af := answersPlan{set: map[string]any{"owner": "team-b"}}.apply(template.AnswersFile{Answers: template.Answers{"owner": "team-a", "name": "x"}})
	if af.Answers["owner"] != "team-b" || af.Answers["name"] != "x" {
		t.Errorf("apply = %+v", af.Answers)
	}
	got := changedAnswers(map[string]any{"owner": "team-a", "name": "x", "gone": "y"}, map[string]any{"owner": "team-b", "name": "x", "tags": []string{"a", "b"}})
	want := []answerChange{{"owner", "team-a", "team-b"}, {"tags", "(none)", "a, b"}, {"gone", "y", "(none)"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("changedAnswers = %+v, want %+v", got, want)
	}
}
