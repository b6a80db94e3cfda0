package github

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// Kinds of failure callers branch on. Test with errors.Is; every error this
// package returns for an HTTP answer wraps an *APIError that matches one of
// them (or none, for failures a caller can only report).
var (
	// ErrNotFound: the resource does not exist or this installation cannot see it (404).
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: a create met an existing resource (a 422 "already exists").
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict: GitHub refused the write because of the resource's state (409, or a
	// 422 about the state, such as an empty repository).
	ErrConflict = errors.New("conflict")
	// ErrNotFastForward: a branch update would drop commits and force was not asked for.
	ErrNotFastForward = errors.New("not a fast-forward")
	// ErrRateLimited: a primary or secondary rate limit that the middleware would not
	// wait out within its bounds.
	ErrRateLimited = errors.New("rate limited")
	// ErrValidation: GitHub rejected the request's content (422 not covered above).
	ErrValidation = errors.New("validation failed")
)

// APIError is a non-2xx answer from GitHub, reduced to what callers and logs need.
type APIError struct {
	StatusCode int
	Message    string   // GitHub's "message"
	Details    []string // GitHub's "errors[].message" / codes, if any
	kind       error
	err        error
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "github answered %d", e.StatusCode)
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if len(e.Details) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(e.Details, "; "))
	}
	return b.String()
}

// Is lets errors.Is(err, ErrNotFound) and friends work through wrapping.
func (e *APIError) Is(target error) bool { return e.kind != nil && target == e.kind }

// Unwrap exposes go-github's error for callers that need its details.
func (e *APIError) Unwrap() error { return e.err }

// classify turns go-github's errors into *APIError with a kind. Other errors
// (transport, context) pass unchanged.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return err
	}
	var rle *gh.RateLimitError
	if errors.As(err, &rle) {
		return &APIError{StatusCode: statusOf(rle.Response), Message: rle.Message, kind: ErrRateLimited, err: err}
	}
	var are *gh.AbuseRateLimitError
	if errors.As(err, &are) {
		return &APIError{StatusCode: statusOf(are.Response), Message: are.Message, kind: ErrRateLimited, err: err}
	}
	var er *gh.ErrorResponse
	if !errors.As(err, &er) {
		return err
	}
	out := &APIError{StatusCode: statusOf(er.Response), Message: er.Message, err: err}
	for _, d := range er.Errors {
		switch {
		case d.Message != "":
			out.Details = append(out.Details, d.Message)
		case d.Code != "":
			out.Details = append(out.Details, strings.TrimSpace(d.Resource+" "+d.Field+" "+d.Code))
		}
	}
	text := strings.ToLower(out.Message + " " + strings.Join(out.Details, " "))
	for _, d := range er.Errors {
		text += " " + strings.ToLower(d.Code)
	}
	switch out.StatusCode {
	case http.StatusNotFound:
		out.kind = ErrNotFound
	case http.StatusConflict:
		out.kind = ErrConflict
	case http.StatusUnprocessableEntity:
		switch {
		case strings.Contains(text, "fast forward") || strings.Contains(text, "fast-forward"):
			out.kind = ErrNotFastForward
		case strings.Contains(text, "already exists") || strings.Contains(text, "already_exists"):
			out.kind = ErrAlreadyExists
		default:
			out.kind = ErrValidation
		}
	}
	return out
}

func statusOf(r *http.Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}
