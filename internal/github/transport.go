package github

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Policy bounds what the middleware does on behalf of a request: how long one
// attempt may take, how often and how long it retries and waits, and how writes
// are paced. The zero value of each field means its default.
type Policy struct {
	// Timeout caps one attempt, from sending to the end of reading the body. Default 60s.
	Timeout time.Duration
	// MaxRetries bounds retries of 5xx answers and connection errors. Default 3.
	MaxRetries int
	// BaseBackoff and MaxBackoff shape the exponential backoff with full jitter. Defaults 500ms, 8s.
	BaseBackoff, MaxBackoff time.Duration
	// MaxRateLimitRetries bounds retries after rate-limit answers. Default 3.
	MaxRateLimitRetries int
	// MaxRateLimitWait is the longest single wait for a retry-after or a primary
	// limit reset; a longer one fails at once with ErrRateLimited. Default 2m.
	MaxRateLimitWait time.Duration
	// EventualWindow: a GET answered 404 (or a retry-safe write answered 409
	// "Git Repository is empty.") for a repository this installation created
	// within the window is taken for GitHub's replication lag and retried,
	// EventualRetries times, EventualBackoff apart (doubling). Other 404s are
	// answers: nothing is retried for a repository not just created.
	// Defaults 10s, 3, 250ms.
	EventualWindow  time.Duration
	EventualRetries int
	EventualBackoff time.Duration
	// Pacing applies to content-creating requests (POST, PATCH, PUT, DELETE) of one installation.
	Pacing Pacing
}

// Pacing keeps an installation's writes under GitHub's secondary rate limits:
// writes go one at a time, no more than each window limit allows, and starts
// MinGap apart once a burst is spent. Burst writes may go back to back; the
// allowance comes back one write per MinGap of quiet. A new repository's
// dozen writes thus go out at once, while a rollout runs at the windows'
// pace. Zero MinGap means 1s, zero Burst 20 (with 1s, at most 20 + 60 writes
// start in any minute, GitHub's 80), nil Windows GitHub's published limits
// (80 a minute, 500 an hour): the windows hold whatever the burst. Tests and
// scaled simulations shrink them; Burst 1 spaces every write.
type Pacing struct {
	MinGap  time.Duration
	Burst   int
	Windows []WindowLimit
	// Disabled turns pacing off (for the App's own JWT requests, which create nothing).
	Disabled bool
}

// WindowLimit allows at most N writes in any period of length Per.
type WindowLimit struct {
	N   int
	Per time.Duration
}

func (p Policy) withDefaults() Policy {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(i *int, v int) {
		if *i <= 0 {
			*i = v
		}
	}
	def(&p.Timeout, 60*time.Second)
	defInt(&p.MaxRetries, 3)
	def(&p.BaseBackoff, 500*time.Millisecond)
	def(&p.MaxBackoff, 8*time.Second)
	defInt(&p.MaxRateLimitRetries, 3)
	def(&p.MaxRateLimitWait, 2*time.Minute)
	def(&p.EventualWindow, 10*time.Second)
	defInt(&p.EventualRetries, 3)
	def(&p.EventualBackoff, 250*time.Millisecond)
	def(&p.Pacing.MinGap, time.Second)
	defInt(&p.Pacing.Burst, 20)
	if p.Pacing.Windows == nil {
		p.Pacing.Windows = []WindowLimit{{N: 80, Per: time.Minute}, {N: 500, Per: time.Hour}}
	}
	return p
}

// ctxKey marks requests that a caller knows are safe to send twice.
type ctxKey int

const retrySafeKey ctxKey = iota

// retrySafe marks the requests made with ctx as safe to repeat even though
// their method is POST or PATCH: content-addressed Git objects (blobs, trees,
// commits), setting a ref to a given SHA, editing a comment to a given body.
func retrySafe(ctx context.Context) context.Context {
	return context.WithValue(ctx, retrySafeKey, true)
}

// limiter is the state one installation's requests share, whichever goroutine
// or *Client sends them: the write pacer, the primary rate-limit state and the
// repositories recently created (for eventual-consistency retries).
type limiter struct {
	sem chan struct{} // one write in flight

	mu sync.Mutex
	// due is when the next write may start if no burst were left (GCRA's
	// theoretical arrival time): each write moves it MinGap past the later
	// of itself and the write's end; a write may start Burst-1 gaps early.
	due            time.Time
	recent         []time.Time // write start times within the longest window
	pausedUntil    time.Time   // a secondary limit stops writes until then
	exhaustedUntil time.Time   // the primary limit is spent until then
	fresh          map[string]time.Time
}

func newLimiter() *limiter {
	return &limiter{sem: make(chan struct{}, 1), fresh: map[string]time.Time{}}
}

// touch records that this installation just created a repository ("/repos/o/r").
func (l *limiter) touch(repoPath string) {
	if repoPath == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if len(l.fresh) > 512 {
		for k, t := range l.fresh {
			if now.Sub(t) > time.Minute {
				delete(l.fresh, k)
			}
		}
	}
	l.fresh[repoPath] = now
}

func (l *limiter) isFresh(repoPath string, window time.Duration) bool {
	if repoPath == "" {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.fresh[repoPath]
	return ok && time.Since(t) <= window
}

func (l *limiter) pauseWrites(until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
}

// acquireWrite waits for this installation's turn to send a write and returns
// the time it waited and a release func to call once the answer arrived.
// Gaps and windows count from the end of each write: GitHub counts a write
// when it arrives, which is before its answer leaves, so spacing answers
// spaces arrivals at least as much.
func (l *limiter) acquireWrite(ctx context.Context, p Pacing) (time.Duration, func(), error) {
	start := time.Now()
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return time.Since(start), nil, ctx.Err()
	}
	longest := time.Duration(0)
	for _, w := range p.Windows {
		longest = max(longest, w.Per)
	}
	release := func() {
		l.mu.Lock()
		now := time.Now()
		if l.due.Before(now) {
			l.due = now
		}
		l.due = l.due.Add(p.MinGap)
		cut := 0
		for cut < len(l.recent) && now.Sub(l.recent[cut]) >= longest {
			cut++
		}
		l.recent = append(l.recent[cut:], now)
		l.mu.Unlock()
		<-l.sem
	}
	for {
		l.mu.Lock()
		now := time.Now()
		next := l.due.Add(-time.Duration(max(p.Burst, 1)-1) * p.MinGap)
		if l.pausedUntil.After(next) {
			next = l.pausedUntil
		}
		for _, w := range p.Windows {
			if w.N <= 0 || len(l.recent) < w.N {
				continue
			}
			// The write N places back must have left the window.
			if t := l.recent[len(l.recent)-w.N].Add(w.Per); t.After(next) {
				next = t
			}
		}
		l.mu.Unlock()
		if !next.After(now) {
			return time.Since(start), release, nil
		}
		if err := sleep(ctx, next.Sub(now)); err != nil {
			<-l.sem
			return time.Since(start), nil, err
		}
	}
}

// recordPrimary remembers a spent primary limit from a response's headers.
func (l *limiter) recordPrimary(h http.Header) {
	if h.Get("X-RateLimit-Remaining") != "0" {
		return
	}
	if r := h.Get("X-RateLimit-Resource"); r != "" && r != "core" {
		return
	}
	reset, ok := resetTime(h)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if reset.After(l.exhaustedUntil) {
		l.exhaustedUntil = reset
	}
}

func (l *limiter) primaryWait() (time.Time, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.exhaustedUntil, time.Until(l.exhaustedUntil)
}

func resetTime(h http.Header) (time.Time, bool) {
	secs, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	// One second more: GitHub's reset is whole seconds and clocks drift.
	return time.Unix(secs, 0).Add(time.Second), true
}

// transport is the middleware under ghinstallation (and under the App's JWT
// transport): timeouts, retries, rate limits, pacing, metrics and logs for one
// installation's requests.
type transport struct {
	next     http.RoundTripper
	policy   Policy
	limiter  *limiter
	metrics  *Metrics
	logger   *slog.Logger
	basePath string // "/api/v3" on GHES: stripped before routing
	inst     int64
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	path := strings.TrimPrefix(req.URL.Path, t.basePath)
	rt := route(path)
	write := isWrite(req.Method) && !isTokenRequest(path)
	safe := isIdempotent(req.Method) || ctx.Value(retrySafeKey) != nil || isTokenRequest(path)
	repo := repoPath(path)

	var serverRetries, rateRetries, eventualRetries int
	for attempt := 1; ; attempt++ {
		if err := t.awaitPrimary(ctx, req); err != nil {
			return nil, err
		}
		resp, cancel, err := t.attempt(ctx, req, attempt, write, rt, path)
		if err != nil && cancel == nil { // failed before the network (body rewind, pacing): no retry
			return nil, err
		}
		if err != nil {
			cancel()
			if ctx.Err() != nil {
				return nil, err
			}
			if serverRetries < t.policy.MaxRetries && (safe || notSent(err)) && canResend(req) {
				serverRetries++
				if werr := t.backoff(ctx, serverRetries, "connection"); werr != nil {
					return nil, err
				}
				continue
			}
			return nil, err
		}
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
		t.limiter.recordPrimary(resp.Header)

		var wait time.Duration
		var reason string
		switch {
		case resp.StatusCode < 300:
			if resp.Header.Get("X-RateLimit-Remaining") == "0" {
				// The limiter now waits for the reset before the next request (within its
				// bound). go-github would instead refuse the next call itself, at once;
				// hiding the reset from it leaves that decision here.
				resp.Header.Del("X-RateLimit-Reset")
			}
			return resp, nil
		case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests:
			w, r, ok := t.rateLimitWait(resp, rateRetries)
			// A request refused for a rate limit was not processed: any method may be re-sent.
			if !ok || rateRetries >= t.policy.MaxRateLimitRetries || w > t.policy.MaxRateLimitWait || !canResend(req) {
				return resp, nil
			}
			if r == "secondary_rate_limit" {
				t.limiter.pauseWrites(time.Now().Add(w))
			}
			rateRetries++
			wait, reason = w, r
		case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
			if !safe || serverRetries >= t.policy.MaxRetries || !canResend(req) {
				return resp, nil
			}
			serverRetries++
			wait, reason = t.backoffDelay(serverRetries), "server_error"
		case (resp.StatusCode == http.StatusNotFound && req.Method == http.MethodGet ||
			resp.StatusCode == http.StatusConflict && safe && canResend(req)) &&
			eventualRetries < t.policy.EventualRetries && t.limiter.isFresh(repo, t.policy.EventualWindow):
			eventualRetries++
			wait = t.policy.EventualBackoff << (eventualRetries - 1)
			reason = "eventual_consistency"
		default:
			return resp, nil
		}
		drain(resp)
		if t.metrics != nil {
			t.metrics.retries.WithLabelValues(reason).Inc()
		}
		level := slog.LevelDebug
		if strings.HasSuffix(reason, "rate_limit") {
			level = slog.LevelWarn // an operator should see the App being throttled
		}
		t.logger.Log(ctx, level, "retrying github request", "method", req.Method, "route", rt,
			"status", resp.StatusCode, "reason", reason, "wait", wait, "attempt", attempt, "installation", t.inst)
		if err := t.wait(ctx, wait, reason); err != nil {
			return nil, err
		}
	}
}

// awaitPrimary waits out a spent primary rate limit, or fails at once if its
// reset is beyond the policy's bound; it closes req's body when it fails.
func (t *transport) awaitPrimary(ctx context.Context, req *http.Request) error {
	if until, wait := t.limiter.primaryWait(); wait > 0 {
		if wait > t.policy.MaxRateLimitWait {
			closeBody(req)
			return fmt.Errorf("%w: primary rate limit of installation %d spent until %s, longer than the %s this client waits",
				ErrRateLimited, t.inst, until.UTC().Format(time.RFC3339), t.policy.MaxRateLimitWait)
		}
		if err := t.wait(ctx, wait, "primary_rate_limit"); err != nil {
			closeBody(req)
			return err
		}
	}
	return nil
}

// attempt sends one paced, timed-out attempt and records it. cancel ends the
// attempt's timeout (the caller owns it); nil if the network was not reached.
func (t *transport) attempt(ctx context.Context, req *http.Request, attempt int, write bool, rt, path string) (*http.Response, context.CancelFunc, error) {
	attemptReq, err := t.attemptRequest(req, attempt)
	if err != nil {
		return nil, nil, err
	}
	var release func()
	if write && !t.policy.Pacing.Disabled {
		waited, rel, err := t.limiter.acquireWrite(ctx, t.policy.Pacing)
		t.waited(waited, "pacing")
		if err != nil {
			closeBody(attemptReq)
			return nil, nil, err
		}
		release = rel
	}
	actx, cancel := context.WithTimeout(ctx, t.policy.Timeout)
	attemptReq = attemptReq.WithContext(actx)
	start := time.Now()
	resp, err := t.next.RoundTrip(attemptReq)
	elapsed := time.Since(start)
	if release != nil {
		release()
	}
	t.observe(req.Method, rt, path, resp, err, elapsed, attempt)
	return resp, cancel, err
}

// attemptRequest gives each attempt its own copy with a fresh body.
func (t *transport) attemptRequest(req *http.Request, attempt int) (*http.Request, error) {
	r := req.Clone(req.Context())
	if attempt == 1 || req.Body == nil || req.Body == http.NoBody {
		return r, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("rewinding the request body to retry: %w", err)
	}
	r.Body = body
	return r, nil
}

// rateLimitWait tells whether a 403/429 is a rate limit and how long to wait.
func (t *transport) rateLimitWait(resp *http.Response, retries int) (time.Duration, string, bool) {
	h := resp.Header
	if ra := h.Get("Retry-After"); ra != "" {
		if secs, err := strconv.Atoi(strings.TrimSpace(ra)); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second, "secondary_rate_limit", true
		}
	}
	if h.Get("X-RateLimit-Remaining") == "0" {
		if reset, ok := resetTime(h); ok {
			return max(time.Until(reset), 0), "primary_rate_limit", true
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests || bodyMentions(resp, "secondary rate limit", "abuse") {
		// GitHub: with neither header, wait at least a minute, growing each time.
		return time.Minute << retries, "secondary_rate_limit", true
	}
	return 0, "", false
}

// bodyMentions peeks at a (small) error body and puts it back for go-github.
func bodyMentions(resp *http.Response, words ...string) bool {
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	rest := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), rest), rest}
	if err != nil {
		return false
	}
	lower := strings.ToLower(string(b))
	for _, w := range words {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

func (t *transport) backoffDelay(n int) time.Duration {
	d := t.policy.BaseBackoff << (n - 1)
	if d <= 0 || d > t.policy.MaxBackoff {
		d = t.policy.MaxBackoff
	}
	// Full jitter, but never less than half the step, so retries still spread out.
	return d/2 + rand.N(d/2+1)
}

func (t *transport) backoff(ctx context.Context, n int, reason string) error {
	if t.metrics != nil {
		t.metrics.retries.WithLabelValues(reason).Inc()
	}
	return t.wait(ctx, t.backoffDelay(n), reason)
}

func (t *transport) wait(ctx context.Context, d time.Duration, reason string) error {
	start := time.Now()
	err := sleep(ctx, d)
	t.waited(time.Since(start), reason)
	return err
}

func (t *transport) waited(d time.Duration, reason string) {
	if t.metrics != nil && d > time.Millisecond {
		t.metrics.waits.WithLabelValues(reason).Add(d.Seconds())
	}
}

func (t *transport) observe(method, rt, path string, resp *http.Response, err error, d time.Duration, attempt int) {
	status := "error"
	if resp != nil {
		status = strconv.Itoa(resp.StatusCode)
	}
	if t.metrics != nil {
		t.metrics.requests.WithLabelValues(method, rt, status).Inc()
		t.metrics.duration.WithLabelValues(method, rt).Observe(d.Seconds())
		if resp != nil {
			t.metrics.observeRateLimit(t.inst, resp.Header)
		}
	}
	// The path only: query strings can carry tokens (archive links do); headers are never logged.
	attrs := []any{"method", method, "route", rt, "path", path, "status", status,
		"duration", d, "attempt", attempt, "installation", t.inst}
	if err != nil {
		attrs = append(attrs, "error", redact(err))
	}
	t.logger.Debug("github request", attrs...)
}

// redact drops the query string from URL errors before they reach a log.
func redact(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			return (&url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}).Error()
		}
	}
	return err.Error()
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// isIdempotent: sending these twice leaves GitHub as sending them once.
func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// isTokenRequest: minting an installation token creates no content, is not
// paced, and may be repeated.
func isTokenRequest(path string) bool {
	return strings.HasPrefix(path, "/app/installations/") && strings.HasSuffix(path, "/access_tokens")
}

// repoPath returns "/repos/o/r" for paths under a repository.
func repoPath(path string) string {
	segs := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 4)
	if len(segs) < 3 || segs[0] != "repos" {
		return ""
	}
	return "/repos/" + strings.ToLower(segs[1]) + "/" + strings.ToLower(segs[2])
}

// notSent: the connection failed before the request could reach GitHub, so
// even a non-idempotent write is safe to send again.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func canResend(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 256<<10))
	resp.Body.Close()
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// cancelOnClose ends an attempt's timeout context once its body is consumed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
