package apispec

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRouterEveryTemplate routes a concrete URL of every path template in
// GitHub's description and expects that template back, with slashes inside
// greedy parameters.
func TestRouterEveryTemplate(t *testing.T) {
	s := Load(t)
	n := 0
	for _, tmpl := range s.api.doc.Paths.InMatchingOrder() {
		if strings.Contains(tmpl, "}...{") {
			continue // the older spelling of compare/{basehead}
		}
		want := map[string]string{}
		var b strings.Builder
		segs := strings.Split(strings.TrimPrefix(tmpl, "/"), "/")
		for i, seg := range segs {
			b.WriteString("/")
			name, ok := paramName(seg)
			if !ok {
				b.WriteString(seg)
				continue
			}
			v := fmt.Sprintf("v%d", i)
			if i == len(segs)-1 && greedyParams[name] {
				v = "dir/sub-" + v
			}
			want[name] = v
			b.WriteString(v)
		}
		for method := range s.api.doc.Paths.Value(tmpl).Operations() {
			lf, got := s.api.router.find(method, b.String())
			if lf == nil {
				t.Errorf("%s %s: %s not found", method, tmpl, b.String())
				continue
			}
			if lf.path != tmpl {
				t.Errorf("%s %s: %s routed to %s", method, tmpl, b.String(), lf.path)
				continue
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s %s: params %v, want %v", method, tmpl, got, want)
			}
			n++
		}
	}
	if n < 1000 {
		t.Errorf("routed %d operations, want GitHub's 1000+", n)
	}
}

func TestRouterCases(t *testing.T) {
	s := Load(t)
	tests := []struct {
		method, path string
		op           string // "" when not in the API
		params       map[string]string
	}{
		{"GET", "/repos/o/r", "repos/get", map[string]string{"owner": "o", "repo": "r"}},
		{"GET", "/repos/o/r/contents/", "repos/get-content", map[string]string{"owner": "o", "repo": "r", "path": ""}},
		{"GET", "/repos/o/r/contents", "repos/get-content", map[string]string{"owner": "o", "repo": "r", "path": ""}},
		{"GET", "/repos/o/r/zipball", "repos/download-zipball-archive", map[string]string{"owner": "o", "repo": "r", "ref": ""}},
		{"GET", "/repos/o/r/tarball/", "repos/download-tarball-archive", map[string]string{"owner": "o", "repo": "r", "ref": ""}},
		{"GET", "/repos/o/r/git/matching-refs", "", nil}, // ref is not omittable there
		{"GET", "/repos/o/r/contents/a%20b/c.txt", "repos/get-content", map[string]string{"owner": "o", "repo": "r", "path": "a b/c.txt"}},
		{"GET", "/repos/o/r/git/ref/heads/feature/x", "git/get-ref", map[string]string{"owner": "o", "repo": "r", "ref": "heads/feature/x"}},
		{"GET", "/repos/o/r/compare/main...feature/x", "repos/compare-commits-with-basehead", map[string]string{"owner": "o", "repo": "r", "basehead": "main...feature/x"}},
		{"GET", "/repos/o/r/branches/feature%2Fx", "repos/get-branch", map[string]string{"owner": "o", "repo": "r", "branch": "feature/x"}},
		{"GET", "/repos/o/r/commits/abc/status", "repos/get-combined-status-for-ref", map[string]string{"owner": "o", "repo": "r", "ref": "abc"}},
		{"POST", "/app/installations/7/access_tokens", "apps/create-installation-access-token", map[string]string{"installation_id": "7"}},
		{"GET", "/orgs/o/teams/t/memberships/u", "teams/get-membership-for-user-in-org", map[string]string{"org": "o", "team_slug": "t", "username": "u"}},
		{"GET", "/repos/o/r/pulls/1/merge", "pulls/check-if-merged", map[string]string{"owner": "o", "repo": "r", "pull_number": "1"}},
		{"HEAD", "/repos/o/r", "repos/get", map[string]string{"owner": "o", "repo": "r"}},
		{"DELETE", "/repos/o", "", nil},
		{"GET", "/nope", "", nil},
		{"PUT", "/repos/o/r", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			route, params := s.api.router.route(s.api.doc, req)
			if tt.op == "" {
				if route != nil {
					t.Fatalf("routed to %s, want not found", route.Operation.OperationID)
				}
				return
			}
			if route == nil {
				t.Fatalf("not found, want %s", tt.op)
			}
			if route.Operation.OperationID != tt.op || fmt.Sprint(params) != fmt.Sprint(tt.params) {
				t.Fatalf("routed to %s %v, want %s %v", route.Operation.OperationID, params, tt.op, tt.params)
			}
		})
	}
}

// BenchmarkCheck measures one checked exchange: routing, request and
// response validation of a full repository object.
func BenchmarkCheck(b *testing.B) {
	s := Load(b)
	ex := s.api.doc.Components.Examples["full-repository-default-response"].Value.Value.(map[string]any)
	body := fmt.Appendf(nil, "%s", mustJSON(b, ex))
	req := httptest.NewRequest(http.MethodGet, "/repos/o/r", nil)
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	b.ResetTimer()
	for b.Loop() {
		s.check(context.Background(), req, nil, 200, h, body)
	}
}
