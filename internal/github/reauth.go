package github

import (
	"net/http"
	"sync"

	"github.com/bradleyfalzon/ghinstallation/v2"
)

// reauth is an installation's token source: ghinstallation keeps a token
// until a minute before the expiry GitHub announced, so a token GitHub ends
// sooner (revoked, the installation's permissions changed, clocks that
// disagree) would fail every request with 401 "Bad credentials" for up to an
// hour. A request answered 401 is sent again with a freshly minted token
// (at most reauthTries times); GitHub did nothing with a request it answered
// 401, so resending is safe for every method.
type reauth struct {
	newTransport func() *ghinstallation.Transport

	mu  sync.Mutex
	cur *ghinstallation.Transport
}

func newReauth(newTransport func() *ghinstallation.Transport) *reauth {
	return &reauth{newTransport: newTransport, cur: newTransport()}
}

func (r *reauth) transport() *ghinstallation.Transport {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// renew replaces old with a new transport (a new token on its first use),
// unless another request already did.
func (r *reauth) renew(old *ghinstallation.Transport) *ghinstallation.Transport {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur == old {
		r.cur = r.newTransport()
	}
	return r.cur
}

// reauthTries bounds the resends of one request: a second one covers a
// token ended again while the first resend waited (its own 5xx retries can
// take seconds).
const reauthTries = 2

// RoundTrip implements http.RoundTripper.
func (r *reauth) RoundTrip(req *http.Request) (*http.Response, error) {
	cur := r.transport()
	resp, err := cur.RoundTrip(req)
	for try := 0; try < reauthTries; try++ {
		if err != nil || resp.StatusCode != http.StatusUnauthorized || (req.Body != nil && req.GetBody == nil) {
			return resp, err
		}
		again := req.Clone(req.Context())
		if req.GetBody != nil {
			body, gerr := req.GetBody()
			if gerr != nil {
				return resp, nil
			}
			again.Body = body
		}
		drain(resp)
		cur = r.renew(cur)
		resp, err = cur.RoundTrip(again)
	}
	return resp, err
}
