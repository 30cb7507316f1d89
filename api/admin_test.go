package api

import (
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cohost-dev/cohost/grant"
)

// adminSchema is the part of an OpenAPI schema the admin tests look at.
type adminSchema struct {
	Ref                  string                 `yaml:"$ref"`
	Type                 string                 `yaml:"type"`
	Format               string                 `yaml:"format"`
	Required             []string               `yaml:"required"`
	Properties           map[string]adminSchema `yaml:"properties"`
	Items                *adminSchema           `yaml:"items"`
	AdditionalProperties *adminSchema           `yaml:"additionalProperties"`
	Enum                 []string               `yaml:"enum"`
}

type adminResponse struct {
	Ref     string               `yaml:"$ref"`
	Headers map[string]yaml.Node `yaml:"headers"`
	Content map[string]struct {
		Schema adminSchema `yaml:"schema"`
	} `yaml:"content"`
}

type adminParameter struct {
	Ref    string      `yaml:"$ref"`
	Name   string      `yaml:"name"`
	In     string      `yaml:"in"`
	Schema adminSchema `yaml:"schema"`
}

type adminOperation struct {
	OperationID string                   `yaml:"operationId"`
	Responses   map[string]adminResponse `yaml:"responses"`
	Parameters  []adminParameter         `yaml:"parameters"`
}

type adminDoc struct {
	OpenAPI    string                          `yaml:"openapi"`
	Security   []map[string][]string           `yaml:"security"`
	Paths      map[string]map[string]yaml.Node `yaml:"paths"`
	Components struct {
		SecuritySchemes map[string]struct {
			Type         string `yaml:"type"`
			Scheme       string `yaml:"scheme"`
			BearerFormat string `yaml:"bearerFormat"`
		} `yaml:"securitySchemes"`
		Responses  map[string]adminResponse  `yaml:"responses"`
		Schemas    map[string]adminSchema    `yaml:"schemas"`
		Parameters map[string]adminParameter `yaml:"parameters"`
		Headers    map[string]yaml.Node      `yaml:"headers"`
	} `yaml:"components"`
}

func loadAdminDoc(t *testing.T) (adminDoc, yaml.Node) {
	t.Helper()
	raw, err := OpenAPI.ReadFile(AdminOpenAPIFile)
	if err != nil {
		t.Fatalf("embedded %s: %v", AdminOpenAPIFile, err)
	}
	var doc adminDoc
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse %s: %v", AdminOpenAPIFile, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		t.Fatalf("parse %s: %v", AdminOpenAPIFile, err)
	}
	return doc, root
}

func adminOp(t *testing.T, doc adminDoc, path, method string) adminOperation {
	t.Helper()
	node, ok := doc.Paths[path][method]
	if !ok {
		t.Fatalf("%s %s missing", strings.ToUpper(method), path)
	}
	var o adminOperation
	if err := node.Decode(&o); err != nil {
		t.Fatalf("decode %s %s: %v", method, path, err)
	}
	return o
}

func TestAdminOpenAPIParsesAndRefsResolve(t *testing.T) {
	doc, root := loadAdminDoc(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	// Every $ref points at something the document defines.
	var walk func(n *yaml.Node)
	refs := 0
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "$ref" {
					refs++
					if !resolves(doc, n.Content[i+1].Value) {
						t.Errorf("line %d: $ref %q does not resolve", n.Content[i+1].Line, n.Content[i+1].Value)
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	if refs == 0 {
		t.Error("no $ref found; the walk is broken")
	}
}

func resolves(doc adminDoc, ref string) bool {
	parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
	if len(parts) != 2 || !strings.HasPrefix(ref, "#/components/") {
		return false
	}
	switch parts[0] {
	case "schemas":
		_, ok := doc.Components.Schemas[parts[1]]
		return ok
	case "responses":
		_, ok := doc.Components.Responses[parts[1]]
		return ok
	case "headers":
		_, ok := doc.Components.Headers[parts[1]]
		return ok
	case "parameters":
		_, ok := doc.Components.Parameters[parts[1]]
		return ok
	}
	return false
}

func TestAdminOpenAPIRoutesAndStatuses(t *testing.T) {
	doc, _ := loadAdminDoc(t)
	tests := []struct {
		path     string
		statuses []string
		body     string
	}{
		{"/v1/meetings", []string{"200", "304", "400", "401", "404", "500", "503"}, "MeetingList"},
		{"/v1/meetings/{meetingId}", []string{"200", "304", "400", "401", "404", "500", "503"}, "MeetingDetail"},
		{"/v1/summary", []string{"200", "304", "400", "401", "404", "500", "503"}, "Summary"},
	}
	if len(doc.Paths) != len(tests)+1 {
		t.Errorf("paths = %d, want %d", len(doc.Paths), len(tests)+1)
	}
	for _, tt := range tests {
		for method := range doc.Paths[tt.path] {
			if method != "get" && method != "parameters" {
				t.Errorf("%s has %s; the ledger routes are read-only", tt.path, method)
			}
		}
		o := adminOp(t, doc, tt.path, "get")
		var got []string
		for st := range o.Responses {
			got = append(got, st)
		}
		sort.Strings(got)
		if !slices.Equal(got, tt.statuses) {
			t.Errorf("GET %s statuses %v, want %v", tt.path, got, tt.statuses)
		}
		if ref := o.Responses["200"].Content["application/json"].Schema.Ref; ref != "#/components/schemas/"+tt.body {
			t.Errorf("GET %s 200 body %q, want %s", tt.path, ref, tt.body)
		}
		if ref := o.Responses["401"].Ref; ref != "#/components/responses/Unauthorized" {
			t.Errorf("GET %s 401 = %q, want the Unauthorized response", tt.path, ref)
		}
		// Pollers revalidate: every ledger read takes If-None-Match and answers an ETag, or 304.
		if ref := o.Responses["304"].Ref; ref != "#/components/responses/NotModified" {
			t.Errorf("GET %s 304 = %q, want the NotModified response", tt.path, ref)
		}
		if _, ok := o.Responses["200"].Headers["ETag"]; !ok {
			t.Errorf("GET %s 200 has no ETag header", tt.path)
		}
		if !slices.ContainsFunc(o.Parameters, func(p adminParameter) bool { return p.Ref == "#/components/parameters/IfNoneMatch" }) {
			t.Errorf("GET %s does not take If-None-Match", tt.path)
		}
	}
	if p := doc.Components.Parameters["IfNoneMatch"]; p.Name != "If-None-Match" || p.In != "header" {
		t.Errorf("IfNoneMatch parameter = %+v, want the If-None-Match header", p)
	}
	if _, ok := doc.Components.Responses["NotModified"].Headers["ETag"]; !ok {
		t.Error("the NotModified response has no ETag header")
	}
	const hostLink = "/v1/meetings/{meetingId}/host-link"
	for _, tt := range []struct {
		method, ok, body string
		statuses         []string
	}{
		{"post", "201", "HostLink", []string{"201", "400", "401", "404", "409", "422", "502", "503"}},
		{"delete", "200", "HostLinkRevoked", []string{"200", "400", "401", "404", "503"}},
	} {
		o := adminOp(t, doc, hostLink, tt.method)
		var got []string
		for st := range o.Responses {
			got = append(got, st)
		}
		sort.Strings(got)
		if !slices.Equal(got, tt.statuses) {
			t.Errorf("%s %s statuses %v, want %v", tt.method, hostLink, got, tt.statuses)
		}
		if ref := o.Responses[tt.ok].Content["application/json"].Schema.Ref; ref != "#/components/schemas/"+tt.body {
			t.Errorf("%s %s %s body %q, want %s", tt.method, hostLink, tt.ok, ref, tt.body)
		}
	}
	for _, tt := range []struct{ path, name, typ string }{
		{"/v1/meetings", "limit", "integer"},
		{"/v1/summary", "window", "string"},
	} {
		var query []adminParameter
		for _, p := range adminOp(t, doc, tt.path, "get").Parameters {
			if p.Ref == "" {
				query = append(query, p)
			}
		}
		if len(query) != 1 || query[0].Name != tt.name || query[0].In != "query" || query[0].Schema.Type != tt.typ {
			t.Errorf("GET %s parameters = %+v, want the %s query parameter %s", tt.path, query, tt.typ, tt.name)
		}
	}
}

func TestAdminOpenAPIAuth(t *testing.T) {
	doc, _ := loadAdminDoc(t)
	if len(doc.Security) != 1 {
		t.Fatalf("top-level security = %v, want one scheme", doc.Security)
	}
	for name := range doc.Security[0] {
		s, ok := doc.Components.SecuritySchemes[name]
		if !ok || s.Type != "http" || s.Scheme != "bearer" || s.BearerFormat != "JWT" {
			t.Errorf("security scheme %q = %+v, want http bearer JWT", name, s)
		}
	}
	if _, ok := doc.Components.Responses["Unauthorized"].Headers["WWW-Authenticate"]; !ok {
		t.Error("the Unauthorized response has no WWW-Authenticate header")
	}
	if _, ok := doc.Components.Responses["MethodNotAllowed"].Headers["Allow"]; !ok {
		t.Error("the MethodNotAllowed response has no Allow header")
	}
}

// The OpenAPI schemas and the Go wire types describe the same members, with
// the same types, and a member is required exactly when it is not omitempty.
func TestAdminOpenAPIMatchesGoTypes(t *testing.T) {
	doc, _ := loadAdminDoc(t)
	schemaOf := map[reflect.Type]string{
		reflect.TypeFor[AdminMeetingList]():     "MeetingList",
		reflect.TypeFor[AdminMeeting]():         "Meeting",
		reflect.TypeFor[AdminGrantCounts]():     "GrantCounts",
		reflect.TypeFor[AdminMeetingDetail]():   "MeetingDetail",
		reflect.TypeFor[AdminGranterState]():    "GranterState",
		reflect.TypeFor[AdminParticipant]():     "Participant",
		reflect.TypeFor[ErrorResponse]():        "Error",
		reflect.TypeFor[AdminHostLinkRequest](): "HostLinkRequest",
		reflect.TypeFor[AdminHostLink]():        "HostLink",
		reflect.TypeFor[AdminHostLinkRevoked](): "HostLinkRevoked",
		reflect.TypeFor[AdminSummary]():         "Summary",
		reflect.TypeFor[AdminReasonCount]():     "ReasonCount",
		reflect.TypeFor[AdminDurationStats]():   "DurationStats",
		reflect.TypeFor[AdminHostPage]():        "HostPage",
	}
	if len(doc.Components.Schemas) != len(schemaOf) {
		t.Errorf("schemas = %d, Go types = %d", len(doc.Components.Schemas), len(schemaOf))
	}
	for typ, name := range schemaOf {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		if s.Type != "object" {
			t.Errorf("schema %s type %q, want object", name, s.Type)
		}
		var members, required []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			tag := strings.Split(f.Tag.Get("json"), ",")
			if tag[0] == "" || tag[0] == "-" {
				t.Errorf("%s.%s has no JSON name", typ.Name(), f.Name)
				continue
			}
			members = append(members, tag[0])
			if !slices.Contains(tag[1:], "omitempty") {
				required = append(required, tag[0])
			}
			p, ok := s.Properties[tag[0]]
			if !ok {
				continue // reported below with the member lists
			}
			checkType(t, name+"."+tag[0], f.Type, p, schemaOf)
		}
		var props []string
		for p := range s.Properties {
			props = append(props, p)
		}
		sort.Strings(props)
		sort.Strings(members)
		if !slices.Equal(props, members) {
			t.Errorf("schema %s members %v, Go type %s %v", name, props, typ.Name(), members)
		}
		req := slices.Clone(s.Required)
		sort.Strings(req)
		sort.Strings(required)
		if !slices.Equal(req, required) {
			t.Errorf("schema %s required %v, Go type %s non-omitempty %v", name, req, typ.Name(), required)
		}
	}
}

func checkType(t *testing.T, where string, typ reflect.Type, s adminSchema, schemaOf map[reflect.Type]string) {
	t.Helper()
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	want := ""
	switch {
	case typ == reflect.TypeFor[time.Time]():
		if s.Type != "string" || s.Format != "date-time" {
			t.Errorf("%s: type %q format %q, want string date-time", where, s.Type, s.Format)
		}
		return
	case schemaOf[typ] != "":
		if s.Ref != "#/components/schemas/"+schemaOf[typ] {
			t.Errorf("%s: $ref %q, want %s", where, s.Ref, schemaOf[typ])
		}
		return
	case typ.Kind() == reflect.String:
		want = "string"
	case typ.Kind() == reflect.Int || typ.Kind() == reflect.Int64:
		want = "integer"
	case typ.Kind() == reflect.Bool:
		want = "boolean"
	case typ.Kind() == reflect.Slice:
		if s.Type != "array" || s.Items == nil {
			t.Errorf("%s: type %q, want array with items", where, s.Type)
			return
		}
		checkType(t, where+"[]", typ.Elem(), *s.Items, schemaOf)
		return
	case typ.Kind() == reflect.Map:
		if s.Type != "object" || s.AdditionalProperties == nil {
			t.Errorf("%s: type %q, want object with additionalProperties", where, s.Type)
			return
		}
		checkType(t, where+"{}", typ.Elem(), *s.AdditionalProperties, schemaOf)
		return
	default:
		t.Errorf("%s: Go type %s has no OpenAPI mapping in this test", where, typ)
		return
	}
	if s.Type != want {
		t.Errorf("%s: type %q, want %s (Go %s)", where, s.Type, want, typ)
	}
}

func TestAdminOpenAPIErrorCodes(t *testing.T) {
	doc, _ := loadAdminDoc(t)
	codes := []string{
		AdminErrDisabled, AdminErrUnauthorized, AdminErrInvalidLimit, AdminErrInvalidWindow, AdminErrInvalidMeetingID,
		AdminErrMeetingNotFound, AdminErrNotFound, AdminErrMethodNotAllowed, AdminErrUnavailable,
		AdminErrInternal, AdminErrInvalidBody, AdminErrHostClientOff, AdminErrPublicURLUnset, AdminErrMeetingUnknownToZoom,
		AdminErrHostNotInAccount, AdminErrAccountIDRequired, AdminErrInvalidTTL, AdminErrZoomFailed,
	}
	enum := slices.Clone(doc.Components.Schemas["Error"].Properties["error"].Enum)
	sort.Strings(codes)
	sort.Strings(enum)
	if !slices.Equal(codes, enum) {
		t.Errorf("error enum %v, Go constants %v", enum, codes)
	}
	// The enums follow the domain's states.
	states := doc.Components.Schemas["Participant"].Properties["state"].Enum
	wantStates := []string{string(grant.StatePending), string(grant.StateGranted), string(grant.StateConfirmed),
		string(grant.StateSkipped), string(grant.StateFailed)}
	if !slices.Equal(states, wantStates) {
		t.Errorf("participant states %v, want %v", states, wantStates)
	}
	statuses := doc.Components.Schemas["Meeting"].Properties["status"].Enum
	wantStatuses := []string{string(grant.MeetingScheduled), string(grant.MeetingStarted), string(grant.MeetingEnded),
		string(grant.MeetingDeleted)}
	if !slices.Equal(statuses, wantStatuses) {
		t.Errorf("meeting statuses %v, want %v", statuses, wantStatuses)
	}
}

func TestAdminWireShapes(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 250_000_000, time.UTC)
	zero := int64(0)
	b, err := json.Marshal(AdminParticipant{
		MeetingUUID: "u==", Key: "k", State: "granted", Summary: "s",
		JoinSeenAt: &at, GrantedAt: &at, TimeToGrantMS: &zero,
	})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["join_seen_at"] != "2026-03-01T09:30:00.25Z" {
		t.Errorf("join_seen_at = %v, want RFC 3339", got["join_seen_at"])
	}
	if v, ok := got["time_to_grant_ms"]; !ok || v != float64(0) {
		t.Errorf("time_to_grant_ms = %v (present %v): a known 0 ms must be kept", v, ok)
	}
	for _, absent := range []string{"time_to_confirm_ms", "confirmed_at", "joined_at", "left_at", "granter", "reason", "email"} {
		if _, ok := got[absent]; ok {
			t.Errorf("%s present in %s; unknown values are left out", absent, b)
		}
	}
	for _, present := range []string{"signed_in", "present", "attempts", "state", "summary", "key", "meeting_uuid"} {
		if _, ok := got[present]; !ok {
			t.Errorf("%s missing from %s", present, b)
		}
	}
	if _, err := OpenAPI.ReadFile(AdminOpenAPIFile); err != nil {
		t.Errorf("%s is not embedded: %v", AdminOpenAPIFile, err)
	}
}

var updateReasons = flag.Bool("update-reasons", false, "rewrite admin.openapi.yaml's reason enum from the registry")

// The contract's reason codes are the registry's: grant.Reasons is the only
// list, and this test keeps the OpenAPI document from drifting from it.
// go test ./api -run TestAdminOpenAPIReasonsAreTheRegistry -update-reasons rewrites it.
func TestAdminOpenAPIReasonsAreTheRegistry(t *testing.T) {
	doc, _ := loadAdminDoc(t)
	got := doc.Components.Schemas["Participant"].Properties["reason"].Enum
	var want []string
	for _, r := range grant.Reasons() {
		want = append(want, string(r.Code))
	}
	if *updateReasons {
		raw, err := os.ReadFile(AdminOpenAPIFile)
		if err != nil {
			t.Fatal(err)
		}
		var old, now strings.Builder
		for _, c := range got {
			old.WriteString("            - " + c + "\n")
		}
		for _, c := range want {
			now.WriteString("            - " + c + "\n")
		}
		text := strings.Replace(string(raw), "          enum:\n"+old.String(), "          enum:\n"+now.String(), 1)
		if err := os.WriteFile(AdminOpenAPIFile, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("Participant.reason enum = %v\nregistry               = %v", got, want)
	}
}
