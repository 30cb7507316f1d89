package api

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// openAPIDoc is the part of an OpenAPI 3.1 document these tests look at.
type openAPIDoc struct {
	OpenAPI    string                          `yaml:"openapi"`
	Security   []map[string][]string           `yaml:"security"`
	Paths      map[string]map[string]yaml.Node `yaml:"paths"`
	Components struct {
		SecuritySchemes map[string]struct {
			Type         string `yaml:"type"`
			Scheme       string `yaml:"scheme"`
			BearerFormat string `yaml:"bearerFormat"`
		} `yaml:"securitySchemes"`
		Responses map[string]struct {
			Headers map[string]map[string]string `yaml:"headers"`
		} `yaml:"responses"`
		Schemas map[string]schema `yaml:"schemas"`
	} `yaml:"components"`
}

type schema struct {
	Type       string            `yaml:"type"`
	Properties map[string]schema `yaml:"properties"`
	Enum       []string          `yaml:"enum"`
}

type operation struct {
	Responses map[string]struct {
		Ref     string                       `yaml:"$ref"`
		Headers map[string]map[string]string `yaml:"headers"`
	} `yaml:"responses"`
}

func loadAgentDoc(t *testing.T) openAPIDoc {
	t.Helper()
	raw, err := OpenAPI.ReadFile(AgentOpenAPIFile)
	if err != nil {
		t.Fatalf("embedded %s: %v", AgentOpenAPIFile, err)
	}
	var doc openAPIDoc
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse %s: %v", AgentOpenAPIFile, err)
	}
	return doc
}

func op(t *testing.T, doc openAPIDoc, path, method string) operation {
	t.Helper()
	item, ok := doc.Paths[path]
	if !ok {
		t.Fatalf("path %s missing", path)
	}
	node, ok := item[method]
	if !ok {
		t.Fatalf("%s %s missing", strings.ToUpper(method), path)
	}
	var o operation
	if err := node.Decode(&o); err != nil {
		t.Fatalf("decode %s %s: %v", method, path, err)
	}
	return o
}

func TestAgentOpenAPIRoutesAndStatuses(t *testing.T) {
	doc := loadAgentDoc(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	session := "/" + AgentContractVersion + "/meetings/{meetingId}/session"
	cohosts := "/" + AgentContractVersion + "/meetings/{meetingId}/cohosts/{participantKey}"
	tests := []struct {
		path, method string
		statuses     []string
	}{
		{session, "put", []string{"200", "201", "202", "400", "401", "403", "404", "429", "500"}},
		{session, "delete", []string{"204", "401"}},
		{cohosts, "put", []string{"200", "400", "401", "404", "409", "422", "429", "500"}},
	}
	for _, tt := range tests {
		o := op(t, doc, tt.path, tt.method)
		for _, st := range tt.statuses {
			if _, ok := o.Responses[st]; !ok {
				t.Errorf("%s %s: no %s response", strings.ToUpper(tt.method), tt.path, st)
			}
		}
	}
}

func TestAgentOpenAPIAuthAndRetryAfter(t *testing.T) {
	doc := loadAgentDoc(t)
	if len(doc.Security) != 1 {
		t.Fatalf("top-level security = %v, want one scheme", doc.Security)
	}
	for name := range doc.Security[0] {
		s, ok := doc.Components.SecuritySchemes[name]
		if !ok || s.Type != "http" || s.Scheme != "bearer" || s.BearerFormat != "JWT" {
			t.Errorf("security scheme %q = %+v, want http bearer JWT", name, s)
		}
	}
	rl, ok := doc.Components.Responses["RateLimited"]
	if !ok {
		t.Fatal("no RateLimited response")
	}
	if _, ok := rl.Headers["Retry-After"]; !ok {
		t.Error("RateLimited response has no Retry-After header")
	}
	for _, path := range []string{
		"/v1/meetings/{meetingId}/session",
		"/v1/meetings/{meetingId}/cohosts/{participantKey}",
	} {
		o := op(t, doc, path, "put")
		if o.Responses["429"].Ref != "#/components/responses/RateLimited" {
			t.Errorf("PUT %s 429 = %q, want the RateLimited response", path, o.Responses["429"].Ref)
		}
	}
}

// Design section 5: every value in the JSON bodies is a string.
func TestAgentOpenAPIBodiesAreStrings(t *testing.T) {
	doc := loadAgentDoc(t)
	for name, s := range doc.Components.Schemas {
		if s.Type != "object" {
			t.Errorf("schema %s type %q, want object", name, s.Type)
		}
		for prop, ps := range s.Properties {
			if ps.Type != "string" {
				t.Errorf("schema %s property %s type %q, want string", name, prop, ps.Type)
			}
		}
	}
}

// The OpenAPI document and the Go types describe the same members.
func TestAgentOpenAPIMatchesGoTypes(t *testing.T) {
	doc := loadAgentDoc(t)
	pairs := map[string]any{
		"SessionRequest":  AgentSessionRequest{},
		"SessionResponse": AgentSessionResponse{},
		"CoHostRequest":   AgentCoHostRequest{},
		"CoHostResponse":  AgentCoHostResponse{},
		"Error":           AgentError{},
	}
	for name, v := range pairs {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		var want []string
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.Type.Kind() != reflect.String {
				t.Errorf("%s.%s is %s, want a string kind", typ.Name(), f.Name, f.Type)
			}
			want = append(want, strings.Split(f.Tag.Get("json"), ",")[0])
		}
		var got []string
		for p := range s.Properties {
			got = append(got, p)
		}
		sort.Strings(got)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("schema %s members %v, Go type %v", name, got, want)
		}
	}
	codes := []AgentErrorCode{
		AgentErrNoSession, AgentErrParticipantNotFound, AgentErrCannotBeCoHost, AgentErrMeetingNotFound,
		AgentErrUnauthorized, AgentErrInvalidSignature, AgentErrInvalidZAK, AgentErrWrongPassword,
		AgentErrBadRequest, AgentErrRateLimited, AgentErrInternal,
	}
	enum := doc.Components.Schemas["Error"].Properties["error"].Enum
	var gotCodes []string
	for _, c := range codes {
		gotCodes = append(gotCodes, string(c))
	}
	sort.Strings(gotCodes)
	sort.Strings(enum)
	if !reflect.DeepEqual(gotCodes, enum) {
		t.Errorf("error enum %v, Go constants %v", enum, gotCodes)
	}
}

func TestAgentWireShapes(t *testing.T) {
	b, err := json.Marshal(AgentError{Error: AgentErrNoSession})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"error":"no_session"}` {
		t.Errorf("no_session body = %s", b)
	}
	if got := AgentSessionPath(85746065432); got != "/v1/meetings/85746065432/session" {
		t.Errorf("AgentSessionPath = %q", got)
	}
	if got := AgentCoHostPath(1, "a/b+c=="); got != "/v1/meetings/1/cohosts/a%2Fb+c==" {
		t.Errorf("AgentCoHostPath = %q", got)
	}
}
