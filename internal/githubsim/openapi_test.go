package githubsim_test

import (
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/apispec"
)

// Every exchange with the simulator in these tests is checked by apispec
// against GitHub's own REST description (api.github.com, from
// @octokit/openapi): the route exists, the status is one GitHub answers,
// and the body matches the operation's schema. The simulator's worth is its
// fidelity, so an exchange that does not validate fails the test.

// covered is every operationId seen by any test, for TestMain's report.
var covered sync.Map

// validating wraps h so that every request and response is checked; the
// test fails at cleanup with every violation, except the tolerated ones
// below.
func validating(t *testing.T, h http.Handler) http.Handler {
	t.Helper()
	spec := apispec.Load(t)
	// What the simulator serves beside the REST API: archive and raw
	// downloads (codeload.github.com and raw.githubusercontent.com on
	// GitHub) and GraphQL, which the REST description does not cover; and
	// github.com's pages of the App manifest flow.
	spec.Exempt("/_codeload/", "/_raw/", "/api/v3/_codeload/", "/api/v3/_raw/", "/graphql", "/api/graphql", "/api/v3/graphql",
		"/settings/apps/new", "/organizations/")
	t.Cleanup(func() {
		spec.AssertClean(t, tolerated...)
		for _, op := range spec.Report().Covered() {
			covered.Store(op, true)
		}
	})
	return spec.Middleware(h)
}

// tolerated are the violations these tests accept, each for a reason the
// simulator cannot change.
var tolerated = []func(apispec.Violation) bool{
	// go-github v62 sends labels to POST and PUT …/issues/{n}/labels as a
	// bare JSON array, which GitHub accepts but the description's oneOf
	// (an object with "labels", or an array of objects) rejects. The
	// requests are go-github's, not the simulator's.
	func(v apispec.Violation) bool {
		return v.Kind == apispec.KindRequest && strings.Contains(v.Message, "must be an object") &&
			(v.Operation == "issues/add-labels" || v.Operation == "issues/set-labels")
	},
	// GitHub's custom media types (Accept: application/vnd.github.raw+json
	// for file contents) are documented beside the description, not in
	// it: a raw body answered to a raw Accept has no schema to match.
	// The status is still checked; only the media type is excused.
	func(v apispec.Violation) bool {
		return v.Kind == apispec.KindResponse && v.Status < 300 &&
			strings.Contains(v.Message, `Content-Type has unexpected value: "application/vnd.github.raw"`)
	},
	// Tests ask for paths GitHub does not serve on purpose, to see the
	// simulator answer them 404 as GitHub does; any other answer to an
	// unknown path fails.
	func(v apispec.Violation) bool {
		return v.Kind == apispec.KindRoute && v.Status == http.StatusNotFound
	},
	// Tests send requests GitHub would refuse on purpose, to see the
	// simulator refuse them with an error status; the error response is
	// still checked.
	func(v apispec.Violation) bool {
		return v.Kind == apispec.KindRequest && v.Status >= 400
	},
}

func TestMain(m *testing.M) {
	code := m.Run()
	var ops []string
	covered.Range(func(k, _ any) bool { ops = append(ops, k.(string)); return true })
	sort.Strings(ops)
	if testing.Verbose() {
		fmt.Printf("operations validated against api.github.com's description: %d\n", len(ops))
		fmt.Println("  " + strings.Join(ops, "\n  "))
	}
	os.Exit(code)
}
