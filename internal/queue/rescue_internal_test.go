package queue

import (
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
)

func TestOrphans(t *testing.T) {
	now := time.Now()
	leases := map[string]time.Time{"expired": now.Add(-time.Second), "current": now.Add(time.Minute), "me": now.Add(-time.Hour)}
	job := func(id int64, state rivertype.JobState, by ...string) *rivertype.JobRow {
		return &rivertype.JobRow{ID: id, State: state, AttemptedBy: by}
	}
	running := []*rivertype.JobRow{
		job(1, rivertype.JobStateRunning, "expired"),
		job(2, rivertype.JobStateRunning, "current"),
		job(3, rivertype.JobStateRunning, "me"),           // our own, whatever our lease row says
		job(4, rivertype.JobStateRunning, "never-leased"), // an older version: River's rescuer
		job(5, rivertype.JobStateRunning, "current", "expired"),
		job(6, rivertype.JobStateRunning, "expired", "current"),
		job(7, rivertype.JobStateCompleted, "expired"),
		job(8, rivertype.JobStateRunning, "killed"),
	}
	tests := []struct {
		name string
		dead map[string]bool // liveness locks found free
		want []int64
	}{
		{name: "leases only", want: []int64{1, 5}},
		{name: "a free liveness lock", dead: map[string]bool{"current": true}, want: []int64{1, 2, 5, 6}},
		// A free lock without a lease row: an older version that takes no
		// liveness lock, perhaps alive (a rolling upgrade). Not ours to rescue.
		{name: "a free lock without a lease", dead: map[string]bool{"killed": true, "never-leased": true}, want: []int64{1, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			for _, j := range orphans(running, func(c string) bool { return alive(leases, tt.dead, c, "me", now) }) {
				got = append(got, j.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("orphans = %v, want %v", got, tt.want)
			}
		})
	}
	if got, want := owners(running, "me"), []string{"expired", "current", "never-leased", "killed"}; !slices.Equal(got, want) {
		t.Errorf("owners = %q, want %q", got, want)
	}
}
