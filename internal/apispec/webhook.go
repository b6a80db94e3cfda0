package apispec

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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

// ValidateDelivery checks a delivery as a receiver sees it: the headers
// GitHub's description marks required for the event (User-Agent,
// X-GitHub-Event, X-GitHub-Delivery, X-GitHub-Hook-ID,
// X-GitHub-Hook-Installation-Target-ID and -Type, X-Hub-Signature-256), the
// event named by X-GitHub-Event with the payload's own action, and the
// payload's schema. Signatures are the receiver's to verify.
func (w *Webhooks) ValidateDelivery(header http.Header, payload []byte) error {
	event := header.Get("X-GitHub-Event")
	if event == "" {
		return errors.New("webhook delivery without X-GitHub-Event")
	}
	var probe struct {
		Action string `json:"action"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return fmt.Errorf("webhook %s: payload is not JSON: %w", event, err)
	}
	action := probe.Action
	if w.doc.Webhooks[key(event, action)] == nil && w.doc.Webhooks[key(event, "")] != nil {
		action = "" // an event without actions whose payload has an "action" field
	}
	var problems []string
	if item := w.doc.Webhooks[key(event, action)]; item != nil && item.Post != nil {
		for _, p := range item.Post.Parameters {
			if p.Value == nil || p.Value.In != openapi3.ParameterInHeader || !p.Value.Required {
				continue
			}
			if header.Get(p.Value.Name) == "" {
				problems = append(problems, fmt.Sprintf("header %s is missing", p.Value.Name))
			}
		}
	}
	if ua := header.Get("User-Agent"); ua != "" && !strings.HasPrefix(ua, "GitHub-Hookshot/") {
		problems = append(problems, fmt.Sprintf("User-Agent %q, GitHub sends GitHub-Hookshot/…", ua))
	}
	if sig := header.Get("X-Hub-Signature-256"); sig != "" && !strings.HasPrefix(sig, "sha256=") {
		problems = append(problems, "X-Hub-Signature-256 does not start with sha256=")
	}
	if err := w.Validate(event, action, payload); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("webhook delivery %s %s:\n%s", event, header.Get("X-GitHub-Delivery"), strings.Join(problems, "\n"))
	}
	return nil
}
