// Package apispec checks HTTP traffic against GitHub's official description
// of its REST API (the npm package @octokit/openapi) and webhook payloads
// against GitHub's webhook schemas (@octokit/openapi-webhooks).
//
// Tests wrap the GitHub simulator with (*Spec).Middleware, or a client with
// (*Spec).Transport, and end with (*Spec).AssertClean: a simulator that
// answers what GitHub would never answer, or a bot that sends what GitHub
// would refuse, fails the test instead of passing against a lenient fake:
//
//	spec := apispec.Load(t)                // parsed once per test binary
//	spec.Exempt("/_codeload/")            // the simulator's archive downloads
//	srv := httptest.NewServer(spec.Middleware(sim.Handler()))
//	defer srv.Close()
//	... drive the bot against srv.URL ...
//	spec.AssertClean(t)                    // every violation, and coverage
//
// What counts as a violation: a method and path GitHub does not serve
// (after removing the GHES /api/v3 prefix); a request whose parameters or
// JSON body do not match the operation; a 2xx or 3xx status the operation
// does not declare; a 4xx/5xx that is neither declared nor one GitHub
// answers anywhere (400, 401, 403, 404, 422, 429, 500, 502, 503); an error
// body without GitHub's {"message", "documentation_url"} shape; a declared
// response whose body does not match its schema; a redirect without
// Location; 304 to anything but GET, or with a body. HEAD is checked as
// GET without its body. Credentials are not checked.
package apispec

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// api is GitHub's REST description, loaded once per process and read-only
// after: parsing the 13 MB document takes about 3 s.
type api struct {
	doc      *openapi3.T
	router   *router
	errShape *openapi3.Schema // basic-error, the body of GitHub's error answers
	loadTime time.Duration
}

var (
	apiOnce sync.Once
	apiVal  *api
	apiErr  error
)

// restDescription is the file of @octokit/openapi describing api.github.com
// (GHES variants sit beside it).
const restDescription = "generated/api.github.com.json"

// LoadFile parses the REST description at path (api.github.com.json) and
// returns a checker with an empty record. Each call parses the file anew;
// tests use Load, which parses once per process.
func LoadFile(path string) (*Spec, error) {
	a, err := loadAPI(path)
	if err != nil {
		return nil, err
	}
	return newSpec(a), nil
}

// Load returns a checker for GitHub's REST description from the npm
// package @octokit/openapi under testdata/npm (skipped locally, failing
// under CI when missing). The description is parsed once per test binary;
// every call returns a fresh record, so parallel tests do not see each
// other's traffic.
func Load(tb testing.TB) *Spec {
	tb.Helper()
	dir := testenv.NodeModule(tb, "@octokit/openapi")
	apiOnce.Do(func() {
		apiVal, apiErr = loadAPI(filepath.Join(dir, filepath.FromSlash(restDescription)))
	})
	if apiErr != nil {
		tb.Fatalf("loading GitHub's REST description: %v", apiErr)
	}
	return newSpec(apiVal)
}

func loadAPI(path string) (*api, error) {
	start := time.Now()
	loader := openapi3.NewLoader()
	// The description is one self-contained file: every $ref is local.
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}
	// doc.Validate is deliberately not called: GitHub's description has
	// examples that contradict their schemas (actions-hosted-runner's
	// image "version" example is the number 20.04 for a string), which
	// kin-openapi rejects though they do not affect traffic checks.
	errShape := doc.Components.Schemas["basic-error"]
	if errShape == nil || errShape.Value == nil {
		return nil, fmt.Errorf("loading %s: no components.schemas.basic-error", path)
	}
	return &api{doc: doc, router: newRouter(doc), errShape: errShape.Value, loadTime: time.Since(start)}, nil
}

// LoadTime reports how long parsing the description took.
func (s *Spec) LoadTime() time.Duration { return s.api.loadTime }

// Operations returns the number of operations in the description.
func (s *Spec) Operations() int {
	n := 0
	for _, p := range s.api.doc.Paths.Map() {
		n += len(p.Operations())
	}
	return n
}
