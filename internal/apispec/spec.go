// Package apispec checks HTTP traffic against GitHub's official description
// of its REST API (the npm package @octokit/openapi) and webhook payloads
// against GitHub's webhook schemas (@octokit/openapi-webhooks).
//
// Tests wrap the GitHub simulator with (*Spec).Middleware, or a client with
// (*Spec).Transport, and end with (*Spec).AssertClean: a simulator that
// answers what GitHub would never answer, or a bot that sends what GitHub
// would refuse, fails the test instead of passing against a lenient fake.
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
