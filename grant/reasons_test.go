package grant_test

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cohost-dev/cohost/grant"
)

// Every Reason constant declared in the package is in the registry, once,
// with a sentence: nothing else lists reasons, so a constant missing from it
// would be shown as its bare code and counted as "other".
func TestReasonRegistryIsComplete(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "reasons.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Reason" {
				continue
			}
			for _, v := range vs.Values {
				if lit, ok := v.(*ast.BasicLit); ok {
					declared[lit.Value[1:len(lit.Value)-1]] = true
				}
			}
		}
	}
	if len(declared) < 10 {
		t.Fatalf("found only %d Reason constants; the parser walk is broken", len(declared))
	}
	seen := map[grant.Reason]bool{}
	for _, r := range grant.Reasons() {
		if seen[r.Code] {
			t.Errorf("reason %q registered twice", r.Code)
		}
		seen[r.Code] = true
		if r.Text == "" || r.Code.Text() != r.Text {
			t.Errorf("reason %q has no text", r.Code)
		}
		if r.Code.Label() != string(r.Code) {
			t.Errorf("reason %q label = %q", r.Code, r.Code.Label())
		}
		if !declared[string(r.Code)] {
			t.Errorf("registered reason %q is not a declared constant", r.Code)
		}
	}
	for code := range declared {
		if !seen[grant.Reason(code)] {
			t.Errorf("reason constant %q is not in the registry", code)
		}
	}
}

func TestReasonLabelIsBounded(t *testing.T) {
	for reason, want := range map[grant.Reason]string{
		grant.ReasonPhoneOnly:                                           "phone_only",
		"agent_rejected: agent answered 403 invalid_zak":                grant.ReasonOther,
		"get meeting: Zoom does not know it (404 Not Found, code 3001)": grant.ReasonOther,
		"": "",
	} {
		if got := reason.Label(); got != want {
			t.Errorf("Label(%q) = %q, want %q", reason, got, want)
		}
	}
	if got := grant.Reason("something odd").Text(); got != "something odd" {
		t.Errorf("an unregistered reason shows as %q", got)
	}
}

var update = flag.Bool("update", false, "rewrite docs/admin-api.md's reasons table from the registry")

// docs/admin-api.md's table of reasons is the registry's, code and sentence.
// go test ./grant -run TestAdminDocListsTheReasons -update rewrites it.
func TestAdminDocListsTheReasons(t *testing.T) {
	const path = "../docs/admin-api.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "<!-- reasons:")
	end := strings.Index(doc, "<!-- end reasons -->")
	if start < 0 || end < start {
		t.Fatal("docs/admin-api.md has no reasons table between its markers")
	}
	var got []string
	for _, line := range strings.Split(doc[start:end], "\n") {
		if strings.HasPrefix(line, "| `") {
			got = append(got, line)
		}
	}
	var want []string
	for _, r := range grant.Reasons() {
		want = append(want, "| `"+string(r.Code)+"` | "+r.Text+" |")
	}
	if *update {
		rowsStart := strings.Index(doc[start:], "|---|---|") + start + len("|---|---|\n")
		doc = doc[:rowsStart] + strings.Join(want, "\n") + "\n" + doc[end:]
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("docs/admin-api.md reasons:\n%s\nwant (from grant/reasons.go):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
