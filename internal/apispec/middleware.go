package apispec

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// Middleware checks every exchange served by next: the request before next
// sees it (next still receives the full body) and the response after next
// wrote it. Violations are recorded, never answered: the client sees what
// next answered.
func (s *Spec) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Body != nil {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				s.record("", []Violation{{Kind: KindRequest, Method: r.Method, Path: r.URL.EscapedPath(), Message: fmt.Sprintf("reading the request body: %v", err)}})
			}
			body = b
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		// Clone before next runs: handlers may change the request's URL.
		orig := r.Clone(r.Context())
		rec := &recorder{ResponseWriter: w, header: http.Header{}}
		next.ServeHTTP(rec, r)
		if rec.status == 0 && r.Context().Err() != nil {
			// The client went away before any answer (a stalled request it
			// timed out): nothing reached it, so there is nothing to check.
			return
		}
		if rec.status == 0 { // next wrote nothing: net/http answers 200
			rec.status, rec.header = http.StatusOK, w.Header().Clone()
		}
		s.check(r.Context(), orig, body, rec.status, rec.header, rec.body.Bytes())
	})
}

// recorder passes a response through and keeps a copy of its status,
// headers (as at WriteHeader) and body.
type recorder struct {
	http.ResponseWriter
	status int
	header http.Header
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
		r.header = r.ResponseWriter.Header().Clone()
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}

// Flush lets streaming handlers flush through the recorder.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Transport checks every exchange a client makes through base (nil means
// http.DefaultTransport). The response body is read fully and handed back
// unchanged.
func (s *Spec) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return roundTripper{spec: s, base: base}
}

type roundTripper struct {
	spec *Spec
	base http.RoundTripper
}

func (t roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("reading the request body to check it: %w", err)
		}
		body = b
		// A RoundTripper must not modify the request: send a copy.
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		t.spec.check(req.Context(), req, body, 0, nil, nil)
		return resp, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the response of %s %s to check it: %w", req.Method, req.URL.Redacted(), err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	t.spec.check(req.Context(), req, body, resp.StatusCode, resp.Header, respBody)
	return resp, nil
}
