package apispec

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

type exampleEvent struct {
	Name     string           `json:"name"`
	Examples []map[string]any `json:"examples"`
}

func loadExamples(t *testing.T) map[string][]map[string]any {
	t.Helper()
	dir := testenv.NodeModule(t, "@octokit/webhooks-examples")
	data, err := os.ReadFile(filepath.Join(dir, "api.github.com", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var events []exampleEvent
	if err := json.Unmarshal(data, &events); err != nil {
		t.Fatalf("decoding the webhook examples: %v", err)
	}
	out := map[string][]map[string]any{}
	for _, e := range events {
		out[e.Name] = e.Examples
	}
	return out
}

// drift is what the community's recorded payloads may get wrong against
// GitHub's current schema: many were recorded before GitHub added fields
// the schema now requires (has_discussions, topics, visibility, reactions,
// auto_merge, app_slug, ...), and the installation examples carry
// created_at/updated_at as epoch seconds where the schema says a date-time
// string (which the simulator must send). Any other mismatch — a wrong type,
// a value outside an enum, an unexpected shape — fails.
var drift = regexp.MustCompile(`^(Error at "[^"]*": doesn't match schema due to: )?Error at "[^"]*": property "[a-z_]+" is missing$|^Error at "/installation/(created|updated)_at": value must be a string$`)

// TestWebhookExamples validates the recorded payloads of the events the
// bot receives against GitHub's webhook schemas.
func TestWebhookExamples(t *testing.T) {
	w := LoadWebhooks(t)
	examples := loadExamples(t)
	tests := []struct {
		event     string
		minPasses int // examples that must validate with no drift at all
	}{
		{event: "issues", minPasses: 20},
		{event: "issue_comment", minPasses: 5},
		{event: "create", minPasses: 5},
		{event: "pull_request", minPasses: 10},
		{event: "installation", minPasses: 1},
		// Every recorded push and installation_repositories payload predates
		// fields GitHub now requires; they still must not differ otherwise.
		{event: "push"},
		{event: "installation_repositories"},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			exs := examples[tt.event]
			if len(exs) == 0 {
				t.Fatalf("no examples of %s", tt.event)
			}
			passed := 0
			for i, ex := range exs {
				action, _ := ex["action"].(string)
				payload, _ := json.Marshal(ex)
				err := w.Validate(tt.event, action, payload)
				if err == nil {
					passed++
					continue
				}
				for _, l := range strings.Split(err.Error(), "\n")[1:] {
					if !drift.MatchString(l) {
						t.Errorf("example %d (%s/%s): %s", i, tt.event, action, l)
					}
				}
			}
			if passed < tt.minPasses {
				t.Errorf("%d of %d examples validate, want at least %d", passed, len(exs), tt.minPasses)
			}
			t.Logf("%s: %d of %d examples validate; the rest differ only by known drift", tt.event, passed, len(exs))
		})
	}
}

// TestWebhookBroken checks that a payload GitHub would not send fails.
func TestWebhookBroken(t *testing.T) {
	w := LoadWebhooks(t)
	examples := loadExamples(t)
	var opened map[string]any
	for _, ex := range examples["issues"] {
		if ex["action"] == "opened" {
			opened = ex
			break
		}
	}
	if opened == nil {
		t.Fatal("no issues/opened example")
	}
	mutate := func(f func(issue map[string]any, payload map[string]any)) []byte {
		var p map[string]any
		b, _ := json.Marshal(opened)
		_ = json.Unmarshal(b, &p)
		f(p["issue"].(map[string]any), p)
		out, _ := json.Marshal(p)
		return out
	}
	tests := []struct {
		name          string
		event, action string
		payload       []byte
		want          string // "" means valid
	}{
		{name: "real example", event: "issues", action: "opened", payload: mutate(func(map[string]any, map[string]any) {})},
		{name: "required field removed", event: "issues", action: "opened", payload: mutate(func(i, _ map[string]any) { delete(i, "number") }), want: `"/issue/number": property "number" is missing`},
		{name: "wrong type", event: "issues", action: "opened", payload: mutate(func(i, _ map[string]any) { i["number"] = "one" }), want: `"/issue/number"`},
		{name: "repository removed", event: "issues", action: "opened", payload: mutate(func(_, p map[string]any) { delete(p, "repository") }), want: `"repository" is missing`},
		{name: "other action", event: "issues", action: "closed", payload: mutate(func(map[string]any, map[string]any) {}), want: "payload action is opened"},
		{name: "unknown event", event: "issue", action: "opened", payload: mutate(func(map[string]any, map[string]any) {}), want: "not an event and action GitHub describes"},
		{name: "not JSON", event: "issues", action: "opened", payload: []byte("{"), want: "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := w.Validate(tt.event, tt.action, tt.payload)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("Validate accepted the payload, want an error with %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("Validate: %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestWebhookDelivery(t *testing.T) {
	w := LoadWebhooks(t)
	examples := loadExamples(t)
	var issue []byte
	for _, ex := range examples["issues"] {
		if ex["action"] == "opened" {
			issue, _ = json.Marshal(ex)
			break
		}
	}
	create, _ := json.Marshal(examples["create"][0])
	headers := func(event string, edit func(http.Header)) http.Header {
		h := http.Header{}
		h.Set("User-Agent", "GitHub-Hookshot/044aadd")
		h.Set("X-GitHub-Event", event)
		h.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
		h.Set("X-GitHub-Hook-ID", "1")
		h.Set("X-GitHub-Hook-Installation-Target-ID", "2")
		h.Set("X-GitHub-Hook-Installation-Target-Type", "integration")
		h.Set("X-Hub-Signature-256", "sha256=00")
		if edit != nil {
			edit(h)
		}
		return h
	}
	tests := []struct {
		name    string
		header  http.Header
		payload []byte
		want    string
	}{
		{name: "issues", header: headers("issues", nil), payload: issue},
		{name: "event without actions", header: headers("create", nil), payload: create},
		{name: "no signature", header: headers("issues", func(h http.Header) { h.Del("X-Hub-Signature-256") }), payload: issue, want: "header X-Hub-Signature-256 is missing"},
		{name: "no delivery id", header: headers("issues", func(h http.Header) { h.Del("X-GitHub-Delivery") }), payload: issue, want: "header X-GitHub-Delivery is missing"},
		{name: "not Hookshot", header: headers("issues", func(h http.Header) { h.Set("User-Agent", "Go-http-client/1.1") }), payload: issue, want: "GitHub-Hookshot"},
		{name: "payload of another event", header: headers("create", nil), payload: issue, want: "does not match GitHub's schema"},
		{name: "no event", header: headers("", nil), payload: issue, want: "without X-GitHub-Event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := w.ValidateDelivery(tt.header, tt.payload)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("ValidateDelivery: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("ValidateDelivery: %v, want an error with %q", err, tt.want)
			}
		})
	}
}
