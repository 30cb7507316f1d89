package deploy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	corev1 "k8s.io/api/core/v1"
)

// Label values the expressions match on, where cohostd documents a closed set.
var labelValues = map[string][]string{
	"cohost_webhook_requests_total/outcome":    {"accepted", "duplicate", "ignored", "rejected_signature", "rejected_timestamp", "rejected_body", "rejected_future", "too_large", "wrong_method", "store_unavailable", "url_validation"},
	"cohost_grants_total/outcome":              {"granted", "confirmed", "skipped", "failed"},
	"cohost_grants_total/granter":              {"agent", "permissions", "alternative-hosts"},
	"cohost_time_to_cohost_seconds/stage":      {"granted", "confirmed"},
	"cohost_zoom_token_requests_total/result":  {"success", "rejected", "error"},
	"cohost_zoom_rate_limit_pauses_total/kind": {"qps", "daily", "daily_unpaused"},
	"cohost_jobs_failed_total/end":             {"cancelled", "discarded"},
	"cohost_queue_jobs/state":                  {"available", "scheduled", "running", "retryable", "completed", "discarded", "cancelled", "pending"},
}

// Labels the scrape adds to every series. The ServiceMonitor's own "endpoint" label (the port
// name) is not among them: the chart relabels it away, because the Zoom metrics use "endpoint".
var targetLabels = []string{"namespace", "job", "instance", "pod", "service", "container"}

// The metrics the dashboard must show (the others may).
var dashboardMetrics = []string{
	"cohost_webhook_requests_total", "cohost_webhook_ack_seconds", "cohost_queue_jobs", "cohost_build_info",
	"cohost_grants_total", "cohost_grants_pending", "cohost_time_to_cohost_seconds", "cohost_meetings_live",
	"cohost_zoom_requests_total", "cohost_zoom_request_duration_seconds", "cohost_zoom_token_requests_total",
	"cohost_zoom_rate_limit_pauses_total",
}

var otherMetrics = map[string][]string{
	"up":                    {},
	"kube_pod_status_ready": {"condition"},
	// client_golang's process collector, which cohostd registers.
	"process_resident_memory_bytes": {},
	"process_cpu_seconds_total":     {},
}

// The alerts the chart must ship (issue 7).
var requiredAlerts = []string{
	"CohostWebhookRejectionsHigh",       // webhook rejections spike
	"CohostGrantsFailing",               // grants failing
	"CohostQueueBacklog",                // queue backlog
	"CohostZoomTokenRefreshFailing",     // token refresh failures
	"CohostNoWebhooksWhileMeetingsLive", // silence while meetings are live
	"CohostPodNotReady",                 // pod not ready
	"CohostJobsDiscarded",               // jobs that gave up after their last attempt
	"CohostJobRetriesPilingUp",          // job attempts failing and retried
}

var promqlParser = parser.NewParser(parser.Options{})

// checkPromQL parses expr and checks every selector, grouping and matching label against the
// known metrics. It returns the metric names used.
func checkPromQL(t reporter, where, expr string) []string {
	t.Helper()
	ast, err := promqlParser.ParseExpr(expr)
	if err != nil {
		t.Errorf("%s: PromQL does not parse: %v\n%s", where, err, expr)
		return nil
	}
	ms := cohostMetrics(t)
	var used []string
	var usedLabels []string
	parser.Inspect(ast, func(node parser.Node, _ []parser.Node) error {
		switch n := node.(type) {
		case *parser.VectorSelector:
			name := n.Name
			base, known := metricBase(ms, name)
			if !known {
				t.Errorf("%s: unknown metric %q", where, name)
				return nil
			}
			used = append(used, name)
			for _, m := range n.LabelMatchers {
				if m.Name == model.MetricNameLabel {
					continue
				}
				if !labelKnown(ms, base, name, m.Name) {
					t.Errorf("%s: %s has no label %q", where, name, m.Name)
				}
				if vals, ok := labelValues[base+"/"+m.Name]; ok {
					for _, v := range strings.Split(strings.Trim(m.Value, "()"), "|") {
						if !slices.Contains(vals, v) {
							t.Errorf("%s: %s{%s} never has the value %q (known: %v)", where, base, m.Name, v, vals)
						}
					}
				}
			}
		case *parser.AggregateExpr:
			usedLabels = append(usedLabels, n.Grouping...)
		case *parser.BinaryExpr:
			if n.VectorMatching != nil {
				usedLabels = append(usedLabels, n.VectorMatching.MatchingLabels...)
			}
		}
		return nil
	})
	for _, l := range usedLabels {
		var ok bool
		for _, name := range used {
			base, _ := metricBase(ms, name)
			ok = ok || labelKnown(ms, base, name, l)
		}
		if !ok {
			t.Errorf("%s: groups or matches by %q, which none of %v has", where, l, used)
		}
	}
	return used
}

// metricBase maps a series name (with _bucket/_sum/_count of histograms) to its metric.
func metricBase(ms map[string]metricDef, name string) (string, bool) {
	if d, ok := ms[name]; ok && !d.histogram {
		return name, true
	}
	if _, ok := otherMetrics[name]; ok {
		return name, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if d, ok := ms[strings.TrimSuffix(name, suffix)]; ok && d.histogram && strings.HasSuffix(name, suffix) {
			return strings.TrimSuffix(name, suffix), true
		}
	}
	return name, false
}

func labelKnown(ms map[string]metricDef, base, name, label string) bool {
	if slices.Contains(targetLabels, label) || slices.Contains(ms[base].labels, label) || slices.Contains(otherMetrics[base], label) {
		return true
	}
	return label == "le" && strings.HasSuffix(name, "_bucket")
}

// checkRules checks the rendered PrometheusRule: required alerts, valid PromQL on known metrics
// scoped to this release, durations, severities, and runbook links to existing sections.
func checkRules(t reporter, pr *prometheusRule, svc *corev1.Service) {
	t.Helper()
	anchors := docAnchors(t)
	seen := map[string]bool{}
	for _, g := range pr.Spec.Groups {
		for _, r := range g.Rules {
			where := "alert " + r.Alert
			if r.Alert == "" {
				where = "record " + r.Record
			}
			if seen[where] {
				t.Errorf("%s defined twice", where)
			}
			seen[where] = true
			used := checkPromQL(t, where, r.Expr)
			if r.Alert == "" {
				continue
			}
			// Each alert watches this release only: the Service's job and namespace.
			if slices.ContainsFunc(used, func(n string) bool { return strings.HasPrefix(n, "cohost_") || n == "up" }) {
				if !strings.Contains(r.Expr, fmt.Sprintf("job=%q", svc.Name)) || !strings.Contains(r.Expr, fmt.Sprintf("namespace=%q", svc.Namespace)) {
					t.Errorf("%s does not select job=%q and namespace=%q:\n%s", where, svc.Name, svc.Namespace, r.Expr)
				}
			}
			if r.For != "" {
				if _, err := model.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", where, r.For, err)
				}
			}
			if !slices.Contains([]string{"critical", "warning", "info"}, r.Labels["severity"]) {
				t.Errorf("%s: severity %q", where, r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: summary or description missing", where)
			}
			checkAlertTemplate(t, where, r.Annotations["description"])
			url := r.Annotations["runbook_url"]
			_, anchor, ok := strings.Cut(url, "#")
			if !ok || !strings.Contains(url, "docs/operations.md") {
				t.Errorf("%s: runbook_url %q does not point into docs/operations.md", where, url)
			} else if !anchors[anchor] {
				t.Errorf("%s: runbook_url anchor #%s is no heading of docs/operations.md", where, anchor)
			}
		}
	}
	for _, a := range requiredAlerts {
		if !seen["alert "+a] {
			t.Errorf("alert %s missing", a)
		}
	}
}

// checkAlertTemplate: Prometheus expands {{ $labels.x }} and {{ $value }} in annotations; Helm
// must have left them in place.
func checkAlertTemplate(t reporter, where, s string) {
	t.Helper()
	for _, m := range regexp.MustCompile(`\{\{(.*?)\}\}`).FindAllStringSubmatch(s, -1) {
		inner := strings.TrimSpace(m[1])
		if !strings.HasPrefix(inner, "$labels.") && !strings.HasPrefix(inner, "$value") {
			t.Errorf("%s: annotation template {{%s}} uses neither $labels nor $value", where, m[1])
		}
	}
	if strings.Count(s, "{{") != strings.Count(s, "}}") {
		t.Errorf("%s: unbalanced template braces in %q", where, s)
	}
}

// docAnchors returns the GitHub anchors of the headings of docs/operations.md.
func docAnchors(t reporter) map[string]bool {
	t.Helper()
	anchors := map[string]bool{}
	for _, line := range strings.Split(readFile(t, "../docs/operations.md"), "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		anchors[githubAnchor(title)] = true
	}
	return anchors
}

// githubAnchor is GitHub's slug of a heading: lower case, punctuation dropped, spaces to dashes.
func githubAnchor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		case r > 127 && r != '→':
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestGitHubAnchor(t *testing.T) {
	for title, want := range map[string]string{
		"CohostQueueBacklog":                          "cohostqueuebacklog",
		"SQLite → PostgreSQL migration":               "sqlite--postgresql-migration",
		"Rotating the webhook secret (zero downtime)": "rotating-the-webhook-secret-zero-downtime",
	} {
		if got := githubAnchor(title); got != want {
			t.Errorf("githubAnchor(%q) = %q, want %q", title, got, want)
		}
	}
}

// TestAlertRulesExtra renders the rules with extra rules appended.
func TestAlertRulesExtra(t *testing.T) {
	vals := map[string]any{"metrics": map[string]any{"prometheusRule": map[string]any{
		"enabled": true,
		"additionalRules": []any{map[string]any{
			"alert": "CohostExtra", "expr": `sum(cohost_grants_pending) > 1000`,
			"labels": map[string]any{"severity": "info"},
		}},
	}}}
	r, err := render(loadChart(t), vals, clusterVersion)
	if err != nil {
		t.Fatal(err)
	}
	prs := r.prometheusRules()
	if len(prs) != 1 {
		t.Fatalf("%d PrometheusRules, want 1", len(prs))
	}
	var found bool
	for _, g := range prs[0].Spec.Groups {
		for _, rl := range g.Rules {
			found = found || rl.Alert == "CohostExtra"
		}
	}
	if !found {
		t.Error("additionalRules are not rendered")
	}
}

// TestDashboardFile checks the Grafana dashboard in the chart's files/.
func TestDashboardFile(t *testing.T) {
	checkDashboardJSON(t, readFile(t, chartDir+"/files/cohost-dashboard.json"))
}

type grafanaPanel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource map[string]any           `json:"datasource"`
	GridPos    struct{ H, W, X, Y int } `json:"gridPos"`
	Targets    []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"`
}

func checkDashboardJSON(t reporter, data string) {
	t.Helper()
	var d struct {
		UID           string         `json:"uid"`
		Title         string         `json:"title"`
		SchemaVersion int            `json:"schemaVersion"`
		Panels        []grafanaPanel `json:"panels"`
		Templating    struct {
			List []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 30 {
		t.Errorf("dashboard uid %q, title %q, schemaVersion %d", d.UID, d.Title, d.SchemaVersion)
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	for _, v := range []string{"datasource", "namespace", "job"} {
		if !vars[v] {
			t.Errorf("dashboard variable $%s missing", v)
		}
	}
	// Grafana's variables, replaced by what they expand to before parsing.
	expand := strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$namespace", "ns", "$job", "job")
	used := map[string]bool{}
	ids := map[int]bool{}
	var walk func([]grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			if ids[p.ID] {
				t.Errorf("panel id %d used twice", p.ID)
			}
			ids[p.ID] = true
			if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("panel %q: gridPos %+v", p.Title, p.GridPos)
			}
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, tg := range p.Targets {
				where := fmt.Sprintf("panel %q %s", p.Title, tg.RefID)
				if !strings.Contains(tg.Expr, `namespace="$namespace"`) || !strings.Contains(tg.Expr, `job="$job"`) {
					t.Errorf("%s is not scoped by $namespace and $job: %s", where, tg.Expr)
				}
				for _, m := range checkPromQL(t, where, expand.Replace(tg.Expr)) {
					base, _ := metricBase(cohostMetrics(t), m)
					used[base] = true
				}
			}
		}
	}
	walk(d.Panels)
	for _, m := range dashboardMetrics {
		if !used[m] {
			t.Errorf("the dashboard shows nothing of %s", m)
		}
	}
}

// TestPromQLCheckerCatchesMistakes keeps the checker honest.
func TestPromQLCheckerCatchesMistakes(t *testing.T) {
	for _, expr := range []string{
		`sum(rate(cohost_webhook_request_total[5m]))`,                // misspelt metric
		`sum(rate(cohost_webhook_requests_total{outcom="x"}[5m]))`,   // unknown label
		`sum(rate(cohost_grants_total{outcome="denied"}[5m]))`,       // unknown value
		`sum by (granter) (rate(cohost_webhook_requests_total[5m]))`, // grouping label it lacks
		`sum(rate(cohost_webhook_requests_total[5m])`,                // syntax
	} {
		var rec recorder
		checkPromQL(&rec, "probe", expr)
		if !rec.failed() {
			t.Errorf("checkPromQL accepted %s", expr)
		}
	}
}

// TestOperationsLinks: every in-page link of docs/operations.md leads to one of its headings
// (the alerts' runbook links are checked with the rules).
func TestOperationsLinks(t *testing.T) {
	anchors := docAnchors(t)
	for _, m := range regexp.MustCompile(`\]\(#([^)]+)\)`).FindAllStringSubmatch(readFile(t, "../docs/operations.md"), -1) {
		if !anchors[m[1]] {
			t.Errorf("link #%s leads to no heading", m[1])
		}
	}
}
