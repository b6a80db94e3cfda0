package apispec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// Spec checks traffic against GitHub's REST description and records what
// it saw. It is safe for concurrent use.
type Spec struct {
	api *api

	mu         sync.Mutex
	exempt     []string
	ops        map[string]int
	violations []Violation
}

// Exempt passes paths under the given prefixes through unchecked and
// unrecorded: what a simulator serves beside the REST API, such as its
// archive downloads (codeload.github.com on GitHub) or its control API.
func (s *Spec) Exempt(prefixes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exempt = append(s.exempt, prefixes...)
}

func (s *Spec) exempted(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.exempt {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

func newSpec(a *api) *Spec { return &Spec{api: a, ops: map[string]int{}} }

// Violation kinds.
const (
	KindRoute    = "route"    // method and path are not in GitHub's API
	KindRequest  = "request"  // the request does not match the operation
	KindResponse = "response" // the response does not match the operation
)

// Violation is one exchange that GitHub's description does not allow.
type Violation struct {
	Kind      string
	Method    string
	Path      string // as sent, with any /api/v3 prefix
	Operation string // operationId, empty for KindRoute
	Status    int    // response status, 0 when no response was seen
	Message   string
}

func (v Violation) String() string {
	op := v.Operation
	if op == "" {
		op = "-"
	}
	return fmt.Sprintf("%s %s %s → %d (%s): %s", v.Kind, v.Method, v.Path, v.Status, op, v.Message)
}

// genericErrors are statuses GitHub may answer on any operation although
// most operations do not declare them: malformed JSON (400), missing or bad
// credentials (401), forbidden and secondary rate limits (403, 429), hidden
// resources (404), validation (422), and server trouble (500, 502, 503).
var genericErrors = map[int]bool{400: true, 401: true, 403: true, 404: true, 422: true, 429: true, 500: true, 502: true, 503: true}

// apiPrefix is where GitHub Enterprise Server serves the REST API.
const apiPrefix = "/api/v3"

// check validates one exchange and records it. status is 0 when no response
// was received (transport error): then only the request is checked.
func (s *Spec) check(ctx context.Context, req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) {
	rawPath := req.URL.EscapedPath()
	if s.exempted(rawPath) {
		return
	}
	routed := rawPath
	if routed == apiPrefix || strings.HasPrefix(routed, apiPrefix+"/") {
		routed = strings.TrimPrefix(routed, apiPrefix)
	}
	u := *req.URL
	u.RawPath = routed
	if p, err := url.PathUnescape(routed); err == nil {
		u.Path = p
	}
	r := req.Clone(ctx)
	r.URL = &u
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	r.ContentLength = int64(len(reqBody))
	r.GetBody = nil

	base := Violation{Method: req.Method, Path: rawPath, Status: status}
	route, params := s.api.router.route(s.api.doc, r)
	if route == nil {
		base.Kind, base.Message = KindRoute, "not in GitHub's API"
		s.record("", []Violation{base})
		return
	}
	base.Operation = route.Operation.OperationID
	if omittable[route.Path] {
		route.Operation = withoutEmptyPathParams(route.Operation, params)
	}

	if rb := route.Operation.RequestBody; rb != nil && rb.Value != nil && !rb.Value.Required && string(bytes.TrimSpace(reqBody)) == "null" {
		// go-github and ghinstallation marshal absent options as JSON null
		// (POST /app/installations/{id}/access_tokens), which GitHub takes
		// as no body; kin-openapi would call it a non-nullable object.
		r.Body, r.ContentLength = http.NoBody, 0
	}

	var vs []Violation
	add := func(kind, msg string) {
		v := base
		v.Kind, v.Message = kind, msg
		vs = append(vs, v)
	}

	opts := &openapi3filter.Options{
		MultiError:          true,
		SkipSettingDefaults: true,
		// Credentials are the simulator's business (it answers 401/403 as
		// GitHub does); the description only says which schemes exist.
		AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		for _, m := range messages(err) {
			add(KindRequest, m)
		}
	}
	if status != 0 && req.Method != http.MethodHead {
		for _, m := range s.checkResponse(ctx, in, status, header, respBody) {
			add(KindResponse, m)
		}
	}
	s.record(base.Operation, vs)
}

func (s *Spec) checkResponse(ctx context.Context, in *openapi3filter.RequestValidationInput, status int, header http.Header, body []byte) []string {
	op := in.Route.Operation
	declared := op.Responses.Status(status) != nil
	var msgs []string
	switch {
	case status == http.StatusNotModified:
		// GitHub answers any conditional GET with 304, declared or not.
		if in.Request.Method != http.MethodGet {
			msgs = append(msgs, "304 Not Modified answered to a "+in.Request.Method)
		}
		if len(body) != 0 {
			msgs = append(msgs, "304 Not Modified with a body")
		}
		return msgs
	case !declared && status < 400:
		return []string{fmt.Sprintf("status %d is not one the operation declares (%s)", status, declaredStatuses(op))}
	case !declared && !genericErrors[status]:
		return []string{fmt.Sprintf("status %d is neither declared by the operation (%s) nor one GitHub answers anywhere", status, declaredStatuses(op))}
	}
	if status == http.StatusNoContent && len(body) != 0 {
		msgs = append(msgs, "204 No Content with a body")
	}
	if status >= 300 && status < 400 && header.Get("Location") == "" {
		msgs = append(msgs, fmt.Sprintf("redirect %d without a Location header", status))
	}
	if status >= 400 {
		msgs = append(msgs, s.checkErrorBody(header, body)...)
	}
	if declared {
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in,
			Status:                 status,
			Header:                 header,
			Options:                in.Options,
		}
		out.Options = &openapi3filter.Options{
			MultiError:              true,
			IncludeResponseStatus:   true,
			SchemaValidationOptions: in.Options.SchemaValidationOptions,
		}
		out.SetBodyBytes(body)
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			msgs = append(msgs, messages(err)...)
		}
	}
	return msgs
}

// checkErrorBody checks GitHub's error shape: a JSON object with a string
// message and a string documentation_url (422s add an errors array).
func (s *Spec) checkErrorBody(header http.Header, body []byte) []string {
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	if mt != "application/json" {
		return []string{fmt.Sprintf("error body has Content-Type %q, GitHub sends application/json", header.Get("Content-Type"))}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []string{fmt.Sprintf("error body is not JSON: %v", err)}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return []string{"error body is not a JSON object"}
	}
	var msgs []string
	for _, k := range []string{"message", "documentation_url"} {
		if _, ok := obj[k].(string); !ok {
			msgs = append(msgs, fmt.Sprintf("error body has no string %q", k))
		}
	}
	if err := s.api.errShape.VisitJSON(v, openapi3.MultiErrors(), openapi3.DisableSchemaErrorDetails()); err != nil {
		for _, m := range messages(err) {
			msgs = append(msgs, "error body: "+m)
		}
	}
	return msgs
}

// withoutEmptyPathParams returns op without the path parameters whose value
// is empty, for the templates whose last parameter GitHub lets a client
// omit (see omittable); op itself is shared and left unchanged.
func withoutEmptyPathParams(op *openapi3.Operation, params map[string]string) *openapi3.Operation {
	cp := *op
	cp.Parameters = nil
	for _, p := range op.Parameters {
		if p.Value != nil && p.Value.In == openapi3.ParameterInPath && params[p.Value.Name] == "" {
			continue
		}
		cp.Parameters = append(cp.Parameters, p)
	}
	return &cp
}

func declaredStatuses(op *openapi3.Operation) string {
	var codes []string
	for code := range op.Responses.Map() {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	return strings.Join(codes, ", ")
}

// messages flattens kin-openapi's MultiErrors into one line per problem.
func messages(err error) []string {
	var me openapi3.MultiError
	if errors.As(err, &me) && len(me) > 0 {
		var out []string
		for _, e := range me {
			out = append(out, messages(e)...)
		}
		return out
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) && re.Err != nil && errors.As(re.Err, &me) {
		var out []string
		for _, m := range messages(me) {
			out = append(out, requestPrefix(re)+m)
		}
		return out
	}
	var rse *openapi3filter.ResponseError
	if errors.As(err, &rse) && rse.Err != nil && errors.As(rse.Err, &me) {
		var out []string
		for _, m := range messages(me) {
			out = append(out, rse.Reason+": "+m)
		}
		return out
	}
	return []string{strings.TrimSpace(err.Error())}
}

func requestPrefix(re *openapi3filter.RequestError) string {
	switch {
	case re.Parameter != nil:
		return fmt.Sprintf("parameter %q in %s: ", re.Parameter.Name, re.Parameter.In)
	case re.RequestBody != nil:
		return "request body: "
	}
	return ""
}

func (s *Spec) record(op string, vs []Violation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if op != "" {
		s.ops[op]++
	}
	s.violations = append(s.violations, vs...)
}

// Report is a snapshot of what a Spec recorded.
type Report struct {
	ops        map[string]int
	violations []Violation
}

// Report returns a snapshot of the traffic recorded so far.
func (s *Spec) Report() Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	ops := make(map[string]int, len(s.ops))
	for k, v := range s.ops {
		ops[k] = v
	}
	return Report{ops: ops, violations: slices.Clone(s.violations)}
}

// Covered returns the distinct operationIds seen, sorted.
func (r Report) Covered() []string {
	out := make([]string, 0, len(r.ops))
	for k := range r.ops {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Count returns how many requests matched the operation.
func (r Report) Count(operationID string) int { return r.ops[operationID] }

// Violations returns every violation in the order seen.
func (r Report) Violations() []Violation { return slices.Clone(r.violations) }

// AssertClean fails tb with every recorded violation, except those an
// allow function accepts (a test that sends a bad request on purpose, to
// see the simulator refuse it, allows that one), and logs the coverage.
func (s *Spec) AssertClean(tb testing.TB, allow ...func(Violation) bool) {
	tb.Helper()
	rep := s.Report()
	var bad []string
outer:
	for _, v := range rep.violations {
		for _, ok := range allow {
			if ok(v) {
				continue outer
			}
		}
		bad = append(bad, v.String())
	}
	tb.Logf("%d operations of GitHub's REST API covered: %s", len(rep.ops), strings.Join(rep.Covered(), ", "))
	if len(bad) > 0 {
		tb.Errorf("%d exchanges do not match GitHub's REST description:\n%s", len(bad), strings.Join(bad, "\n"))
	}
}
