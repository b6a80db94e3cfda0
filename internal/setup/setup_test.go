package setup

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/joho/godotenv"
)

const appYML = `name: goldenpath
url: https://github.com/goldenpath-dev/goldenpath
hook_attributes:
  url: https://placeholder.example.com/
  active: true
public: false
default_events: [issues, push]
default_permissions: {contents: write, metadata: read}
`

func TestManifest(t *testing.T) {
	got, err := Manifest([]byte(appYML), "https://gp.acme.dev/api/github/webhooks", "http://127.0.0.1:3000/callback")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"name": "goldenpath", "url": "https://github.com/goldenpath-dev/goldenpath", "public": false,
		"hook_attributes":     map[string]any{"url": "https://gp.acme.dev/api/github/webhooks", "active": true},
		"redirect_url":        "http://127.0.0.1:3000/callback",
		"default_events":      []any{"issues", "push"},
		"default_permissions": map[string]any{"contents": "write", "metadata": "read"},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Manifest:\n got %v\nwant %v", m, want)
	}

	for _, tt := range []struct{ yml, webhook, wantErr string }{
		{"", "https://x.dev/h", "empty"},
		{"url: https://x\n", "https://x.dev/h", "name is required"},
		{"name: a\n", "https://x.dev/h", "url (the App's homepage) is required"},
		{appYML, "gp.acme.dev/hooks", "the webhook URL must be an absolute http(s) URL"},
		{"name: [\n", "https://x.dev/h", "reading app.yml"},
	} {
		if _, err := Manifest([]byte(tt.yml), tt.webhook, "http://127.0.0.1/cb"); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Manifest(%q, %q) = %v, want an error with %q", tt.yml, tt.webhook, err, tt.wantErr)
		}
	}
}

func TestURLs(t *testing.T) {
	tests := []struct{ github, org, newApp, api, urlErr string }{
		{GitHubDotCom, "", "https://github.com/settings/apps/new?state=s1", "https://api.github.com", ""},
		{"https://github.com/", "acme", "https://github.com/organizations/acme/settings/apps/new?state=s1", "https://api.github.com", ""},
		{"https://ghe.acme.dev", "acme", "https://ghe.acme.dev/organizations/acme/settings/apps/new?state=s1", "https://ghe.acme.dev/api/v3", ""},
		{"https://ghe.acme.dev/api/v3", "", "", "", "not its API"},
		{"https://api.github.com", "", "", "", "not its API"},
		{"ghe.acme.dev", "", "", "", "absolute http(s) URL"},
	}
	for _, tt := range tests {
		err := CheckGitHubURL(tt.github)
		if tt.urlErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.urlErr) {
				t.Errorf("CheckGitHubURL(%q) = %v, want %q", tt.github, err, tt.urlErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("CheckGitHubURL(%q) = %v", tt.github, err)
		}
		if got := NewAppURL(tt.github, tt.org, "s1"); got != tt.newApp {
			t.Errorf("NewAppURL(%q, %q) = %q, want %q", tt.github, tt.org, got, tt.newApp)
		}
		if got := APIURL(tt.github); got != tt.api {
			t.Errorf("APIURL(%q) = %q, want %q", tt.github, got, tt.api)
		}
	}
}

func TestUpdateEnv(t *testing.T) {
	pem := "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n"
	tests := []struct {
		name, old string
		set       map[string]string
		drop      []string
		want      string
	}{
		{name: "new file", set: map[string]string{"APP_ID": "7", "WEBHOOK_SECRET": "a b$c"},
			want: "APP_ID=7\nWEBHOOK_SECRET=\"a b\\$c\"\n"},
		{name: "keeps comments and other keys, replaces in place",
			old:  "# goldenpath\nPORT=3001\nAPP_ID=1\nexport LOG_LEVEL=debug\nAPP_ID=2\n",
			set:  map[string]string{"APP_ID": "7", "PRIVATE_KEY_PATH": "/k/gp.pem"},
			want: "# goldenpath\nPORT=3001\nAPP_ID=7\nexport LOG_LEVEL=debug\nPRIVATE_KEY_PATH=/k/gp.pem\n"},
		{name: "drops a multi-line inline key", old: "A=1\nPRIVATE_KEY=\"" + pem + "\"\nB=2",
			set: map[string]string{"PRIVATE_KEY_PATH": "k.pem"}, drop: []string{"PRIVATE_KEY"},
			want: "A=1\nB=2\nPRIVATE_KEY_PATH=k.pem\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(UpdateEnv([]byte(tt.old), tt.set, tt.drop))
			if got != tt.want {
				t.Errorf("UpdateEnv:\n got %q\nwant %q", got, tt.want)
			}
			parsed, err := godotenv.Unmarshal(got)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.set {
				if parsed[k] != v {
					t.Errorf("%s reads back as %q, want %q", k, parsed[k], v)
				}
			}
		})
	}
}

func TestConflicts(t *testing.T) {
	got := Conflicts(map[string]string{"APP_ID": "1", "PORT": "3000", "WEBHOOK_SECRET": " ", "PRIVATE_KEY": "x"})
	if want := []string{"APP_ID", "PRIVATE_KEY"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Conflicts = %v, want %v", got, want)
	}
}
