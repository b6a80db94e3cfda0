// Package webhook is the HTTP endpoint GitHub posts deliveries to. It checks
// the size and the signature, decodes just enough to log and route the event,
// and hands the delivery to the durable queue; it never calls GitHub, so it
// answers within milliseconds whatever GitHub's own latency is.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/goldenpath-dev/goldenpath/internal/queue"
)

// MaxBodyBytes is GitHub's cap on a delivery's payload (25 MB); anything
// larger is not from GitHub.
const MaxBodyBytes = 25 << 20

// Enqueuer stores a delivery durably; *queue.Queue implements it.
type Enqueuer interface {
	Enqueue(ctx context.Context, args queue.WebhookArgs) (duplicate bool, err error)
}

// Handler is the webhook endpoint.
type Handler struct {
	secret         []byte
	enqueuer       Enqueuer
	log            *slog.Logger
	events         map[string]bool
	relevant       Relevant
	enqueueTimeout time.Duration
	deliveries     *prometheus.CounterVec
}

// RegisterMetrics counts deliveries on reg as
// goldenpath_webhook_deliveries_total{event, outcome}. Call before serving.
func (h *Handler) RegisterMetrics(reg prometheus.Registerer) error {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "goldenpath_webhook_deliveries_total",
		Help: "Webhook deliveries received, by event (\"unverified\" before the signature is checked) and outcome (queued, duplicate, ignored, rejected, too_large, bad_request, error).",
	}, []string{"event", "outcome"})
	if err := reg.Register(c); err != nil {
		return fmt.Errorf("registering the webhook metrics: %w", err)
	}
	h.deliveries = c
	return nil
}

// Scope is where a delivery happened, as far as its payload says: enough to
// tell whether any workflow could act on it (see readScope).
type Scope struct {
	Action         string
	InstallationID int64
	Repo           string // repository.name
	DefaultBranch  string // repository.default_branch
	Ref            string // push: the ref pushed
	Deleted        bool   // push: the ref was deleted
	HeadRef        string // pull_request: the head branch
}

// Relevant tells whether a delivery of event may concern a workflow. One that
// cannot is answered 202 without a job: a busy organisation sends far more
// deliveries than the bot acts on, and each job costs a database write and
// a worker's turn. It must err on the side of true.
type Relevant func(event string, s Scope) bool

// Option configures a Handler.
type Option func(*Handler)

// WithRelevant sets the test deliveries of queued events pass before they
// become jobs (default: all do).
func WithRelevant(f Relevant) Option { return func(h *Handler) { h.relevant = f } }

// New returns the endpoint. An empty secret is refused: verification must
// never be silently off. events are the events that become jobs — the caller
// passes the events it has workers for, so the two lists cannot drift apart;
// others are acknowledged and dropped, so subscribing the App to more events
// never breaks it.
func New(secret string, events []string, enqueuer Enqueuer, log *slog.Logger, opts ...Option) (*Handler, error) {
	if secret == "" {
		return nil, errors.New("the webhook secret is empty; refusing to accept unsigned deliveries")
	}
	if enqueuer == nil {
		return nil, errors.New("the webhook handler needs an enqueuer")
	}
	if len(events) == 0 {
		return nil, errors.New("the webhook handler needs the events to queue")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	queued := map[string]bool{}
	for _, e := range events {
		queued[e] = true
	}
	h := &Handler{secret: []byte(secret), enqueuer: enqueuer, log: log, events: queued, enqueueTimeout: 5 * time.Second}
	for _, o := range opts {
		o(h)
	}
	return h, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	event, outcome := h.serve(w, r)
	if h.deliveries != nil {
		h.deliveries.WithLabelValues(event, outcome).Inc()
	}
}

// Delivery outcomes counted in goldenpath_webhook_deliveries_total.
const (
	OutcomeQueued     = "queued"
	OutcomeDuplicate  = "duplicate"
	OutcomeIgnored    = "ignored"   // an event no workflow handles, a delivery none acts on, a ping
	OutcomeRejected   = "rejected"  // bad or missing signature: event is "unverified"
	OutcomeTooLarge   = "too_large" // over MaxBodyBytes
	OutcomeBadRequest = "bad_request"
	OutcomeError      = "error" // the queue did not take it: 503, redeliver
)

// unverified labels deliveries whose event name cannot be trusted (it is
// not signed), so that anyone posting junk cannot grow the metric.
const unverified = "unverified"

// serve handles one delivery and says which event (once the signature is
// checked) and outcome it was.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (event, outcome string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, "webhooks are POSTed")
		return unverified, OutcomeBadRequest
	}
	event = r.Header.Get("X-GitHub-Event")
	delivery := r.Header.Get("X-GitHub-Delivery")
	log := h.log.With(slog.String("delivery", delivery), slog.String("event", event))

	// A delivery without a well-formed signature is refused before its body
	// (up to 25 MB) is read: unsigned posts from anyone cost nothing.
	sig, ok := parseSignature(r.Header.Get("X-Hub-Signature-256"))
	if !ok {
		log.Warn("delivery with a missing or malformed signature rejected", slog.String("remote", r.RemoteAddr))
		reply(w, http.StatusUnauthorized, "invalid X-Hub-Signature-256")
		return unverified, OutcomeRejected
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			log.Warn("delivery too large", slog.Int64("limit", tooBig.Limit))
			reply(w, http.StatusRequestEntityTooLarge, "payload larger than 25 MB")
			return unverified, OutcomeTooLarge
		}
		log.Warn("reading delivery body", slog.Any("error", err))
		reply(w, http.StatusBadRequest, "could not read the body")
		return unverified, OutcomeBadRequest
	}
	if !h.validSignature(sig, body) {
		log.Warn("delivery with a missing or wrong signature rejected", slog.String("remote", r.RemoteAddr))
		reply(w, http.StatusUnauthorized, "invalid X-Hub-Signature-256")
		return unverified, OutcomeRejected
	}
	if event == "" || delivery == "" {
		reply(w, http.StatusBadRequest, "X-GitHub-Event and X-GitHub-Delivery are required")
		return event, OutcomeBadRequest
	}
	if event == "ping" {
		log.Info("ping received")
		reply(w, http.StatusOK, "pong")
		return event, OutcomeIgnored
	}
	if !h.events[event] {
		log.Debug("event not handled; ignored")
		reply(w, http.StatusAccepted, "event ignored")
		return event, OutcomeIgnored
	}
	payload, err := jsonPayload(r.Header.Get("Content-Type"), body)
	if err != nil {
		log.Warn("undecodable delivery", slog.Any("error", err))
		reply(w, http.StatusBadRequest, "payload is not JSON")
		return event, OutcomeBadRequest
	}
	// The whole payload's syntax is checked here: a job's payload is decoded
	// by its workflow and must be JSON throughout.
	scope, err := readScope(event, payload)
	if err != nil {
		log.Warn("undecodable delivery", slog.Any("error", err))
		reply(w, http.StatusBadRequest, "payload is not a valid JSON object")
		return event, OutcomeBadRequest
	}
	if h.relevant != nil && !h.relevant(event, scope) {
		log.Debug("delivery concerns no workflow; answered without a job", slog.String("action", scope.Action), slog.String("repo", scope.Repo))
		reply(w, http.StatusAccepted, "nothing to do")
		return event, OutcomeIgnored
	}
	args := queue.WebhookArgs{DeliveryID: delivery, Event: event, Action: scope.Action, InstallationID: scope.InstallationID, Payload: payload}
	log = log.With(slog.String("action", args.Action), slog.Int64("installation", args.InstallationID))

	ctx, cancel := context.WithTimeout(r.Context(), h.enqueueTimeout)
	defer cancel()
	dup, err := h.enqueuer.Enqueue(ctx, args)
	if err != nil {
		// GitHub does not retry on its own, but a 5xx marks the delivery as
		// failed so it can be redelivered from the App settings or the API.
		log.Error("enqueueing delivery", slog.Any("error", err))
		reply(w, http.StatusServiceUnavailable, "could not queue the delivery; redeliver it later")
		return event, OutcomeError
	}
	if dup {
		log.Info("delivery already queued; duplicate ignored")
		reply(w, http.StatusAccepted, "duplicate delivery")
		return event, OutcomeDuplicate
	}
	log.Info("delivery queued")
	reply(w, http.StatusAccepted, "queued")
	return event, OutcomeQueued
}

// parseSignature decodes X-Hub-Signature-256: `sha256=` and the hex of a
// SHA-256 HMAC.
func parseSignature(header string) ([]byte, bool) {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok || len(hexSig) != 2*sha256.Size {
		return nil, false
	}
	sig, err := hex.DecodeString(hexSig)
	return sig, err == nil
}

// validSignature checks the HMAC of the body in constant time.
func (h *Handler) validSignature(sig, body []byte) bool {
	mac := hmac.New(sha256.New, h.secret)
	mac.Write(body)
	return hmac.Equal(sig, mac.Sum(nil))
}

// jsonPayload returns the JSON document of a delivery: the body itself, or
// the `payload` field when the webhook is configured for form encoding. The
// caller checks it is JSON.
func jsonPayload(contentType string, body []byte) (json.RawMessage, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		body = []byte(form.Get("payload"))
	}
	return json.RawMessage(body), nil
}

func reply(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
