package deploy_test

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

// rendered is a chart rendered by Helm's engine and decoded strictly into
// Kubernetes' own types (an unknown or misspelt field is an error).
type rendered struct {
	deployment *appsv1.Deployment
	service    *corev1.Service
	pdb        *policyv1.PodDisruptionBudget
	pvc        *corev1.PersistentVolumeClaim
}

func renderChart(t *testing.T, values map[string]any) (*rendered, error) {
	t.Helper()
	chart, err := loader.Load("helm/goldenpath")
	if err != nil {
		t.Fatalf("loading the chart: %v", err)
	}
	if err := chart.Validate(); err != nil {
		t.Fatalf("the chart: %v", err)
	}
	vals, err := chartutil.ToRenderValues(chart, values, chartutil.ReleaseOptions{Name: "gp", Namespace: "platform", IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatalf("values: %v", err)
	}
	files, err := engine.Render(chart, vals)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var r rendered
	for _, n := range names {
		if path.Ext(n) != ".yaml" || strings.TrimSpace(files[n]) == "" {
			continue
		}
		var meta struct{ Kind string }
		if err := yaml.Unmarshal([]byte(files[n]), &meta); err != nil {
			t.Fatalf("%s: %v\n%s", n, err, files[n])
		}
		var obj any
		switch meta.Kind {
		case "Deployment":
			r.deployment = &appsv1.Deployment{}
			obj = r.deployment
		case "Service":
			r.service = &corev1.Service{}
			obj = r.service
		case "PodDisruptionBudget":
			r.pdb = &policyv1.PodDisruptionBudget{}
			obj = r.pdb
		case "PersistentVolumeClaim":
			r.pvc = &corev1.PersistentVolumeClaim{}
			obj = r.pvc
		default:
			t.Fatalf("%s: unexpected kind %q", n, meta.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(files[n]), obj); err != nil {
			t.Fatalf("%s is not a valid %s: %v\n%s", n, meta.Kind, err, files[n])
		}
	}
	return &r, nil
}

func TestHelmChart(t *testing.T) {
	tests := []struct {
		name     string
		values   map[string]any
		wantErr  string
		replicas int32
		sqlite   bool
	}{
		{name: "defaults: two replicas on PostgreSQL", replicas: 2},
		{name: "one replica on SQLite", values: map[string]any{"replicaCount": 1, "database": map[string]any{"kind": "sqlite"}}, replicas: 1, sqlite: true},
		{name: "two replicas on SQLite", values: map[string]any{"database": map[string]any{"kind": "sqlite"}}, wantErr: "replicaCount 2 needs database.kind postgres"},
		{name: "unknown database", values: map[string]any{"replicaCount": 1, "database": map[string]any{"kind": "mysql"}}, wantErr: `database.kind must be postgres or sqlite, got "mysql"`},
		{name: "no secret", values: map[string]any{"existingSecret": ""}, wantErr: "existingSecret must name the Secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := renderChart(t, tt.values)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("render: %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			for _, p := range checkRendered(r, tt.replicas, tt.sqlite) {
				t.Error(p)
			}
		})
	}
}

// checkRendered lists what is wrong with a rendered release.
func checkRendered(r *rendered, replicas int32, sqlite bool) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	d := r.deployment
	if d == nil || r.service == nil || r.pdb == nil {
		return []string{"the release lacks a Deployment, Service or PodDisruptionBudget"}
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != replicas {
		bad("replicas %v, want %d", d.Spec.Replicas, replicas)
	}
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		return append(out, fmt.Sprintf("%d containers, want 1", len(pod.Containers)))
	}
	c := pod.Containers[0]
	probe := func(name string, p *corev1.Probe, want string) {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != want {
			bad("%s probe is not GET %s: %+v", name, want, p)
		}
	}
	probe("readiness", c.ReadinessProbe, "/readyz")
	probe("liveness", c.LivenessProbe, "/healthz")
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		bad("resources need CPU and memory requests and a memory limit: %+v", c.Resources)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef == nil || c.EnvFrom[0].SecretRef.Name != "goldenpath" {
		bad("credentials must come from the Secret goldenpath: %+v", c.EnvFrom)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	for _, k := range []string{"APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET"} {
		if _, ok := env[k]; ok {
			bad("%s is a plain env value; it belongs in the Secret", k)
		}
	}
	dbURL, inline := env["DATABASE_URL"]
	switch {
	case sqlite && (!inline || !strings.HasPrefix(dbURL, "sqlite:///data/")):
		bad("SQLite: DATABASE_URL %q, want a file under /data", dbURL)
	case sqlite && (r.pvc == nil || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType):
		bad("SQLite needs its PersistentVolumeClaim and the Recreate strategy")
	case !sqlite && (inline || r.pvc != nil):
		bad("PostgreSQL: DATABASE_URL must come from the Secret (got %q inline), and no volume claim", dbURL)
	}
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		bad("the pod must run as non-root")
	}
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		bad("the container's root filesystem must be read-only")
	}
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds < 30 {
		bad("terminationGracePeriodSeconds must leave time to drain jobs")
	}
	sel := r.pdb.Spec.Selector
	for k, v := range sel.MatchLabels {
		if d.Spec.Template.Labels[k] != v {
			bad("the PodDisruptionBudget selects %s=%s, which the pods lack", k, v)
		}
	}
	if r.pdb.Spec.MaxUnavailable == nil && r.pdb.Spec.MinAvailable == nil {
		bad("the PodDisruptionBudget sets no budget")
	}
	return out
}
