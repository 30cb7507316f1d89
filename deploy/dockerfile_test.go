package deploy

import (
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"
)

// There is no container engine where these tests run: the Dockerfile is checked statically, and
// its go build line is run as written.

const repoRoot = ".."

type instruction struct {
	cmd  string // upper case: FROM, RUN, …
	args string // the rest, continuation lines joined
	line int
}

type stage struct {
	from, name string
	body       []instruction
}

// parseDockerfile splits a Dockerfile into its global ARGs and its stages. It knows what this
// repository's Dockerfile uses: comments, backslash continuations, FROM … AS name.
func parseDockerfile(t *testing.T, text string) (globalArgs map[string]string, stages []stage) {
	t.Helper()
	globalArgs = map[string]string{}
	var cur strings.Builder
	start := 0
	var insts []instruction
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if strings.HasPrefix(line, "#") || line == "" && cur.Len() == 0 {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if cont, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(line)
		full := strings.TrimSpace(cur.String())
		cur.Reset()
		if full == "" {
			continue
		}
		cmd, args, _ := strings.Cut(full, " ")
		insts = append(insts, instruction{strings.ToUpper(cmd), strings.TrimSpace(args), start})
	}
	for _, in := range insts {
		switch {
		case in.cmd == "FROM":
			f := strings.Fields(in.args)
			f = slices.DeleteFunc(f, func(s string) bool { return strings.HasPrefix(s, "--platform=") })
			s := stage{from: expandArgs(f[0], globalArgs)}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
		case len(stages) == 0:
			if in.cmd != "ARG" {
				t.Errorf("line %d: %s before the first FROM", in.line, in.cmd)
			}
			name, def, _ := strings.Cut(in.args, "=")
			globalArgs[name] = def
		default:
			stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
		}
	}
	return globalArgs, stages
}

func expandArgs(s string, args map[string]string) string {
	return os.Expand(s, func(k string) string { return args[k] })
}

func (s stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s.body {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

func (s stage) declares(arg string) bool {
	for _, in := range s.all("ARG") {
		if name, _, _ := strings.Cut(in.args, "="); name == arg {
			return true
		}
	}
	return false
}

// goBuildLine returns the go build command of the build stage's RUN, without RUN's flags.
func goBuildLine(t *testing.T, s stage) string {
	t.Helper()
	for _, in := range s.all("RUN") {
		if !strings.Contains(in.args, "go build") {
			continue
		}
		f := strings.Fields(in.args)
		for len(f) > 0 && strings.HasPrefix(f[0], "--") {
			f = f[1:]
		}
		return strings.Join(f, " ")
	}
	t.Fatal("no RUN with go build in the build stage")
	return ""
}

func TestDockerfile(t *testing.T) {
	global, stages := parseDockerfile(t, readFile(t, filepath.Join(repoRoot, "Dockerfile")))
	if len(stages) != 2 {
		t.Fatalf("%d stages, want 2 (build, runtime)", len(stages))
	}
	build, runtime := stages[0], stages[1]

	// The builder's Go is the go.mod's.
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(readFile(t, filepath.Join(repoRoot, "go.mod")))
	if m == nil {
		t.Fatal("no go directive in go.mod")
	}
	if build.from != "golang:"+m[1] || build.name == "" {
		t.Errorf("build stage FROM %s AS %q, want golang:%s AS <name> (GO_VERSION=%s)", build.from, build.name, m[1], global["GO_VERSION"])
	}
	line := goBuildLine(t, build)
	for _, want := range []string{
		"CGO_ENABLED=0", "-trimpath", `-ldflags "-s -w -X main.version=$VERSION -X main.commit=$COMMIT"`,
		"-o /cohostd ./cmd/cohostd",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("go build line lacks %s: %s", want, line)
		}
	}
	for _, arg := range []string{"VERSION", "COMMIT"} {
		if !build.declares(arg) {
			t.Errorf("build stage does not declare ARG %s", arg)
		}
	}

	if runtime.from != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("runtime stage FROM %s, want gcr.io/distroless/static-debian12:nonroot", runtime.from)
	}
	if runs := runtime.all("RUN"); len(runs) > 0 {
		t.Errorf("runtime stage has RUN at line %d: distroless has no shell", runs[0].line)
	}
	users := runtime.all("USER")
	if len(users) == 0 {
		t.Fatal("runtime stage has no USER: it would run as root")
	}
	if u := users[len(users)-1].args; u != "65532:65532" && u != "65532" && u != "nonroot" && u != "nonroot:nonroot" {
		t.Errorf("USER %s, want 65532 (distroless nonroot)", u)
	}
	uid := readChartDefaults(t)["securityContext"].(map[string]any)["runAsUser"]
	if uid != float64(65532) {
		t.Errorf("chart runs as %v, the image as 65532", uid)
	}
	entry := runtime.all("ENTRYPOINT")
	if len(entry) != 1 {
		t.Fatalf("%d ENTRYPOINTs, want 1", len(entry))
	}
	var argv []string
	if err := json.Unmarshal([]byte(entry[0].args), &argv); err != nil || len(argv) == 0 || argv[0] != "/cohostd" {
		t.Errorf("ENTRYPOINT %s: want the exec form [\"/cohostd\"] (no shell)", entry[0].args)
	}
	var copied bool
	for _, c := range runtime.all("COPY") {
		copied = copied || strings.Contains(c.args, "--from="+build.name) && strings.Contains(c.args, "/cohostd /cohostd")
	}
	if !copied {
		t.Error("runtime stage does not copy /cohostd from the build stage")
	}
	var exposed []string
	for _, e := range runtime.all("EXPOSE") {
		exposed = append(exposed, strings.Fields(e.args)...)
	}
	ports := readChartDefaults(t)["containerPorts"].(map[string]any)
	for _, p := range []any{ports["http"], ports["metrics"]} {
		want := jsonString(p)
		if !slices.Contains(exposed, want) && !slices.Contains(exposed, want+"/tcp") {
			t.Errorf("EXPOSE %v lacks the chart's port %s", exposed, want)
		}
	}
	for _, v := range runtime.all("VOLUME") {
		t.Errorf("VOLUME %s: anonymous volumes surprise operators; mount /data explicitly", v.args)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func readChartDefaults(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := yaml.Unmarshal([]byte(readFile(t, filepath.Join(chartDir, "values.yaml"))), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDockerignore(t *testing.T) {
	ignore := strings.Fields(readFile(t, filepath.Join(repoRoot, ".dockerignore")))
	for _, want := range []string{".git", "deploy", "**/*.db"} {
		if !slices.Contains(ignore, want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
	for _, keep := range []string{"go.mod", "go.sum", "cmd", "*.go", "**/*.go", "*"} {
		if slices.Contains(ignore, keep) {
			t.Errorf(".dockerignore drops %s, which the build needs", keep)
		}
	}
}

var (
	cohostdOnce sync.Once
	cohostdPath string
	cohostdErr  error
	cohostdDir  string
)

// Version and commit the test build stamps, as the build args would.
const (
	stampVersion = "v9.8.7-test"
	stampCommit  = "0123abc"
)

// cohostdBinary builds cohostd once per test run with the Dockerfile's go build line, as written.
func cohostdBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not building cohostd")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain on PATH")
	}
	cohostdOnce.Do(func() {
		_, stages := parseDockerfile(t, readFile(t, filepath.Join(repoRoot, "Dockerfile")))
		line := goBuildLine(t, stages[0])
		if cohostdDir, cohostdErr = os.MkdirTemp("", "cohost-deploy-test-"); cohostdErr != nil {
			return
		}
		out := filepath.Join(cohostdDir, "cohostd")
		cmdline := strings.Replace(line, "-o /cohostd", "-o "+out, 1)
		cmd := exec.Command("sh", "-c", cmdline)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "VERSION="+stampVersion, "COMMIT="+stampCommit, "TARGETOS=", "TARGETARCH=", "GOWORK=off")
		if b, err := cmd.CombinedOutput(); err != nil {
			cohostdErr = fmt.Errorf("%s\n%s: %w", cmdline, b, err)
			return
		}
		cohostdPath = out
	})
	if cohostdErr != nil {
		t.Fatal(cohostdErr)
	}
	return cohostdPath
}

// TestDockerfileGoBuild runs the Dockerfile's go build line as written (VERSION and COMMIT as
// build args would set them) and checks the binary: static, CGO off, version stamped.
func TestDockerfileGoBuild(t *testing.T) {
	out := cohostdBinary(t)
	info, err := exec.Command("go", "version", "-m", out).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, info)
	}
	// -trimpath keeps -ldflags out of the build info: the version check below covers them.
	for _, want := range []string{"build\tCGO_ENABLED=0", "build\t-trimpath=true"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("go version -m lacks %q:\n%s", want, info)
		}
	}

	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary is dynamically linked (%v): it would not run on distroless/static", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs %v", libs)
	}

	v, err := exec.Command(out, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("cohostd version: %v\n%s", err, v)
	}
	if !strings.Contains(string(v), stampVersion) || !strings.Contains(string(v), stampCommit) {
		t.Errorf("cohostd version printed %q, want the stamped %s and %s", v, stampVersion, stampCommit)
	}
}
