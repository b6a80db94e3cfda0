package webhook

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// reference decodes a payload's scope with encoding/json (v1), as the handler
// did before readScope.
func reference(data []byte) (Scope, error) {
	var e struct {
		Action       string `json:"action"`
		Ref          string `json:"ref"`
		Deleted      bool   `json:"deleted"`
		Installation *struct {
			ID int64 `json:"id"`
		} `json:"installation"`
		Repository *struct {
			Name          string `json:"name"`
			DefaultBranch string `json:"default_branch"`
		} `json:"repository"`
		PullRequest *struct {
			Head *struct {
				Ref string `json:"ref"`
			} `json:"head"`
		} `json:"pull_request"`
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return Scope{}, err
	}
	s := Scope{Action: e.Action, Ref: e.Ref, Deleted: e.Deleted}
	if e.Installation != nil {
		s.InstallationID = e.Installation.ID
	}
	if e.Repository != nil {
		s.Repo, s.DefaultBranch = e.Repository.Name, e.Repository.DefaultBranch
	}
	if e.PullRequest != nil && e.PullRequest.Head != nil {
		s.HeadRef = e.PullRequest.Head.Ref
	}
	return s, nil
}

func TestReadScope(t *testing.T) {
	tests := []struct {
		name, payload string
		want          Scope
		wantErr       bool
	}{
		{"push", `{"ref":"refs/heads/main","before":"0","deleted":false,"repository":{"id":1,"name":"payments","owner":{"login":"acme"},"default_branch":"main"},"installation":{"id":42,"node_id":"x"}}`,
			Scope{Ref: "refs/heads/main", Repo: "payments", DefaultBranch: "main", InstallationID: 42}, false},
		{"pull request", `{"action":"closed","number":3,"pull_request":{"title":"a \"quoted\" } title","head":{"ref":"goldenpath/upgrade-go","sha":"1"},"labels":[{"name":"x"}]},"repository":{"name":"p"}}`,
			Scope{Action: "closed", HeadRef: "goldenpath/upgrade-go", Repo: "p"}, false},
		{"escapes in a value read", `{"action":"op\u0065ned","repository":{"name":"caf\u00e9"}}`, Scope{Action: "opened", Repo: "café"}, false},
		{"nulls", `{"action":null,"installation":null,"repository":{"name":null},"deleted":null}`, Scope{}, false},
		{"whitespace everywhere", " {\n\t\"action\" : \"created\" ,\r\n \"installation\" : { \"id\" : 7 } }\n", Scope{Action: "created", InstallationID: 7}, false},
		{"empty object", `{}`, Scope{}, false},
		{"truncated", `{"action":`, Scope{}, true},
		{"unclosed string", `{"action":"opened`, Scope{}, true},
		{"not an object", `["action"]`, Scope{}, true},
		{"trailing data", `{"action":"opened"} x`, Scope{}, true},
		{"action not a string", `{"action":5}`, Scope{}, true},
		{"id not an integer", `{"installation":{"id":"7"}}`, Scope{}, true},
		{"mismatched brackets in a skipped value", `{"issue":{"labels":[}]}`, Scope{}, true},
		{"missing colon", `{"action" "opened"}`, Scope{}, true},
		{"invalid JSON deep in a skipped value", `{"action":"opened","issue":{"body":"x","labels":[{"name":tru}]}}`, Scope{}, true},
		{"null document", `null`, Scope{}, true},
		{"name given twice: the last wins, as in encoding/json", `{"action":"opened","action":"closed"}`, Scope{Action: "closed"}, false},
		{"invalid UTF-8 kept, as encoding/json accepts it", "{\"action\":\"opened\",\"issue\":{\"body\":\"\xff\"}}", Scope{Action: "opened"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readScope("push", []byte(tt.payload))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("readScope = %+v, %v; want %+v (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// FuzzReadScope: readScope never panics, accepts only what encoding/json
// (v1) calls valid JSON, and on any JSON object that encoding/json decodes it
// finds the same scope.
func FuzzReadScope(f *testing.F) {
	f.Add([]byte(`{"action":"opened","repository":{"name":"golden-paths","default_branch":"main"},"installation":{"id":1}}`))
	f.Add([]byte(`{"ref":"refs/tags/go/v1.0.0","deleted":true,"pull_request":{"head":{"ref":"x"}}}`))
	f.Add([]byte(`{"issue":{"labels":[{"name":"a"},{"name":"b\u00e9"}],"body":null},"action":"edited"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := readScope("issues", data)
		if err == nil && !json.Valid(data) {
			t.Fatalf("readScope accepted %q, which is not JSON", data)
		}
		want, werr := reference(data)
		if werr != nil || !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
			return
		}
		if (err != nil || got != want) && !foldedKey(data) {
			t.Errorf("readScope(%q) = %+v, %v; encoding/json says %+v", data, got, err, want)
		}
	})
}

// foldedKey reports a key that encoding/json would match to a wanted field
// only by its case-insensitive matching, which readScope does not do
// (GitHub's keys are lower case).
func foldedKey(data []byte) bool {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return true
	}
	wanted := []string{"action", "ref", "deleted", "installation", "id", "repository", "name", "default_branch", "pull_request", "head"}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				for _, w := range wanted {
					if k != w && strings.EqualFold(k, w) {
						return true
					}
				}
				if walk(e) {
					return true
				}
			}
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}
