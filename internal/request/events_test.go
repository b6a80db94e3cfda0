package request

import (
	"context"
	"os"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/simworld"
)

// TestDecodeExamples decodes GitHub's documented example payloads
// (@octokit/webhooks-examples): every issues and issue_comment example must
// decode, with the fields the workflow relies on.
func TestDecodeExamples(t *testing.T) {
	seen := 0
	for _, name := range []string{"issues", "issue_comment"} {
		for i, ex := range simworld.WebhookExamples(t, name) {
			switch name {
			case "issues":
				ev, err := DecodeIssueEvent(ex)
				if err != nil {
					t.Errorf("issues example %d: %v", i, err)
					continue
				}
				if ev.Org == "" || ev.Repo == "" || ev.Number == 0 || ev.Action == "" || ev.URL == "" || ev.Author == "" || (ev.State == "" && ev.Action != "pinned" && ev.Action != "unpinned") {
					t.Errorf("issues example %d decoded incompletely: %+v", i, ev)
				}
				if ev.Action == "labeled" && ev.Label == "" {
					t.Errorf("issues.labeled example %d: no label", i)
				}
				seen++
			case "issue_comment":
				ev, err := DecodeCommentEvent(ex)
				if err != nil {
					t.Errorf("issue_comment example %d: %v", i, err)
					continue
				}
				if ev.Commenter == "" || ev.CommentID == 0 || ev.Issue.Number == 0 {
					t.Errorf("issue_comment example %d decoded incompletely: %+v", i, ev)
				}
				seen++
			}
		}
	}
	if seen < 20 {
		t.Fatalf("only %d examples decoded", seen)
	}
}

func TestDecodeBotAndPullRequest(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		bot, pr bool
		body    string
	}{
		{"a person", `{"action":"opened","issue":{"number":3,"body":"hi","user":{"login":"alice","type":"User"}},"repository":{"name":"golden-paths","owner":{"login":"acme"}},"sender":{"login":"alice","type":"User"}}`, false, false, "hi"},
		{"the App", `{"action":"labeled","issue":{"number":3,"body":null,"user":{"login":"alice","type":"User"}},"repository":{"name":"golden-paths","owner":{"login":"acme"}},"sender":{"login":"goldenpath[bot]","type":"Bot"}}`, true, false, ""},
		{"a pull request", `{"action":"opened","issue":{"number":4,"pull_request":{"url":"x"},"user":{"login":"alice"}},"repository":{"name":"golden-paths","owner":{"login":"acme"}},"sender":{"login":"alice"}}`, false, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := DecodeIssueEvent([]byte(tc.payload))
			if err != nil {
				t.Fatal(err)
			}
			if ev.SenderIsBot != tc.bot || ev.IsPullRequest != tc.pr || ev.Body != tc.body {
				t.Errorf("got %+v", ev)
			}
		})
	}
	if _, err := DecodeIssueEvent([]byte(`{"action":"opened"}`)); err == nil {
		t.Error("a payload without an issue decoded")
	}
}

// TestExplainFailureStaysSilentOnOrdinaryIssues: a failed job about an
// issue that is not a request leaves no comment.
func TestExplainFailureStaysSilentOnOrdinaryIssues(t *testing.T) {
	w := newWorld(t, "")
	ev := w.open("alice", readBody(t, "not-a-request.md"))
	mustNil(t, w.wf.ExplainFailure(context.Background(), ev, os.ErrDeadlineExceeded))
	if c := w.botComments(ev.Number); len(c) != 0 {
		t.Fatalf("commented on an ordinary issue: %q", c)
	}
	req := w.open("alice", readBody(t, "go-service-valid.md")) // labels dropped, headings recognised
	mustNil(t, w.wf.ExplainFailure(context.Background(), req, os.ErrDeadlineExceeded))
	if c := w.botComments(req.Number); len(c) != 1 {
		t.Fatalf("want the failure explained on a request: %q", c)
	}
}
