package queue

import (
	"encoding/json"
	"testing"
)

// A delivery's payload survives the stored form byte for byte, and jobs
// queued by earlier versions (payload as a JSON object) still decode.
func TestWebhookArgsStoredForm(t *testing.T) {
	payload := `{"action":"opened", "issue":{"title":"caf\u00e9 \"x\""}}`
	tests := []struct {
		name, stored, want string
	}{
		{"this version", "", payload},
		{"earlier versions", `{"delivery_id":"d1","event":"issues","action":"opened","payload":` + payload + `}`, payload},
		{"no payload", `{"delivery_id":"d1","event":"issues"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := []byte(tt.stored)
			if tt.stored == "" {
				var err error
				stored, err = json.Marshal(WebhookArgs{DeliveryID: "d1", Event: "issues", Payload: json.RawMessage(payload)}.stored())
				if err != nil {
					t.Fatal(err)
				}
			}
			var got WebhookArgs
			if err := json.Unmarshal(stored, &got); err != nil {
				t.Fatalf("decoding %s: %v", stored, err)
			}
			got = got.loaded()
			if string(got.Payload) != tt.want || got.DeliveryID != "d1" || got.Event != "issues" {
				t.Errorf("decoded %+v (payload %s), want payload %s", got, got.Payload, tt.want)
			}
		})
	}
}
