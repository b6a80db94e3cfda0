package apispec

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLoad(t *testing.T) {
	s := Load(t)
	if n := s.Operations(); n < 1000 {
		t.Errorf("%d operations in the description, want GitHub's 1000+", n)
	}
	t.Logf("GitHub's REST description: %d operations, parsed in %v", s.Operations(), s.LoadTime())
	if s2 := Load(t); s2.api != s.api || s2 == s {
		t.Error("Load must share the parsed description and give each caller its own record")
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("LoadFile of a missing file: %v, want an error naming it", err)
	}
}

// TestConcurrentCounts checks that counts are exact under concurrent
// requests, since simulator tests assert request counts through them.
func TestConcurrentCounts(t *testing.T) {
	s := Load(t)
	srv := httptest.NewServer(s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
	defer srv.Close()
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			path := "/orgs/o/members/u" // orgs/check-membership-for-user: 204
			if i%2 == 1 {
				path = "/api/v3" + path
			}
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	rep := s.Report()
	if got := rep.Count("orgs/check-membership-for-user"); got != n {
		t.Errorf("counted %d, want %d", got, n)
	}
	if len(rep.Covered()) != 1 || len(rep.Violations()) != 0 {
		t.Errorf("covered %v, violations %v; want one operation and none", rep.Covered(), rep.Violations())
	}
}
