package request

import (
	"fmt"

	"github.com/goldenpath-dev/goldenpath/internal/ghevent"
)

// IssueEvent is the part of an `issues` webhook delivery the workflow uses.
type IssueEvent struct {
	InstallationID int64
	Org            string // repository owner (the organization)
	Repo           string // repository name
	Number         int
	Action         string // opened, edited, labeled, reopened, …
	Title          string
	Body           string
	URL            string // the issue's html_url: what .goldenpath.yml records as request
	Author         string
	Labels         []string
	Label          string // for labeled/unlabeled: the label that changed
	State          string // open or closed
	BodyChanged    bool   // for edited: the body (not only the title) changed
	Sender         string
	SenderIsBot    bool
	IsPullRequest  bool
}

// CommentEvent is the part of an `issue_comment` delivery the workflow uses.
// Issue carries the issue as it was when the comment was made.
type CommentEvent struct {
	Issue     IssueEvent // Action is the comment's action; Sender the commenter
	Action    string
	CommentID int64
	Comment   string
	Commenter string
}

// IssueRef names one issue in one installation.
type IssueRef struct {
	InstallationID int64
	Org            string
	Repo           string
	Number         int
}

// Ref names the event's issue.
func (e IssueEvent) Ref() IssueRef {
	return IssueRef{InstallationID: e.InstallationID, Org: e.Org, Repo: e.Repo, Number: e.Number}
}

// Ref names the issue commented on.
func (e CommentEvent) Ref() IssueRef { return e.Issue.Ref() }

type wireIssue struct {
	Number  int          `json:"number"`
	Title   string       `json:"title"`
	Body    *string      `json:"body"`
	HTMLURL string       `json:"html_url"`
	State   string       `json:"state"`
	User    ghevent.User `json:"user"`
	Labels  []struct {
		Name string `json:"name"`
	} `json:"labels"`
	PullRequest *struct{} `json:"pull_request"` // present (not null) on a pull request
}

type wireEnvelope struct {
	ghevent.Envelope
	Issue wireIssue `json:"issue"`
	Label *struct {
		Name string `json:"name"`
	} `json:"label"`
	Changes struct {
		Body *struct {
			From string `json:"from"`
		} `json:"body"`
	} `json:"changes"`
	Comment struct {
		ID   int64        `json:"id"`
		Body string       `json:"body"`
		User ghevent.User `json:"user"`
	} `json:"comment"`
}

func (w *wireEnvelope) issueEvent() IssueEvent {
	ev := IssueEvent{
		InstallationID: w.Installation.ID,
		Org:            w.Repository.OwnerLogin(),
		Repo:           w.Repository.Name,
		Number:         w.Issue.Number,
		Action:         w.Action,
		Title:          w.Issue.Title,
		URL:            w.Issue.HTMLURL,
		Author:         w.Issue.User.Login,
		State:          w.Issue.State,
		BodyChanged:    w.Changes.Body != nil,
		Sender:         w.Sender.Login,
		SenderIsBot:    w.Sender.IsBot(),
		IsPullRequest:  w.Issue.PullRequest != nil,
	}
	if w.Issue.Body != nil {
		ev.Body = *w.Issue.Body
	}
	for _, l := range w.Issue.Labels {
		ev.Labels = append(ev.Labels, l.Name)
	}
	if w.Label != nil {
		ev.Label = w.Label.Name
	}
	return ev
}

func decode(event string, payload []byte) (*wireEnvelope, error) {
	var w wireEnvelope
	if err := ghevent.Decode(event, payload, &w); err != nil {
		return nil, err
	}
	if w.Repository.Name == "" || w.Repository.OwnerLogin() == "" || w.Issue.Number == 0 {
		return nil, fmt.Errorf("decoding %s event: the payload names no repository or issue", event)
	}
	return &w, nil
}

// DecodeIssueEvent decodes the JSON payload of an `issues` delivery.
func DecodeIssueEvent(payload []byte) (IssueEvent, error) {
	w, err := decode("issues", payload)
	if err != nil {
		return IssueEvent{}, err
	}
	return w.issueEvent(), nil
}

// DecodeCommentEvent decodes the JSON payload of an `issue_comment` delivery.
func DecodeCommentEvent(payload []byte) (CommentEvent, error) {
	w, err := decode("issue_comment", payload)
	if err != nil {
		return CommentEvent{}, err
	}
	issue := w.issueEvent()
	// The commenter, not the issue's author, is the sender here.
	issue.SenderIsBot = w.Sender.IsBot() || w.Comment.User.IsBot()
	return CommentEvent{
		Issue:     issue,
		Action:    w.Action,
		CommentID: w.Comment.ID,
		Comment:   w.Comment.Body,
		Commenter: w.Comment.User.Login,
	}, nil
}
