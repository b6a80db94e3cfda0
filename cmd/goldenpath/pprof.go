//go:build pprof

package main

// Profiling endpoints for bench builds only (`go build -tags pprof`): the
// default binary has none. GOLDENPATH_PPROF_ADDR (a loopback address) serves
// net/http/pprof on its own listener, apart from the App's router.

import (
	"net/http"
	_ "net/http/pprof" // registers on http.DefaultServeMux
	"os"
	"time"
)

func init() {
	addr := os.Getenv("GOLDENPATH_PPROF_ADDR")
	if addr == "" {
		return
	}
	srv := &http.Server{Addr: addr, Handler: http.DefaultServeMux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.ListenAndServe() }()
}
