package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/goldenpath-dev/goldenpath/internal/server"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

func newServer(t *testing.T, db server.Pinger, webhook http.Handler, q server.Stopper) *server.Server {
	t.Helper()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "goldenpath_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(3)
	s, err := server.New(server.Options{Webhook: webhook, DB: db, Metrics: reg, Queue: q})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoutes(t *testing.T) {
	up := storetest.Open(t, store.SQLite)
	down := storetest.Open(t, store.SQLite)
	down.Close() // a database that no longer answers
	hook := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	tests := []struct {
		name     string
		db       server.Pinger
		method   string
		path     string
		want     int
		wantBody string
	}{
		{"healthz", up, "GET", "/healthz", 200, "ok"},
		{"healthz with the database down", down, "GET", "/healthz", 200, "ok"},
		{"readyz", up, "GET", "/readyz", 200, "ok"},
		{"readyz with the database down", down, "GET", "/readyz", 503, "database unreachable"},
		{"metrics", up, "GET", "/metrics", 200, "goldenpath_test_total 3"},
		{"webhook", up, "POST", "/api/github/webhooks", 202, ""},
		{"webhook by GET", up, "GET", "/api/github/webhooks", 405, ""},
		{"unknown path", up, "GET", "/nope", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, tc.db, hook, nil)
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, strings.NewReader("{}")))
			if w.Code != tc.want {
				t.Fatalf("%s %s = %d, want %d", tc.method, tc.path, w.Code, tc.want)
			}
			if !strings.Contains(w.Body.String(), tc.wantBody) {
				t.Fatalf("body %q does not contain %q", w.Body.String(), tc.wantBody)
			}
		})
	}
}

type orderedStop struct {
	mu    sync.Mutex
	order *[]string
}

func (o *orderedStop) Stop(ctx context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	*o.order = append(*o.order, "queue stopped")
	return nil
}

// TestGracefulShutdown cancels the context while a delivery is in flight:
// the request still completes, and the queue stops only after HTTP drained.
func TestGracefulShutdown(t *testing.T) {
	var mu sync.Mutex
	var order []string
	inFlight := make(chan struct{})
	hook := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(inFlight)
		time.Sleep(300 * time.Millisecond)
		mu.Lock()
		order = append(order, "request done")
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
	q := &orderedStop{order: &order}
	s := newServer(t, storetest.Open(t, store.SQLite), hook, q)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	status := make(chan int, 1)
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/api/github/webhooks", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Error(err)
			status <- 0
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	<-inFlight
	cancel()
	if got := <-status; got != http.StatusAccepted {
		t.Fatalf("in-flight request got %d, want 202", got)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the context ended")
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(order, ",") != "request done,queue stopped" {
		t.Fatalf("shutdown order = %v, want the request to finish before the queue stops", order)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
}

func TestNewNeedsParts(t *testing.T) {
	if _, err := server.New(server.Options{}); err == nil {
		t.Fatal("New accepted no webhook, database or metrics")
	}
}
