package deploy

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"
)

// The secrets cohostd reads (README, Configuration); each may be given as NAME_FILE.
var secretEnvNames = []string{
	"ZOOM_WEBHOOK_SECRET_TOKEN", "ZOOM_CLIENT_SECRET", "ZOOM_SDK_SECRET", "COHOST_AGENT_SECRET",
	"COHOST_ADMIN_SECRET", "COHOST_ENCRYPTION_KEY", "ZOOM_SIGNIN_CLIENT_SECRET", "COHOST_DATABASE_URL",
}

// TestLint runs Helm's linter (what `helm lint --strict` checks) with the defaults and with each
// ci/ values file.
func TestLint(t *testing.T) {
	files := append([]string{""}, ciValuesFiles(t)...)
	for _, f := range files {
		name := f
		if name == "" {
			name = "defaults"
		}
		t.Run(name, func(t *testing.T) {
			for _, kv := range []string{"", clusterVersion} {
				var kubeVersion *chartutil.KubeVersion
				if kv != "" {
					var err error
					if kubeVersion, err = chartutil.ParseKubeVersion(kv); err != nil {
						t.Fatal(err)
					}
				}
				linter := lint.AllWithKubeVersion(chartDir, readValues(t, f), namespace, kubeVersion)
				for _, m := range linter.Messages {
					if m.Severity >= support.WarningSev {
						t.Errorf("kube %q: %s", kv, m)
					} else {
						t.Logf("kube %q: %s", kv, m)
					}
				}
			}
		})
	}
}

// TestRenderDefaults renders the chart with its defaults only, as `helm template` does without
// --kube-version (Helm then assumes Kubernetes 1.20): the chart must not need a newer one to render.
func TestRenderDefaults(t *testing.T) {
	r, err := render(loadChart(t), nil, "")
	if err != nil {
		t.Fatalf("render defaults: %v", err)
	}
	checkCommon(t, r)
	checkEmbedded(t, r)
	if len(r.networkPolicies()) != 1 {
		t.Errorf("the default has %d NetworkPolicies, want 1", len(r.networkPolicies()))
	}
	if len(r.serviceMonitors())+len(r.prometheusRules()) != 0 {
		t.Error("the default renders Prometheus Operator objects; they must be opt-in (CRDs)")
	}
}

// TestCIValues renders each ci/ values file and checks every object.
func TestCIValues(t *testing.T) {
	var sawEmbedded, sawHA bool
	for _, r := range renderCI(t) {
		t.Run(r.name, func(t *testing.T) {
			sawHA = sawHA || r.postgres()
			sawEmbedded = sawEmbedded || !r.postgres()
			checkRender(t, r.rendered)
		})
	}
	if !sawEmbedded || !sawHA {
		t.Errorf("ci/ must hold both shapes: embedded %v, HA %v", sawEmbedded, sawHA)
	}
}

// checkRender asserts what holds for every shape, then what holds for the render's shape.
func checkRender(t reporter, r *rendered) {
	t.Helper()
	checkCommon(t, r)
	if r.postgres() {
		checkHA(t, r)
	} else {
		checkEmbedded(t, r)
	}
}

// checkCommon asserts what holds for every shape.
func checkCommon(t reporter, r *rendered) {
	t.Helper()
	checkMetadata(t, r)
	deps := r.deployments()
	if len(deps) != 1 {
		t.Fatalf("%d Deployments, want 1", len(deps))
	}
	d := deps[0]
	pod := d.Spec.Template
	podLabels := labels.Set(pod.Labels)

	// Selectors match the pods.
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || sel.Empty() || !sel.Matches(podLabels) {
		t.Errorf("Deployment selector %v does not match pod labels %v (%v)", d.Spec.Selector, pod.Labels, err)
	}
	svcs := r.services()
	if len(svcs) != 1 {
		t.Fatalf("%d Services, want 1", len(svcs))
	}
	svc := svcs[0]
	if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		t.Errorf("Service selector %v does not match pod labels %v", svc.Spec.Selector, pod.Labels)
	}
	for _, p := range r.pdbs() {
		s, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err != nil || s.Empty() || !s.Matches(podLabels) {
			t.Errorf("PDB selector %v does not match pod labels", p.Spec.Selector)
		}
		if (p.Spec.MinAvailable == nil) == (p.Spec.MaxUnavailable == nil) {
			t.Error("PDB must set exactly one of minAvailable and maxUnavailable")
		}
	}
	for _, np := range r.networkPolicies() {
		s, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil || s.Empty() || !s.Matches(podLabels) {
			t.Errorf("NetworkPolicy podSelector %v does not match pod labels", np.Spec.PodSelector)
		}
	}
	for _, h := range r.hpas() {
		if h.Spec.ScaleTargetRef.Kind != "Deployment" || h.Spec.ScaleTargetRef.Name != d.Name || h.Spec.ScaleTargetRef.APIVersion != "apps/v1" {
			t.Errorf("HPA targets %+v, want Deployment %s", h.Spec.ScaleTargetRef, d.Name)
		}
		if d.Spec.Replicas != nil {
			t.Error("with an HPA the Deployment must not set replicas (each upgrade would reset the scale)")
		}
	}
	if d.Spec.Template.Spec.ServiceAccountName != "" {
		// One the chart does not create is the operator's to provide.
		found := r.value("serviceAccount.create") != true
		for _, sa := range r.serviceAccounts() {
			found = found || sa.Name == d.Spec.Template.Spec.ServiceAccountName
			if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
				t.Error("the ServiceAccount must not automount a token: cohostd does not call the Kubernetes API")
			}
		}
		if !found {
			t.Errorf("ServiceAccount %q is neither rendered nor default", d.Spec.Template.Spec.ServiceAccountName)
		}
	}
	if l := pod.Spec.EnableServiceLinks; l == nil || *l {
		t.Error("enableServiceLinks must be false: a Service named cohost would inject COHOST_* variables")
	}
	if m := pod.Spec.AutomountServiceAccountToken; m == nil || *m {
		t.Error("pod automountServiceAccountToken must be false")
	}

	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	env := envMap(t, c)

	checkRestricted(t, pod)
	checkPorts(t, c, env, svc)
	checkProbes(t, c, env)
	checkShutdown(t, pod.Spec, c, env)
	checkSecretFiles(t, r, pod.Spec, c, env)
	checkWritablePaths(t, r, pod.Spec, c, env)
	checkChecksums(t, r, d)
	checkNetworkPolicy(t, r, c)
	checkMonitoring(t, r, svc)
	checkIngress(t, r, svc)

	if !strings.Contains(r.notes, "/webhooks/zoom") {
		t.Error("NOTES.txt does not tell the webhook URL")
	}
}

func checkMetadata(t reporter, r *rendered) {
	t.Helper()
	seen := map[string]bool{}
	for _, o := range r.objects {
		key := objectKey(o)
		if seen[key] {
			t.Errorf("%s is rendered twice", key)
		}
		seen[key] = true
		m, err := metaOf(o)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, msg := range validation.IsDNS1123Subdomain(m.GetName()) {
			t.Errorf("%s: name: %s", key, msg)
		}
		if len(m.GetName()) > 63 {
			t.Errorf("%s: name longer than 63 characters", key)
		}
		isDashboard := kindOf(o) == "v1.ConfigMap" && strings.HasSuffix(m.GetName(), "-dashboard")
		if m.GetNamespace() != namespace && !isDashboard {
			t.Errorf("%s: namespace %q, want %q", key, m.GetNamespace(), namespace)
		}
		for k, v := range m.GetLabels() {
			for _, msg := range validation.IsQualifiedName(k) {
				t.Errorf("%s: label key %q: %s", key, k, msg)
			}
			for _, msg := range validation.IsValidLabelValue(v) {
				t.Errorf("%s: label %s=%q: %s", key, k, v, msg)
			}
		}
		for _, l := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by", "helm.sh/chart"} {
			if m.GetLabels()[l] == "" {
				t.Errorf("%s: label %s missing", key, l)
			}
		}
	}
}

func envMap(t reporter, c corev1.Container) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range c.Env {
		if _, dup := env[e.Name]; dup {
			t.Errorf("env %s set twice", e.Name)
		}
		if e.ValueFrom != nil {
			t.Errorf("env %s uses valueFrom: secrets must come as files", e.Name)
		}
		env[e.Name] = e.Value
	}
	for _, e := range c.EnvFrom {
		t.Errorf("envFrom %+v: secrets must come as files, configuration as explicit env", e)
	}
	return env
}

// checkRestricted evaluates the pod with the Pod Security Admission's own "restricted" checks
// (latest version) and asserts the hardening the chart promises beyond them.
func checkRestricted(t reporter, pod corev1.PodTemplateSpec) {
	t.Helper()
	evaluator, err := psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	lv := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	for _, res := range evaluator.EvaluatePod(lv, &pod.ObjectMeta, &pod.Spec) {
		if !res.Allowed {
			t.Errorf("Pod Security Standards restricted: %s: %s", res.ForbiddenReason, res.ForbiddenDetail)
		}
	}

	ps := pod.Spec.SecurityContext
	if ps == nil || !isTrue(ps.RunAsNonRoot) || ps.RunAsUser == nil || *ps.RunAsUser != 65532 ||
		ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %+v: want runAsNonRoot, runAsUser 65532, seccomp RuntimeDefault", ps)
	}
	if ps != nil && (ps.FSGroup == nil || *ps.FSGroup != 65532) {
		t.Error("pod securityContext.fsGroup must be 65532 so the volume and the secret files are readable")
	}
	for _, c := range pod.Spec.Containers {
		sc := c.SecurityContext
		if sc == nil {
			t.Fatalf("container %s has no securityContext", c.Name)
		}
		if !isTrue(sc.RunAsNonRoot) || sc.RunAsUser == nil || *sc.RunAsUser != 65532 {
			t.Errorf("container %s: want runAsNonRoot and runAsUser 65532", c.Name)
		}
		if !isTrue(sc.ReadOnlyRootFilesystem) {
			t.Errorf("container %s: readOnlyRootFilesystem must be true", c.Name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("container %s: allowPrivilegeEscalation must be false", c.Name)
		}
		if isTrue(sc.Privileged) {
			t.Errorf("container %s is privileged", c.Name)
		}
		if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 {
			t.Errorf("container %s: capabilities %+v, want drop [ALL] and add nothing", c.Name, sc.Capabilities)
		}
		if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("container %s: seccompProfile must be RuntimeDefault", c.Name)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("container %s: resources %+v: want cpu and memory requests and a memory limit", c.Name, c.Resources)
		}
	}
	if pod.Spec.HostNetwork || pod.Spec.HostPID || pod.Spec.HostIPC {
		t.Error("the pod uses a host namespace")
	}
}

func isTrue(b *bool) bool { return b != nil && *b }

// listenPort reads the port of a ":8080"-style listen address.
func listenPort(t reporter, env map[string]string, name string) int32 {
	t.Helper()
	addr, ok := env[name]
	if !ok {
		t.Fatalf("env %s missing", name)
	}
	i := strings.LastIndex(addr, ":")
	p, err := strconv.Atoi(addr[i+1:])
	if i < 0 || err != nil {
		t.Fatalf("env %s=%q is not host:port", name, addr)
	}
	return int32(p)
}

// containerPort resolves a probe's or Service's port (a number or a name) on the container.
func containerPort(c corev1.Container, p intstr.IntOrString) (int32, bool) {
	if p.Type == intstr.Int {
		for _, cp := range c.Ports {
			if cp.ContainerPort == p.IntVal {
				return cp.ContainerPort, true
			}
		}
		return 0, false
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort, true
		}
	}
	return 0, false
}

func checkPorts(t reporter, c corev1.Container, env map[string]string, svc *corev1.Service) {
	t.Helper()
	app, metrics := listenPort(t, env, "COHOST_ADDR"), listenPort(t, env, "COHOST_METRICS_ADDR")
	if app == metrics {
		t.Fatal("app and metrics listen on the same port")
	}
	want := map[string]int32{"http": app, "metrics": metrics}
	for name, port := range want {
		got, ok := containerPort(c, intstr.FromString(name))
		if !ok || got != port {
			t.Errorf("container port %q = %d, want %d (the listen address)", name, got, port)
		}
	}
	names := map[string]bool{}
	for _, sp := range svc.Spec.Ports {
		names[sp.Name] = true
		got, ok := containerPort(c, sp.TargetPort)
		if !ok || got != want[sp.Name] {
			t.Errorf("Service port %s targets %v = container port %d, want %d", sp.Name, sp.TargetPort.String(), got, want[sp.Name])
		}
	}
	if !names["http"] || !names["metrics"] {
		t.Errorf("Service ports %v: want http and metrics", svc.Spec.Ports)
	}
}

func checkProbes(t reporter, c corev1.Container, env map[string]string) {
	t.Helper()
	app := listenPort(t, env, "COHOST_ADDR")
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"liveness", c.LivenessProbe, "/healthz"},
		{"readiness", c.ReadinessProbe, "/readyz"},
		{"startup", c.StartupProbe, "/healthz"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s probe: want an httpGet probe", p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path {
			t.Errorf("%s probe path %q, want %q", p.name, p.probe.HTTPGet.Path, p.path)
		}
		if port, ok := containerPort(c, p.probe.HTTPGet.Port); !ok || port != app {
			t.Errorf("%s probe port %s = %d, want the app port %d", p.name, p.probe.HTTPGet.Port.String(), port, app)
		}
	}
	if c.StartupProbe != nil && c.StartupProbe.FailureThreshold*max(c.StartupProbe.PeriodSeconds, 1) < 30 {
		t.Error("the startup probe gives the start (migrations) less than 30 s")
	}
}

// checkShutdown: the grace period covers the preStop sleep and cohostd's own shutdown timeout,
// and the preStop hook needs no shell (the image is distroless).
func checkShutdown(t reporter, spec corev1.PodSpec, c corev1.Container, env map[string]string) {
	t.Helper()
	timeout, err := time.ParseDuration(env["COHOST_SHUTDOWN_TIMEOUT"])
	if err != nil || timeout <= 0 {
		t.Fatalf("COHOST_SHUTDOWN_TIMEOUT=%q: %v", env["COHOST_SHUTDOWN_TIMEOUT"], err)
	}
	var preStop time.Duration
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
		h := c.Lifecycle.PreStop
		if h.Exec != nil || h.HTTPGet != nil || h.TCPSocket != nil {
			t.Errorf("preStop %+v: only the sleep action works in a distroless image", h)
		}
		if h.Sleep == nil || h.Sleep.Seconds <= 0 {
			t.Fatalf("preStop %+v: want a sleep of some seconds", h)
		}
		preStop = time.Duration(h.Sleep.Seconds) * time.Second
	}
	if spec.TerminationGracePeriodSeconds == nil {
		t.Fatal("terminationGracePeriodSeconds not set")
	}
	grace := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	if grace <= preStop+timeout {
		t.Errorf("terminationGracePeriodSeconds %v <= preStop %v + shutdown timeout %v", grace, preStop, timeout)
	}
}

// checkSecretFiles: every NAME_FILE points at a file that a volume mounts from a Secret, no
// secret is passed in plain env, and the webhook secret is always there.
func checkSecretFiles(t reporter, r *rendered, spec corev1.PodSpec, c corev1.Container, env map[string]string) {
	t.Helper()
	for _, name := range secretEnvNames {
		if v, ok := env[name]; ok && !(name == "COHOST_DATABASE_URL" && strings.HasPrefix(v, "sqlite://")) {
			t.Errorf("secret %s is passed as plain env; it must be %s_FILE", name, name)
		}
	}
	if _, ok := env["ZOOM_WEBHOOK_SECRET_TOKEN_FILE"]; !ok {
		t.Error("ZOOM_WEBHOOK_SECRET_TOKEN_FILE missing: cohostd would refuse to start")
	}
	files := secretFilePaths(t, spec, c)
	for name, value := range env {
		if !strings.HasSuffix(name, "_FILE") || name == "COHOST_POLICY_FILE" {
			continue
		}
		if !slices.Contains(secretEnvNames, strings.TrimSuffix(name, "_FILE")) {
			t.Errorf("env %s: cohostd reads no such secret", name)
		}
		src, ok := files[value]
		if !ok {
			t.Errorf("env %s=%s: no mounted Secret item has that path (mounted: %v)", name, value, mapKeys(files))
			continue
		}
		// A chart-created Secret must hold the key.
		for _, s := range r.secrets() {
			if s.Name == src.secret {
				if _, ok := s.Data[src.key]; !ok {
					t.Errorf("env %s: the chart's Secret %s has no key %s", name, s.Name, src.key)
				}
			}
		}
	}
	if r.postgres() {
		if _, ok := env["COHOST_DATABASE_URL_FILE"]; !ok {
			t.Error("PostgreSQL: COHOST_DATABASE_URL_FILE missing (the URL holds a password)")
		}
	}
	if r.value("config.zoom.authMode") == "oauth" {
		if _, ok := env["COHOST_ENCRYPTION_KEY_FILE"]; !ok {
			t.Error("oauth mode: COHOST_ENCRYPTION_KEY_FILE missing")
		}
	}
	if id, _ := r.value("config.zoom.signinClientId").(string); id != "" {
		_, secret := env["ZOOM_SIGNIN_CLIENT_SECRET_FILE"]
		if got := env["ZOOM_SIGNIN_CLIENT_ID"]; got != id || !secret {
			t.Errorf("host portal: ZOOM_SIGNIN_CLIENT_ID %q (want %q), ZOOM_SIGNIN_CLIENT_SECRET_FILE set %v", got, id, secret)
		}
	}
}

type secretItem struct{ secret, key string }

// secretFilePaths maps each file path a Secret volume provides in the container to its source.
func secretFilePaths(t reporter, spec corev1.PodSpec, c corev1.Container) map[string]secretItem {
	t.Helper()
	vols := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		vols[v.Name] = v
	}
	out := map[string]secretItem{}
	add := func(mount corev1.VolumeMount, secret string, items []corev1.KeyToPath) {
		if len(items) == 0 {
			t.Errorf("volume %s mounts all keys of Secret %s; list the items", mount.Name, secret)
		}
		for _, it := range items {
			out[path.Join(mount.MountPath, it.Path)] = secretItem{secret, it.Key}
		}
	}
	for _, m := range c.VolumeMounts {
		v, ok := vols[m.Name]
		if !ok {
			t.Errorf("volumeMount %s has no volume", m.Name)
			continue
		}
		switch {
		case v.Secret != nil:
			add(m, v.Secret.SecretName, v.Secret.Items)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				if src.Secret != nil {
					add(m, src.Secret.Name, src.Secret.Items)
				}
			}
		default:
			continue
		}
		if !m.ReadOnly {
			t.Errorf("secret volume %s is mounted read-write", m.Name)
		}
	}
	return out
}

func mapKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// checkWritablePaths: with a read-only root the SQLite directory and /tmp are volumes.
func checkWritablePaths(t reporter, r *rendered, spec corev1.PodSpec, c corev1.Container, env map[string]string) {
	t.Helper()
	mounted := func(dir string) (corev1.Volume, bool) {
		for _, m := range c.VolumeMounts {
			if m.MountPath == dir && !m.ReadOnly {
				for _, v := range spec.Volumes {
					if v.Name == m.Name {
						return v, true
					}
				}
			}
		}
		return corev1.Volume{}, false
	}
	if _, ok := mounted("/tmp"); !ok {
		t.Error("/tmp is not a writable volume (SQLite and Go may need temporary files)")
	}
	url := env["COHOST_DATABASE_URL"]
	if r.postgres() {
		if url != "" {
			t.Errorf("PostgreSQL but COHOST_DATABASE_URL=%q in plain env", url)
		}
		return
	}
	file, ok := strings.CutPrefix(url, "sqlite://")
	if !ok || !strings.HasPrefix(file, "/") {
		t.Fatalf("SQLite: COHOST_DATABASE_URL=%q, want sqlite:///absolute/path", url)
	}
	v, ok := mounted(path.Dir(file))
	if !ok {
		t.Fatalf("SQLite file %s: its directory is not a writable volume", file)
	}
	if r.value("persistence.enabled") == true {
		if v.PersistentVolumeClaim == nil {
			t.Fatalf("SQLite volume %s is not a PVC", v.Name)
		}
		claim := v.PersistentVolumeClaim.ClaimName
		if existing, _ := r.value("persistence.existingClaim").(string); existing != "" {
			if claim != existing {
				t.Errorf("claim %s, want the existing claim %s", claim, existing)
			}
			return
		}
		var found bool
		for _, pvc := range r.pvcs() {
			if pvc.Name == claim {
				found = true
				if !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteOnce) {
					t.Errorf("PVC %s access modes %v: want ReadWriteOnce", claim, pvc.Spec.AccessModes)
				}
				if pvc.Spec.Resources.Requests.Storage().IsZero() {
					t.Errorf("PVC %s requests no storage", claim)
				}
			}
		}
		if !found {
			t.Errorf("the pod claims %s but no such PVC is rendered", claim)
		}
	}
}

// checkChecksums: a chart-managed ConfigMap or Secret the pod reads is checksummed into the pod
// template, so changing it rolls the pods.
func checkChecksums(t reporter, r *rendered, d *appsv1.Deployment) {
	t.Helper()
	ann := d.Spec.Template.Annotations
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, cm := range r.configMaps() {
		if strings.HasSuffix(cm.Name, "-policy") {
			if !hex64.MatchString(ann["checksum/policy"]) {
				t.Errorf("chart-managed ConfigMap %s but pod annotation checksum/policy=%q", cm.Name, ann["checksum/policy"])
			}
		}
	}
	if len(r.secrets()) > 0 && !hex64.MatchString(ann["checksum/secret"]) {
		t.Errorf("chart-managed Secret but pod annotation checksum/secret=%q", ann["checksum/secret"])
	}
	if r.value("reloader.enabled") == true {
		if d.Annotations["secret.reloader.stakater.com/reload"] == "" {
			t.Error("reloader.enabled but no secret.reloader.stakater.com/reload annotation")
		}
	}
}

func checkNetworkPolicy(t reporter, r *rendered, c corev1.Container) {
	t.Helper()
	nps := r.networkPolicies()
	if r.value("networkPolicy.enabled") != true {
		if len(nps) != 0 {
			t.Error("networkPolicy.enabled=false but a NetworkPolicy is rendered")
		}
		return
	}
	if len(nps) != 1 {
		t.Fatalf("%d NetworkPolicies, want 1", len(nps))
	}
	np := nps[0]
	if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		t.Errorf("policyTypes %v: want Ingress and Egress", np.Spec.PolicyTypes)
	}
	portOf := func(p networkingv1.NetworkPolicyPort) int32 {
		if p.Port == nil {
			return -1
		}
		if n, ok := containerPort(c, *p.Port); ok {
			return n
		}
		return p.Port.IntVal
	}
	app, _ := containerPort(c, intstr.FromString("http"))
	metrics, _ := containerPort(c, intstr.FromString("metrics"))
	var appOpen, metricsOpen bool
	for _, rule := range np.Spec.Ingress {
		for _, p := range rule.Ports {
			switch portOf(p) {
			case app:
				appOpen = true
			case metrics:
				metricsOpen = true
				if len(rule.From) == 0 {
					t.Error("metrics port open to everyone")
				}
				for _, from := range rule.From {
					if from.NamespaceSelector == nil || from.IPBlock != nil {
						t.Errorf("metrics ingress peer %+v: want a namespaceSelector", from)
					}
				}
			case -1:
				t.Error("an ingress rule opens every port")
			}
		}
		if len(rule.Ports) == 0 {
			t.Error("an ingress rule without ports opens every port")
		}
	}
	if !appOpen || !metricsOpen {
		t.Errorf("ingress: app port open %v, metrics port open %v; want both", appOpen, metricsOpen)
	}
	egress := map[string]bool{}
	for _, rule := range np.Spec.Egress {
		for _, p := range rule.Ports {
			proto := corev1.ProtocolTCP
			if p.Protocol != nil {
				proto = *p.Protocol
			}
			egress[fmt.Sprintf("%d/%s", portOf(p), proto)] = true
		}
	}
	want := []string{"53/UDP", "53/TCP", "443/TCP"}
	if r.postgres() {
		want = append(want, fmt.Sprintf("%v/TCP", r.value("database.postgres.port")))
	}
	for _, w := range want {
		if !egress[w] {
			t.Errorf("egress %s not allowed (allowed: %v)", w, mapKeys(egress))
		}
	}
	if !r.postgres() && egress["5432/TCP"] {
		t.Error("SQLite but egress to PostgreSQL allowed")
	}
}

func checkMonitoring(t reporter, r *rendered, svc *corev1.Service) {
	t.Helper()
	sms := r.serviceMonitors()
	if (len(sms) == 1) != (r.value("metrics.serviceMonitor.enabled") == true) || len(sms) > 1 {
		t.Errorf("%d ServiceMonitors with metrics.serviceMonitor.enabled=%v", len(sms), r.value("metrics.serviceMonitor.enabled"))
	}
	for _, sm := range sms {
		s, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
		if err != nil || s.Empty() || !s.Matches(labels.Set(svc.Labels)) {
			t.Errorf("ServiceMonitor selector %v does not match the Service's labels %v", sm.Spec.Selector, svc.Labels)
		}
		if !slices.Contains(sm.Spec.NamespaceSelector.MatchNames, svc.Namespace) {
			t.Errorf("ServiceMonitor namespaceSelector %v misses %s", sm.Spec.NamespaceSelector, svc.Namespace)
		}
		if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "metrics" || sm.Spec.Endpoints[0].Path != "/metrics" {
			t.Errorf("ServiceMonitor endpoints %+v: want port metrics, path /metrics", sm.Spec.Endpoints)
		}
		for _, ep := range sm.Spec.Endpoints {
			// The Zoom metrics' own "endpoint" label must survive the operator's target label.
			var restores, drops bool
			for _, rl := range ep.MetricRelabelings {
				src, _ := rl["sourceLabels"].([]any)
				restores = restores || len(src) == 1 && src[0] == "exported_endpoint" && rl["targetLabel"] == "endpoint" && rl["replacement"] == "$1"
				drops = drops || rl["action"] == "labeldrop" && rl["regex"] == "exported_endpoint"
			}
			if !restores || !drops {
				t.Errorf("ServiceMonitor metricRelabelings %v do not give exported_endpoint back its name", ep.MetricRelabelings)
			}
			iv, err1 := time.ParseDuration(ep.Interval)
			to, err2 := time.ParseDuration(ep.ScrapeTimeout)
			if err1 != nil || err2 != nil || to > iv {
				t.Errorf("ServiceMonitor interval %q, scrapeTimeout %q: want durations, timeout <= interval", ep.Interval, ep.ScrapeTimeout)
			}
		}
	}
	prs := r.prometheusRules()
	if (len(prs) == 1) != (r.value("metrics.prometheusRule.enabled") == true) || len(prs) > 1 {
		t.Errorf("%d PrometheusRules with metrics.prometheusRule.enabled=%v", len(prs), r.value("metrics.prometheusRule.enabled"))
	}
	for _, pr := range prs {
		checkRules(t, pr, svc)
	}
	dash := 0
	for _, cm := range r.configMaps() {
		if strings.HasSuffix(cm.Name, "-dashboard") {
			dash++
			if cm.Labels["grafana_dashboard"] == "" {
				t.Errorf("dashboard ConfigMap %s lacks the grafana_dashboard label", cm.Name)
			}
			checkDashboardJSON(t, cm.Data["cohost.json"])
		}
	}
	if (dash == 1) != (r.value("metrics.dashboard.enabled") == true) || dash > 1 {
		t.Errorf("%d dashboard ConfigMaps with metrics.dashboard.enabled=%v", dash, r.value("metrics.dashboard.enabled"))
	}
}

func checkIngress(t reporter, r *rendered, svc *corev1.Service) {
	t.Helper()
	for _, ing := range r.ingresses() {
		var webhook bool
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				t.Errorf("Ingress rule %q has no http paths", rule.Host)
				continue
			}
			for _, p := range rule.HTTP.Paths {
				b := p.Backend.Service
				if b == nil || b.Name != svc.Name {
					t.Errorf("Ingress path %s does not point at Service %s", p.Path, svc.Name)
					continue
				}
				if !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool {
					return sp.Name == b.Port.Name && sp.Name == "http" || b.Port.Number != 0 && sp.Port == b.Port.Number && sp.Name == "http"
				}) {
					t.Errorf("Ingress path %s uses Service port %+v; want the http port", p.Path, b.Port)
				}
				if p.Path == "/webhooks/zoom" || p.Path == "/" || p.Path == "/webhooks" {
					webhook = true
				}
				if strings.HasPrefix(p.Path, "/metrics") {
					t.Error("the Ingress exposes /metrics")
				}
			}
		}
		if !webhook {
			t.Error("the Ingress does not route /webhooks/zoom")
		}
	}
}

// checkEmbedded: the SQLite shape.
func checkEmbedded(t reporter, r *rendered) {
	t.Helper()
	d := r.deployments()[0]
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("embedded: replicas %v, want 1", d.Spec.Replicas)
	}
	if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("embedded: strategy %q, want Recreate (one writer)", d.Spec.Strategy.Type)
	}
	if len(r.pdbs()) != 0 {
		t.Error("embedded: a PodDisruptionBudget would only block node drains")
	}
	if len(r.hpas()) != 0 {
		t.Error("embedded: an HPA would start a second SQLite writer")
	}
	if r.value("persistence.enabled") == true && r.value("persistence.existingClaim") == "" && len(r.pvcs()) != 1 {
		t.Errorf("embedded: %d PVCs, want 1", len(r.pvcs()))
	}
	for _, pvc := range r.pvcs() {
		if pvc.Annotations["helm.sh/resource-policy"] != "keep" && r.value("persistence.keep") == true {
			t.Errorf("PVC %s is deleted on uninstall", pvc.Name)
		}
	}
}

// checkHA: the PostgreSQL shape.
func checkHA(t reporter, r *rendered) {
	t.Helper()
	d := r.deployments()[0]
	replicas := int32(0)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	for _, h := range r.hpas() {
		replicas = *h.Spec.MinReplicas
		if h.Spec.MaxReplicas < replicas {
			t.Errorf("HPA maxReplicas %d < minReplicas %d", h.Spec.MaxReplicas, replicas)
		}
	}
	if replicas < 2 {
		t.Errorf("HA: %d replicas, want at least 2", replicas)
	}
	s := d.Spec.Strategy
	if s.Type != appsv1.RollingUpdateDeploymentStrategyType || s.RollingUpdate == nil || s.RollingUpdate.MaxUnavailable == nil {
		t.Fatalf("HA: strategy %+v, want RollingUpdate with maxUnavailable 0", s)
	}
	if mu := s.RollingUpdate.MaxUnavailable; mu.IntValue() != 0 || mu.String() != "0" && mu.String() != "0%" {
		t.Errorf("HA: maxUnavailable %s, want 0", mu.String())
	}
	if s.RollingUpdate.MaxSurge == nil || s.RollingUpdate.MaxSurge.String() == "0" || s.RollingUpdate.MaxSurge.String() == "0%" {
		t.Error("HA: maxSurge 0 with maxUnavailable 0 cannot roll")
	}
	if len(r.pdbs()) != 1 {
		t.Errorf("HA: %d PodDisruptionBudgets, want 1", len(r.pdbs()))
	}
	for _, p := range r.pdbs() {
		if p.Spec.MinAvailable != nil && p.Spec.MinAvailable.IntValue() >= int(replicas) && p.Spec.MinAvailable.Type == intstr.Int {
			t.Errorf("PDB minAvailable %s >= replicas %d blocks every drain", p.Spec.MinAvailable.String(), replicas)
		}
	}
	if len(r.pvcs()) != 0 {
		t.Error("HA: renders a PVC; PostgreSQL holds the state")
	}
	if len(d.Spec.Template.Spec.TopologySpreadConstraints) == 0 && d.Spec.Template.Spec.Affinity == nil {
		t.Error("HA: neither topologySpreadConstraints nor affinity spreads the replicas")
	}
}

// TestRefusals: configurations that cannot work fail the render with a message naming the value.
func TestRefusals(t *testing.T) {
	c := loadChart(t)
	for _, tc := range []struct {
		name   string
		values string
		want   string
	}{
		{"sqlite with two replicas", "replicaCount: 2", "exactly one replica"},
		{"sqlite with an HPA", "autoscaling: {enabled: true}", "autoscaling.enabled needs database.engine=postgres"},
		{"sqlite with a PDB", "podDisruptionBudget: {enabled: true}", "podDisruptionBudget.enabled needs"},
		{"sqlite rolling", "strategy: {type: RollingUpdate}", "strategy must be Recreate"},
		{"sqlite outside the volume", "database: {sqlite: {path: /cohost.db}}", "database.sqlite.path"},
		{"unknown engine", "database: {engine: mysql}", "/database/engine"},
		{"grace too short", "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds must be larger"},
		{"grace equal", "terminationGracePeriodSeconds: 35", "terminationGracePeriodSeconds must be larger"},
		{"no webhook secret", "secrets: {files: {ZOOM_WEBHOOK_SECRET_TOKEN: ''}}", "ZOOM_WEBHOOK_SECRET_TOKEN"},
		{"oauth without encryption key", "config: {zoom: {authMode: oauth}}", "COHOST_ENCRYPTION_KEY"},
		{"oauth without public URL", "config: {zoom: {authMode: oauth}}\nsecrets: {files: {COHOST_ENCRYPTION_KEY: k}}", "config.publicUrl"},
		{"agent without SDK", "config: {agentUrl: 'http://agent:8080', granters: 'agent,permissions'}", "the agent granter needs"},
		{"agent granter without agent", "config: {granters: 'permissions,agent'}", "the agent granter needs"},
		{"no client secret", "secrets: {files: {ZOOM_CLIENT_SECRET: ''}}", "ZOOM_CLIENT_SECRET"},
		{"sign-in app without its secret", "config: {publicUrl: 'https://c.example.com', zoom: {sdkKey: k, signinClientId: id}}\nsecrets: {files: {ZOOM_SDK_SECRET: s}}", "the host portal needs both"},
		{"sign-in secret without its app", "secrets: {files: {ZOOM_SIGNIN_CLIENT_SECRET: s}}", "the host portal needs both"},
		{"sign-in app without the host client", "config: {zoom: {signinClientId: id}}\nsecrets: {files: {ZOOM_SIGNIN_CLIENT_SECRET: s}}", "add host-client"},
		{"host client without SDK credentials", "config: {granters: 'host-client,permissions', publicUrl: 'https://c.example.com'}", "the host-client granter needs"},
		{"host client without a public URL", "config: {granters: 'host-client', zoom: {sdkKey: k}}\nsecrets: {files: {ZOOM_SDK_SECRET: s}}", "the host-client granter needs"},
		{"bad duration", "config: {jobTimeout: 30}", "jobTimeout"},
		{"bad granter", "config: {granters: 'agent,cohost'}", "granters"},
		{"unknown auth mode", "config: {zoom: {authMode: jwt}}", "authMode"},
		{"unknown secret", "secrets: {files: {ZOOM_PASSWORD: zoom-password}}", "ZOOM_PASSWORD"},
		{"created secret without value", "secrets: {create: true, values: {ZOOM_WEBHOOK_SECRET_TOKEN: x}}", "secrets.values.ZOOM_CLIENT_SECRET is missing"},
		{"pdb both", "database: {engine: postgres}\nreplicaCount: 2\npodDisruptionBudget: {minAvailable: 1}", "not both"},
		{"unknown value", "replicaCuont: 2", "replicaCuont"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vals, err := chartutil.ReadValues([]byte(tc.values))
			if err != nil {
				t.Fatal(err)
			}
			_, err = render(c, vals.AsMap(), clusterVersion)
			if err == nil {
				t.Fatalf("rendered; want an error mentioning %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// TestChecksumRollsPods: changing the chart-managed policy or Secret changes the pod template.
func TestChecksumRollsPods(t *testing.T) {
	c := loadChart(t)
	podHash := func(values string) string {
		t.Helper()
		vals, err := chartutil.ReadValues([]byte(values))
		if err != nil {
			t.Fatal(err)
		}
		r, err := render(c, vals.AsMap(), clusterVersion)
		if err != nil {
			t.Fatal(err)
		}
		ann := r.deployments()[0].Spec.Template.Annotations
		return fmt.Sprintf("%x", sha256.Sum256([]byte(ann["checksum/policy"]+"|"+ann["checksum/secret"])))
	}
	base := "policy: {enabled: true, content: 'participants: {signed_in_only: true}'}\nsecrets: {create: true, values: {ZOOM_WEBHOOK_SECRET_TOKEN: a, ZOOM_CLIENT_SECRET: b}}\n"
	h0 := podHash(base)
	if h0 != podHash(base) {
		t.Fatal("the checksums are not stable")
	}
	if h0 == podHash(strings.Replace(base, "signed_in_only: true", "signed_in_only: false", 1)) {
		t.Error("changing the policy does not change the pod template")
	}
	if h0 == podHash(strings.Replace(base, "ZOOM_WEBHOOK_SECRET_TOKEN: a", "ZOOM_WEBHOOK_SECRET_TOKEN: 'new,a'", 1)) {
		t.Error("changing the chart-created Secret does not change the pod template")
	}
}

// TestRenderVariants renders less common but supported values and runs every check on them.
func TestRenderVariants(t *testing.T) {
	c := loadChart(t)
	for _, tc := range []struct{ name, values string }{
		{"existing claim", "persistence: {existingClaim: cohost-old-data}"},
		{"no persistence", "persistence: {enabled: false}"},
		{"own service account", "serviceAccount: {create: false, name: cohost-sa}"},
		{"existing policy ConfigMap with reloader", "policy: {enabled: true, existingConfigMap: my-policy}\nreloader: {enabled: true}"},
		{"no preStop sleep", "lifecycle: {preStopSleep: {enabled: false}}"},
		{"network policy off", "networkPolicy: {enabled: false}"},
		{"agent granter", "config: {agentUrl: 'https://agent.example.com', granters: 'agent,permissions', zoom: {sdkKey: k}}\nsecrets: {files: {ZOOM_SDK_SECRET: s, COHOST_AGENT_SECRET: a}}"},
		{"oauth behind the ingress", "config: {zoom: {authMode: oauth}}\nsecrets: {files: {COHOST_ENCRYPTION_KEY: k}}\ningress: {enabled: true}"},
		{"host client by default, with the portal", "config: {publicUrl: 'https://c.example.com', zoom: {sdkKey: k, signinClientId: id}}\nsecrets: {files: {ZOOM_SDK_SECRET: zoom-sdk-secret, ZOOM_SIGNIN_CLIENT_SECRET: zoom-signin-client-secret}}"},
		{"host client in oauth mode with the app's own credentials", "config: {granters: 'host-client,permissions', publicUrl: 'https://c.example.com', zoom: {authMode: oauth}}\nsecrets: {files: {COHOST_ENCRYPTION_KEY: k}}"},
		{"postgres in its own Secret, minimal", "database: {engine: postgres, postgres: {existingSecret: pg, key: url}}\nreplicaCount: 2"},
		{"custom ports", "containerPorts: {http: 8081, metrics: 9091}\nservice: {port: 8080, metricsPort: 9091}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vals, err := chartutil.ReadValues([]byte(tc.values))
			if err != nil {
				t.Fatal(err)
			}
			r, err := render(c, vals.AsMap(), clusterVersion)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			checkRender(t, r)
		})
	}
}

// TestSecretsAreCohostdsSecrets: every secret cohostd reads (config's r.secret calls, found
// in the service's own source) is one the chart can mount, so a new secret cannot be left out
// of the chart (the host portal's sign-in secret once was).
func TestSecretsAreCohostdsSecrets(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot, "config", "config.go"))
	if err != nil {
		t.Fatal(err)
	}
	found := regexp.MustCompile(`\br\.secret\("([A-Z0-9_]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(found) == 0 {
		t.Fatal("no r.secret(\"…\") in config/config.go: the test no longer finds cohostd's secrets")
	}
	for _, m := range found {
		if !slices.Contains(secretEnvNames, m[1]) {
			t.Errorf("cohostd reads the secret %s; the chart cannot mount it (add it to secrets.files' allowed names and to secretEnvNames)", m[1])
		}
	}
}
