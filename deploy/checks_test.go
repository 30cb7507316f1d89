package deploy

import (
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestChecksCatchMistakes breaks one thing at a time in a good render and expects the checks
// of TestCIValues to notice: a check that passes everything proves nothing.
func TestChecksCatchMistakes(t *testing.T) {
	c := loadChart(t)
	fresh := func(t *testing.T, ci string) *rendered {
		t.Helper()
		r, err := render(c, readValues(t, filepath.Join(chartDir, "ci", ci+"-values.yaml")), clusterVersion)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	deployment := func(r *rendered) *appsv1.Deployment { return r.deployments()[0] }
	container := func(r *rendered) *corev1.Container { return &deployment(r).Spec.Template.Spec.Containers[0] }
	setEnv := func(r *rendered, name, value string) {
		ctr := container(r)
		for i := range ctr.Env {
			if ctr.Env[i].Name == name {
				ctr.Env[i].Value = value
				return
			}
		}
		ctr.Env = append(ctr.Env, corev1.EnvVar{Name: name, Value: value})
	}
	no, yes := false, true
	root := int64(0)
	for _, tc := range []struct {
		name, ci string
		mutate   func(r *rendered)
	}{
		{"writable root filesystem", "ha", func(r *rendered) { container(r).SecurityContext.ReadOnlyRootFilesystem = &no }},
		{"privilege escalation", "ha", func(r *rendered) { container(r).SecurityContext.AllowPrivilegeEscalation = &yes }},
		{"capability added", "ha", func(r *rendered) {
			container(r).SecurityContext.Capabilities.Add = []corev1.Capability{"NET_ADMIN"}
		}},
		{"root user", "embedded", func(r *rendered) { container(r).SecurityContext.RunAsUser = &root }},
		{"no seccomp", "embedded", func(r *rendered) {
			container(r).SecurityContext.SeccompProfile = nil
			deployment(r).Spec.Template.Spec.SecurityContext.SeccompProfile = nil
		}},
		{"service links", "embedded", func(r *rendered) { deployment(r).Spec.Template.Spec.EnableServiceLinks = &yes }},
		{"host network", "ha", func(r *rendered) { deployment(r).Spec.Template.Spec.HostNetwork = true }},
		{"Service selects other pods", "ha", func(r *rendered) {
			r.services()[0].Spec.Selector["app.kubernetes.io/instance"] = "other"
		}},
		{"PDB selects other pods", "ha", func(r *rendered) {
			r.pdbs()[0].Spec.Selector.MatchLabels["app.kubernetes.io/name"] = "other"
		}},
		{"secret file not mounted", "ha", func(r *rendered) { setEnv(r, "ZOOM_SDK_SECRET_FILE", "/etc/zoom-sdk-secret") }},
		{"secret in plain env", "embedded", func(r *rendered) { setEnv(r, "ZOOM_CLIENT_SECRET", "s3cret") }},
		{"webhook secret missing", "embedded", func(r *rendered) {
			ctr := container(r)
			for i, e := range ctr.Env {
				if e.Name == "ZOOM_WEBHOOK_SECRET_TOKEN_FILE" {
					ctr.Env = append(ctr.Env[:i], ctr.Env[i+1:]...)
					break
				}
			}
		}},
		{"grace period too short", "ha", func(r *rendered) {
			g := int64(30)
			deployment(r).Spec.Template.Spec.TerminationGracePeriodSeconds = &g
		}},
		{"shutdown timeout raised alone", "embedded", func(r *rendered) { setEnv(r, "COHOST_SHUTDOWN_TIMEOUT", "60s") }},
		{"preStop needs a shell", "ha", func(r *rendered) {
			container(r).Lifecycle.PreStop = &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sleep", "10"}}}
		}},
		{"readiness on /healthz", "ha", func(r *rendered) { container(r).ReadinessProbe.HTTPGet.Path = "/healthz" }},
		{"liveness on the metrics port", "embedded", func(r *rendered) {
			container(r).LivenessProbe.HTTPGet.Port = intstr.FromString("metrics")
		}},
		{"app listens elsewhere", "embedded", func(r *rendered) { setEnv(r, "COHOST_ADDR", ":8081") }},
		{"embedded with two replicas", "embedded", func(r *rendered) {
			n := int32(2)
			deployment(r).Spec.Replicas = &n
		}},
		{"embedded rolling", "embedded", func(r *rendered) {
			deployment(r).Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType}
		}},
		{"embedded with a PDB", "embedded", func(r *rendered) { r.objects = append(r.objects, &policyv1.PodDisruptionBudget{}) }},
		{"HA may go below its count", "ha", func(r *rendered) {
			one := intstr.FromInt32(1)
			deployment(r).Spec.Strategy.RollingUpdate.MaxUnavailable = &one
		}},
		{"HA without PDB", "ha", func(r *rendered) {
			var kept []runtime.Object
			for _, o := range r.objects {
				if _, ok := o.(*policyv1.PodDisruptionBudget); !ok {
					kept = append(kept, o)
				}
			}
			r.objects = kept
		}},
		{"HA with one replica", "ha", func(r *rendered) {
			n := int32(1)
			deployment(r).Spec.Replicas = &n
		}},
		{"metrics open to all", "ha", func(r *rendered) { r.networkPolicies()[0].Spec.Ingress[1].From = nil }},
		{"no DNS egress", "embedded", func(r *rendered) { r.networkPolicies()[0].Spec.Egress[0].Ports = nil }},
		{"ServiceMonitor on the app port", "ha", func(r *rendered) { r.serviceMonitors()[0].Spec.Endpoints[0].Port = "http" }},
		{"endpoint label lost", "ha", func(r *rendered) { r.serviceMonitors()[0].Spec.Endpoints[0].MetricRelabelings = nil }},
		{"alert without runbook", "ha", func(r *rendered) {
			r.prometheusRules()[0].Spec.Groups[0].Rules[0].Annotations["runbook_url"] = ""
		}},
		{"alert on a misspelt metric", "ha", func(r *rendered) {
			r.prometheusRules()[0].Spec.Groups[0].Rules[0].Expr = `sum(rate(cohost_webhooks_total{job="zoom-cohost",namespace="cohost"}[5m])) > 1`
		}},
		{"alert for every release", "ha", func(r *rendered) {
			r.prometheusRules()[0].Spec.Groups[0].Rules[0].Expr = `sum(rate(cohost_webhook_requests_total[5m])) > 1`
		}},
		{"policy checksum missing", "embedded", func(r *rendered) {
			delete(deployment(r).Spec.Template.Annotations, "checksum/policy")
		}},
		{"secret checksum missing", "ha-autoscaling", func(r *rendered) {
			delete(deployment(r).Spec.Template.Annotations, "checksum/secret")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := fresh(t, tc.ci)
			var before recorder
			before.run(func(rep reporter) { checkRender(rep, r) })
			if before.failed() {
				t.Fatalf("the unbroken render fails: %v", before.errors)
			}
			tc.mutate(r)
			var after recorder
			after.run(func(rep reporter) { checkRender(rep, r) })
			if !after.failed() {
				t.Errorf("the checks did not notice: %s", tc.name)
			}
		})
	}
}
