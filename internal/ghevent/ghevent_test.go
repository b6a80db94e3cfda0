package ghevent

import "testing"

func TestEnvelope(t *testing.T) {
	tests := []struct {
		name, payload string
		owner         string
		bot           bool
		wantErr       bool
	}{
		{"issues: owner login", `{"action":"opened","installation":{"id":7,"account":{"login":"acme"}},"repository":{"name":"golden-paths","owner":{"login":"acme"}},"sender":{"login":"alice","type":"User"}}`, "acme", false, false},
		{"push: owner name", `{"repository":{"name":"svc","default_branch":"main","owner":{"name":"acme"}},"sender":{"login":"goldenpath[bot]"}}`, "acme", true, false},
		{"app sender by type", `{"repository":{"owner":{"login":"acme"}},"sender":{"login":"renovate","type":"Bot"}}`, "acme", true, false},
		{"not JSON", `{`, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev Envelope
			err := Decode("push", []byte(tt.payload), &ev)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Decode error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got := ev.Repository.OwnerLogin(); got != tt.owner {
				t.Errorf("OwnerLogin = %q, want %q", got, tt.owner)
			}
			if got := ev.Sender.IsBot(); got != tt.bot {
				t.Errorf("IsBot = %v, want %v", got, tt.bot)
			}
		})
	}
}
