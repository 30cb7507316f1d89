package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// metricDef is a metric as cohostd's source defines it.
type metricDef struct {
	histogram bool
	labels    []string
	where     string // file:line
}

var (
	sourceMetricsOnce sync.Once
	sourceMetricsMap  map[string]metricDef
	sourceMetricsErr  error
)

// cohostMetrics reads the metrics cohostd defines from the service's own source, so that the
// alerts and the dashboard are checked against what the binary exports, not against a copy of
// its names that could drift. It finds the client_golang constructors with a literal name:
// prometheus.New{Counter,Gauge,Histogram,Summary}[Vec](…Opts{Name: "…"}, []string{…}) and
// prometheus.NewDesc("…", help, []string{…}, …).
func cohostMetrics(t reporter) map[string]metricDef {
	t.Helper()
	sourceMetricsOnce.Do(func() { sourceMetricsMap, sourceMetricsErr = scanMetrics(repoRoot) })
	if sourceMetricsErr != nil {
		t.Fatalf("scan the service's metrics: %v", sourceMetricsErr)
	}
	return sourceMetricsMap
}

func scanMetrics(root string) (map[string]metricDef, error) {
	out := map[string]metricDef{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || hasGoMod(path)) {
				return filepath.SkipDir // other modules (deploy/ itself) and non-code
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil // a file being edited elsewhere; the service's own build reports it
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok || pkg.Name != "prometheus" {
				return true
			}
			var name string
			var labels []string
			switch fn := sel.Sel.Name; fn {
			case "NewCounter", "NewGauge", "NewHistogram", "NewSummary",
				"NewCounterVec", "NewGaugeVec", "NewHistogramVec", "NewSummaryVec":
				if len(call.Args) == 0 {
					return true
				}
				name = optsName(call.Args[0])
				if strings.HasSuffix(fn, "Vec") && len(call.Args) > 1 {
					labels = stringList(call.Args[1])
				}
			case "NewDesc":
				if len(call.Args) < 3 {
					return true
				}
				name = stringLit(call.Args[0])
				labels = stringList(call.Args[2])
			default:
				return true
			}
			if !strings.HasPrefix(name, "cohost_") {
				return true
			}
			out[name] = metricDef{
				histogram: strings.HasPrefix(sel.Sel.Name, "NewHistogram"),
				labels:    labels,
				where:     fset.Position(call.Pos()).String(),
			}
			return true
		})
		return nil
	})
	return out, err
}

func hasGoMod(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "go.mod"))
	return err == nil
}

func optsName(e ast.Expr) string {
	if u, ok := e.(*ast.UnaryExpr); ok { // &prometheus.CounterOpts{…}
		e = u.X
	}
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return ""
	}
	for _, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Name" {
				return stringLit(kv.Value)
			}
		}
	}
	return ""
}

func stringLit(e ast.Expr) string {
	if b, ok := e.(*ast.BasicLit); ok && b.Kind == token.STRING {
		if s, err := strconv.Unquote(b.Value); err == nil {
			return s
		}
	}
	return ""
}

func stringList(e ast.Expr) []string {
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil
	}
	var out []string
	for _, el := range lit.Elts {
		out = append(out, stringLit(el))
	}
	return out
}

// TestServiceMetrics: the scan finds the metrics every deployment depends on.
func TestServiceMetrics(t *testing.T) {
	ms := cohostMetrics(t)
	for _, name := range []string{"cohost_webhook_requests_total", "cohost_webhook_ack_seconds", "cohost_build_info", "cohost_queue_jobs"} {
		if _, ok := ms[name]; !ok {
			t.Errorf("the service defines no %s", name)
		}
	}
	if d := ms["cohost_webhook_ack_seconds"]; !d.histogram {
		t.Error("cohost_webhook_ack_seconds is not seen as a histogram")
	}
	if d := ms["cohost_webhook_requests_total"]; !slices.Equal(d.labels, []string{"event", "outcome"}) {
		t.Errorf("cohost_webhook_requests_total labels %v", d.labels)
	}
	names := mapKeys(ms)
	t.Logf("%d metrics: %s", len(names), strings.Join(names, ", "))
}
