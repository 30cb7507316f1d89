package deploy

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/yaml"
)

const (
	chartDir = "helm/cohost"
	// The release the ci/ values are rendered as: its name differs from the chart's, so the
	// rendered names are "<release>-cohost".
	releaseName = "zoom"
	namespace   = "cohost"
	// A cluster with the native preStop sleep action (beta and on by default since 1.30).
	clusterVersion = "v1.33.0"
)

// The Prometheus Operator's objects, decoded strictly into the fields the chart may set: a field
// the chart renders that is not here fails the test, as a misspelt field would fail at apply time.
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector          metav1.LabelSelector `json:"selector"`
		NamespaceSelector struct {
			MatchNames []string `json:"matchNames,omitempty"`
			Any        bool     `json:"any,omitempty"`
		} `json:"namespaceSelector"`
		Endpoints []struct {
			Port              string           `json:"port"`
			Path              string           `json:"path"`
			Scheme            string           `json:"scheme"`
			Interval          string           `json:"interval"`
			ScrapeTimeout     string           `json:"scrapeTimeout"`
			Relabelings       []map[string]any `json:"relabelings,omitempty"`
			MetricRelabelings []map[string]any `json:"metricRelabelings,omitempty"`
		} `json:"endpoints"`
	} `json:"spec"`
}

type prometheusRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []rule `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

type rule struct {
	Alert       string            `json:"alert,omitempty"`
	Record      string            `json:"record,omitempty"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// rendered is one render of the chart, every object decoded into its type.
type rendered struct {
	values   map[string]any
	notes    string
	objects  []runtime.Object // in manifest order; monitoring objects as *serviceMonitor, *prometheusRule
	rawByKey map[string]string
}

func (r *rendered) deployments() []*appsv1.Deployment { return objectsOf[*appsv1.Deployment](r) }
func (r *rendered) services() []*corev1.Service       { return objectsOf[*corev1.Service](r) }
func (r *rendered) pdbs() []*policyv1.PodDisruptionBudget {
	return objectsOf[*policyv1.PodDisruptionBudget](r)
}
func (r *rendered) hpas() []*autoscalingv2.HorizontalPodAutoscaler {
	return objectsOf[*autoscalingv2.HorizontalPodAutoscaler](r)
}
func (r *rendered) pvcs() []*corev1.PersistentVolumeClaim {
	return objectsOf[*corev1.PersistentVolumeClaim](r)
}
func (r *rendered) networkPolicies() []*networkingv1.NetworkPolicy {
	return objectsOf[*networkingv1.NetworkPolicy](r)
}
func (r *rendered) ingresses() []*networkingv1.Ingress { return objectsOf[*networkingv1.Ingress](r) }
func (r *rendered) configMaps() []*corev1.ConfigMap    { return objectsOf[*corev1.ConfigMap](r) }
func (r *rendered) secrets() []*corev1.Secret          { return objectsOf[*corev1.Secret](r) }
func (r *rendered) serviceMonitors() []*serviceMonitor { return objectsOf[*serviceMonitor](r) }
func (r *rendered) prometheusRules() []*prometheusRule { return objectsOf[*prometheusRule](r) }
func (r *rendered) serviceAccounts() []*corev1.ServiceAccount {
	return objectsOf[*corev1.ServiceAccount](r)
}

func objectsOf[T runtime.Object](r *rendered) []T {
	var out []T
	for _, o := range r.objects {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// value reads a dotted path of the values the chart was rendered with (chart defaults included).
func (r *rendered) value(path string) any {
	v, err := chartutil.Values(r.values).PathValue(path)
	if err != nil {
		return nil
	}
	return v
}

func (r *rendered) postgres() bool { return r.value("database.engine") == "postgres" }

var strictDecoder = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, policyv1.AddToScheme,
		networkingv1.AddToScheme, autoscalingv2.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}()

// reporter is the part of testing.T the checks use, so that a test can run them on a recorder
// and prove that they catch what they claim to.
type reporter interface {
	Helper()
	Error(args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// recorder is a reporter that remembers what it was told; Fatalf stops the check by panicking
// with stopped{}, which run recovers.
type recorder struct{ errors []string }

type stopped struct{}

func (*recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Error(args ...any) { r.errors = append(r.errors, fmt.Sprint(args...)) }
func (r *recorder) Fatal(args ...any) {
	r.Error(args...)
	panic(stopped{})
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(stopped{})
}
func (r *recorder) failed() bool { return len(r.errors) > 0 }

// run calls check with the recorder, stopping at its first Fatalf.
func (r *recorder) run(check func(reporter)) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(stopped); !ok {
				panic(v)
			}
		}
	}()
	check(r)
}

// TestMain silences Helm's linter and renderer, which log through the standard logger.
func TestMain(m *testing.M) {
	log.SetOutput(io.Discard)
	code := m.Run()
	if cohostdDir != "" {
		os.RemoveAll(cohostdDir)
	}
	os.Exit(code)
}

func loadChart(t testing.TB) *chart.Chart {
	t.Helper()
	c, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	return c
}

// ciValuesFiles lists the chart's ci/*-values.yaml.
func ciValuesFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*-values.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no values files in %s/ci: %v", chartDir, err)
	}
	sort.Strings(files)
	return files
}

func readValues(t testing.TB, file string) map[string]any {
	t.Helper()
	if file == "" {
		return map[string]any{}
	}
	v, err := chartutil.ReadValuesFile(file)
	if err != nil {
		t.Fatalf("read %s: %v", file, err)
	}
	return v.AsMap()
}

// render renders the chart as `helm template` does (client only, no cluster), against a
// cluster of version kubeVersion ("" for Helm's default) that serves the Prometheus Operator's API.
func render(c *chart.Chart, vals map[string]any, kubeVersion string) (*rendered, error) {
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.ClientOnly = true
	install.DryRun = true
	install.Replace = true
	install.ReleaseName = releaseName
	install.Namespace = namespace
	install.APIVersions = chartutil.VersionSet{"monitoring.coreos.com/v1"}
	if kubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(kubeVersion)
		if err != nil {
			return nil, err
		}
		install.KubeVersion = kv
	}
	rel, err := install.Run(c, vals)
	if err != nil {
		return nil, err
	}
	if len(rel.Hooks) > 0 {
		return nil, fmt.Errorf("the chart renders %d hooks; the tests expect none", len(rel.Hooks))
	}
	// The values the templates saw: the chart's defaults coalesced with vals.
	merged, err := chartutil.CoalesceValues(c, vals)
	if err != nil {
		return nil, err
	}
	r := &rendered{values: merged, notes: rel.Info.Notes, rawByKey: map[string]string{}}
	docs := releaseutil.SplitManifests(rel.Manifest)
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	// SplitManifests names the documents manifest-0, manifest-1, … .
	slices.SortFunc(keys, func(a, b string) int {
		ai, _ := strconv.Atoi(strings.TrimPrefix(a, "manifest-"))
		bi, _ := strconv.Atoi(strings.TrimPrefix(b, "manifest-"))
		return ai - bi
	})
	for _, k := range keys {
		obj, err := decodeStrict([]byte(docs[k]))
		if err != nil {
			return nil, fmt.Errorf("%w\n--- document:\n%s", err, docs[k])
		}
		r.objects = append(r.objects, obj)
		r.rawByKey[objectKey(obj)] = docs[k]
	}
	return r, nil
}

// decodeStrict decodes one YAML document into its Kubernetes type; unknown or duplicate fields
// and unexpected kinds are errors.
func decodeStrict(doc []byte) (runtime.Object, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, fmt.Errorf("read apiVersion/kind: %w", err)
	}
	switch tm.APIVersion + "/" + tm.Kind {
	case "monitoring.coreos.com/v1/ServiceMonitor":
		var sm serviceMonitor
		if err := yaml.UnmarshalStrict(doc, &sm); err != nil {
			return nil, fmt.Errorf("decode ServiceMonitor strictly: %w", err)
		}
		return &sm, nil
	case "monitoring.coreos.com/v1/PrometheusRule":
		var pr prometheusRule
		if err := yaml.UnmarshalStrict(doc, &pr); err != nil {
			return nil, fmt.Errorf("decode PrometheusRule strictly: %w", err)
		}
		return &pr, nil
	}
	obj, gvk, err := strictDecoder.Decode(doc, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("decode %s %s strictly: %w", tm.APIVersion, tm.Kind, err)
	}
	if gvk.GroupVersion().String() != tm.APIVersion || gvk.Kind != tm.Kind {
		return nil, fmt.Errorf("decoded %v from %s %s", gvk, tm.APIVersion, tm.Kind)
	}
	return obj, nil
}

func (sm *serviceMonitor) DeepCopyObject() runtime.Object { c := *sm; return &c }
func (pr *prometheusRule) DeepCopyObject() runtime.Object { c := *pr; return &c }

func objectKey(o runtime.Object) string {
	m, err := metaOf(o)
	if err != nil {
		return fmt.Sprintf("%T", o)
	}
	return fmt.Sprintf("%s/%s/%s", kindOf(o), m.GetNamespace(), m.GetName())
}

func kindOf(o runtime.Object) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", o), "*")
}

func metaOf(o runtime.Object) (metav1.Object, error) {
	switch v := o.(type) {
	case *serviceMonitor:
		return &v.ObjectMeta, nil
	case *prometheusRule:
		return &v.ObjectMeta, nil
	case metav1.Object:
		return v, nil
	}
	return nil, fmt.Errorf("%T has no metadata", o)
}

// ciRender is one values file of ci/ and its render.
type ciRender struct {
	name string
	*rendered
}

// ciRenders caches the renders of ci/, which the tests only read (a test that changes a render
// makes its own).
var ciRenders = map[string]*ciRender{}

// renderCI renders every ci/ values file, once for the whole test binary.
func renderCI(t *testing.T) []*ciRender {
	t.Helper()
	c := loadChart(t)
	var out []*ciRender
	for _, f := range ciValuesFiles(t) {
		name := strings.TrimSuffix(filepath.Base(f), "-values.yaml")
		if r, ok := ciRenders[name]; ok {
			out = append(out, r)
			continue
		}
		r, err := render(c, readValues(t, f), clusterVersion)
		if err != nil {
			t.Fatalf("render %s: %v", f, err)
		}
		cr := &ciRender{name: name, rendered: r}
		ciRenders[name] = cr
		out = append(out, cr)
	}
	return out
}

func readFile(t reporter, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(b)
}
