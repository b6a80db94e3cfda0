package apispec

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// Webhooks validates webhook payloads against @octokit/openapi-webhooks,
// GitHub's description of every event and action. That file is OpenAPI
// 3.1 (a top-level "webhooks" map, JSON Schema 2020-12 schemas);
// kin-openapi v0.153 loads 3.1 and validates with JSON Schema 2020
// semantics, so it serves here as for the REST description, and a
// payload is checked by its real schema rather than by comparing field
// names with the community examples (@octokit/webhooks-examples), several
// of which are older than the schema (see webhook_test.go).
type Webhooks struct {
	doc      *openapi3.T
	loadTime time.Duration
}

var (
	hooksOnce sync.Once
	hooksVal  *Webhooks
	hooksErr  error
)

// LoadWebhooks returns the webhook schemas of the npm package
// @octokit/openapi-webhooks under testdata/npm, parsed once per test
// binary (about 1 s); it skips locally and fails under CI when missing.
func LoadWebhooks(tb testing.TB) *Webhooks {
	tb.Helper()
	dir := testenv.NodeModule(tb, "@octokit/openapi-webhooks")
	hooksOnce.Do(func() {
		hooksVal, hooksErr = LoadWebhooksFile(filepath.Join(dir, "generated", "api.github.com.json"))
	})
	if hooksErr != nil {
		tb.Fatalf("loading GitHub's webhook schemas: %v", hooksErr)
	}
	return hooksVal
}

// LoadWebhooksFile parses the webhook description at path.
func LoadWebhooksFile(path string) (*Webhooks, error) {
	start := time.Now()
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}
	if len(doc.Webhooks) == 0 {
		return nil, fmt.Errorf("loading %s: no webhooks in the document", path)
	}
	return &Webhooks{doc: doc, loadTime: time.Since(start)}, nil
}

// LoadTime reports how long parsing the description took.
func (w *Webhooks) LoadTime() time.Duration { return w.loadTime }

// key is the description's name of an event and action: "issues-opened",
// "issue-comment-created", "push" (events without actions are bare).
func key(event, action string) string {
	k := strings.ReplaceAll(event, "_", "-")
	if action != "" {
		k += "-" + strings.ReplaceAll(action, "_", "-")
	}
	return k
}

// Validate checks a payload of the X-GitHub-Event event with the given
// action ("" for events without one, like push and create) against GitHub's
// schema. The error lists every problem, one a line.
func (w *Webhooks) Validate(event, action string, payload []byte) error {
	k := key(event, action)
	item := w.doc.Webhooks[k]
	if item == nil || item.Post == nil || item.Post.RequestBody == nil || item.Post.RequestBody.Value == nil {
		return fmt.Errorf("webhook %s/%s: not an event and action GitHub describes", event, action)
	}
	media := item.Post.RequestBody.Value.Content.Get("application/json")
	if media == nil || media.Schema == nil || media.Schema.Value == nil {
		return fmt.Errorf("webhook %s/%s: the description has no JSON schema", event, action)
	}
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		return fmt.Errorf("webhook %s/%s: payload is not JSON: %w", event, action, err)
	}
	if obj, ok := v.(map[string]any); ok && action != "" && obj["action"] != action {
		return fmt.Errorf("webhook %s/%s: payload action is %v", event, action, obj["action"])
	}
	err := media.Schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors())
	if err == nil {
		return nil
	}
	msgs := schemaMessages(err)
	return fmt.Errorf("webhook %s/%s does not match GitHub's schema:\n%s", event, action, strings.Join(msgs, "\n"))
}

// schemaMessages gives one line per schema problem, without the schema and
// value dumps kin-openapi appends (the 3.1 validator cannot leave them out).
func schemaMessages(err error) []string {
	var me openapi3.MultiError
	var leaves []error
	var walk func(error)
	walk = func(e error) {
		if errors.As(e, &me) && len(me) > 0 {
			for _, x := range me {
				walk(x)
			}
			return
		}
		leaves = append(leaves, e)
	}
	walk(err)
	seen := map[string]bool{}
	var out []string
	for _, e := range leaves {
		m := e.Error()
		if i := strings.Index(m, "\nSchema:"); i >= 0 {
			m = m[:i]
		}
		m = strings.TrimSpace(m)
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}
