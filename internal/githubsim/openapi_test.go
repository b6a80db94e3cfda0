package githubsim_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// Every response the simulator gives in these tests is validated against
// GitHub's own OpenAPI description (api.github.com, from @octokit/openapi):
// status code declared for the operation, and body schema. The simulator's
// worth is its fidelity, so a response that does not validate fails the test.

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
	covered    sync.Map // "METHOD /path/{template}" -> count
)

func loadSpec(t *testing.T) routers.Router {
	t.Helper()
	dir := testenv.NodeModule(t, "@octokit/openapi")
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile(filepath.Join(dir, "generated", "api.github.com.json"))
		if err != nil {
			specErr = fmt.Errorf("loading the OpenAPI description: %w", err)
			return
		}
		specRouter, specErr = gorillamux.NewRouter(doc)
	})
	if specErr != nil {
		t.Fatal(specErr)
	}
	return specRouter
}

// validating wraps h so that every request and response is checked.
func validating(t *testing.T, h http.Handler) http.Handler {
	router := loadSpec(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		res := rec.Result()
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(rec.Body.Bytes())

		p := strings.TrimPrefix(r.URL.Path, "/api/v3")
		if strings.HasPrefix(p, "/_codeload/") || strings.HasPrefix(p, "/_raw/") || strings.HasSuffix(p, "graphql") {
			return // the download host is not part of the API
		}
		u, _ := url.Parse("https://api.github.com" + p)
		u.RawQuery = r.URL.RawQuery
		req := r.Clone(context.Background())
		req.URL = u
		req.Host = "api.github.com"
		req.Body = io.NopCloser(bytes.NewReader(body))
		route, params, err := findRoute(router, req)
		if err != nil {
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s: not in GitHub's API description but answered %d", r.Method, p, res.StatusCode)
			}
			return
		}
		covered.Store(r.Method+" "+route.Path, true)
		opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
		if res.StatusCode < 400 && strings.TrimSpace(string(body)) != "null" { // go-github sends "null" for a nil body
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				// Requests are go-github's, not the simulator's (v62 sends a
				// bare array to POST …/labels, which GitHub accepts but the
				// description's oneOf rejects): note them, do not fail.
				t.Logf("%s %s: request does not validate: %v", r.Method, p, short(err))
			}
		}
		if res.StatusCode == http.StatusNotModified || strings.Contains(r.Header.Get("Accept"), "raw") {
			// 304 has no body; the raw media type is not in the description.
			return
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
			Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())), Options: opts}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			// The description declares 401, 403 (rate limits) and 5xx only
			// where GitHub chose to; they are answered everywhere.
			undeclared := strings.Contains(err.Error(), "status is not supported")
			if undeclared && (res.StatusCode == 401 || res.StatusCode == 403 || res.StatusCode >= 500) {
				return
			}
			t.Errorf("%s %s → %d: response does not validate: %v", r.Method, p, res.StatusCode, short(err))
		}
	})
}

// slashTails are the operations whose last parameter may hold slashes,
// which the router cannot match; it is routed with a placeholder.
var slashTails = []string{"/releases/tags/", "/git/ref/", "/git/refs/", "/git/matching-refs/", "/contents/", "/tarball/", "/zipball/", "/branches/", "/compare/", "/commits/"}

func findRoute(router routers.Router, req *http.Request) (*routers.Route, map[string]string, error) {
	route, params, err := router.FindRoute(req)
	if err == nil {
		return route, params, nil
	}
	p := req.URL.Path
	if strings.HasSuffix(p, "/tarball") || strings.HasSuffix(p, "/zipball") || strings.HasSuffix(p, "/contents") || strings.HasSuffix(p, "/contents/") {
		p = strings.TrimSuffix(p, "/") + "/"
	}
	for _, tail := range slashTails {
		i := strings.Index(p, tail)
		if i < 0 || !strings.HasPrefix(p, "/repos/") {
			continue
		}
		rest := p[i+len(tail):]
		if rest == "" {
			rest = "placeholder" // the optional trailing parameter (default ref, root directory)
		}
		r2 := req.Clone(req.Context())
		u := *req.URL
		u.Path = p[:i+len(tail)] + "placeholder"
		u.RawPath = ""
		r2.URL = &u
		route, params, err2 := router.FindRoute(r2)
		if err2 != nil {
			continue
		}
		for k, v := range params {
			if v == "placeholder" {
				params[k] = rest
			}
		}
		return route, params, nil
	}
	return nil, nil, err
}

func short(err error) string {
	s := err.Error()
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

func TestMain(m *testing.M) {
	code := m.Run()
	var ops []string
	covered.Range(func(k, _ any) bool { ops = append(ops, k.(string)); return true })
	sort.Strings(ops)
	if testing.Verbose() {
		fmt.Printf("operations validated against api.github.com's description: %d\n", len(ops))
		for _, o := range ops {
			fmt.Println("  " + o)
		}
	}
	os.Exit(code)
}
