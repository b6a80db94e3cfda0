//go:build pprof

package main

// Profiling endpoints for bench builds only (`go build -tags pprof`): the
// default binary has none. GOLDENPATH_PPROF_ADDR (a loopback address) serves
// net/http/pprof on its own listener, apart from the App's router.

import (
	"net/http"
	_ "net/http/pprof" // registers on http.DefaultServeMux
	"os"
	"runtime"
	"time"
)

func init() {
	addr := os.Getenv("GOLDENPATH_PPROF_ADDR")
	if addr == "" {
		return
	}
	// Waits of 100 µs or more, and a tenth of mutex contention: where a
	// delivery waits (for the connection, for the group commit) rather
	// than computes.
	runtime.SetBlockProfileRate(100_000)
	runtime.SetMutexProfileFraction(10)
	srv := &http.Server{Addr: addr, Handler: http.DefaultServeMux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.ListenAndServe() }()
}
