package template_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/config"
)

// assertFunction checks that resource id is a SAM function (under Condition cond, when cond is not
// "") built by the Makefile as an arm64 provided.al2023 binary, with the properties want too, and
// returns its own properties. A property the function does not set is looked up in inherited (the
// template's Globals.Function), when that is not nil.
func (tp tmpl) assertFunction(t *testing.T, id, cond string, inherited, want map[string]any) map[string]any {
	t.Helper()
	fn := tp.resource(t, id)
	if str(fn["Type"]) != "AWS::Serverless::Function" || (cond != "" && str(fn["Condition"]) != cond) {
		t.Fatalf("%s: Type %v, Condition %v; want a function under %q", id, fn["Type"], fn["Condition"], cond)
	}
	props := mapOf(fn["Properties"])
	all := map[string]any{
		"Runtime":       "provided.al2023",
		"Architectures": []any{"arm64"},
		"Handler":       "bootstrap",
		"CodeUri":       ".",
	}
	for name, v := range want {
		all[name] = v
	}
	for name, want := range all {
		got, ok := props[name]
		if !ok && inherited != nil {
			got = inherited[name]
		}
		if !equal(got, want) {
			t.Errorf("%s.%s = %v, want %v", id, name, got, want)
		}
	}
	if got := str(mapOf(fn["Metadata"])["BuildMethod"]); got != "makefile" {
		t.Errorf("%s Metadata.BuildMethod = %q, want makefile", id, got)
	}
	return props
}

// assertTable checks that resource id is a DynamoDB table (under Condition cond, when cond is not
// ""), retained when the stack goes, on-demand, with point-in-time recovery and deletion protection,
// keyed by the string attributes hash and sort; and returns its properties.
func (tp tmpl) assertTable(t *testing.T, id, cond, hash, sort string) map[string]any {
	t.Helper()
	tab := tp.resource(t, id)
	if str(tab["Type"]) != "AWS::DynamoDB::Table" || (cond != "" && str(tab["Condition"]) != cond) {
		t.Fatalf("%s: %v under %v, want an AWS::DynamoDB::Table under %q", id, tab["Type"], tab["Condition"], cond)
	}
	for _, pol := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
		if str(tab[pol]) != "Retain" {
			t.Errorf("%s %s = %v, want Retain", id, pol, tab[pol])
		}
	}
	p := mapOf(tab["Properties"])
	if str(p["BillingMode"]) != "PAY_PER_REQUEST" {
		t.Errorf("%s BillingMode = %v, want PAY_PER_REQUEST (on-demand)", id, p["BillingMode"])
	}
	if v := mapOf(p["PointInTimeRecoverySpecification"])["PointInTimeRecoveryEnabled"]; v != true {
		t.Errorf("%s PointInTimeRecoveryEnabled = %v, want true", id, v)
	}
	if p["DeletionProtectionEnabled"] != true {
		t.Errorf("%s DeletionProtectionEnabled = %v, want true", id, p["DeletionProtectionEnabled"])
	}
	wantKeys := []any{
		map[string]any{"AttributeName": hash, "KeyType": "HASH"},
		map[string]any{"AttributeName": sort, "KeyType": "RANGE"},
	}
	if !equal(p["KeySchema"], wantKeys) {
		t.Errorf("%s KeySchema = %v, want %v", id, p["KeySchema"], wantKeys)
	}
	wantAttrs := []any{
		map[string]any{"AttributeName": hash, "AttributeType": "S"},
		map[string]any{"AttributeName": sort, "AttributeType": "S"},
	}
	if !equal(p["AttributeDefinitions"], wantAttrs) {
		t.Errorf("%s AttributeDefinitions = %v, want %v", id, p["AttributeDefinitions"], wantAttrs)
	}
	return p
}

// assertSAMParameters checks the SAM parameters of spec, at least atLeast of them: each is a
// template parameter typed, defaulted and restricted as the spec says, and env passes it on in
// its setting's variable. optional is the parameter that adds the connector to the stack ("" for
// always): an optional connector's required settings have the spec's (empty) default, and a Rule
// asks for them when the connector is there; those of the S3 sink have no default.
func (tp tmpl) assertSAMParameters(t *testing.T, spec *config.Spec, env map[string]any, optional string, atLeast int) {
	t.Helper()
	sps := spec.SAMParameters()
	if len(sps) < atLeast {
		t.Fatalf("the %s spec has only %d SAM parameters", spec.Connector, len(sps))
	}
	params := mapOf(tp.root["Parameters"])
	rules, _ := json.Marshal(tp.root["Rules"])
	for _, sp := range sps {
		p := mapOf(params[sp.Name])
		if p == nil {
			t.Errorf("key %s: no template parameter %s", sp.Key, sp.Name)
			continue
		}
		if str(p["Type"]) != sp.Type {
			t.Errorf("parameter %s: Type %v, want %s", sp.Name, p["Type"], sp.Type)
		}
		def, hasDef := p["Default"]
		noDefault := sp.Required && optional == ""
		switch {
		case noDefault && hasDef:
			t.Errorf("parameter %s: required key %s must have no Default", sp.Name, sp.Key)
		case !noDefault && (!hasDef || scalar(def) != sp.Default):
			t.Errorf("parameter %s: Default %v, want %q (the default of %s)", sp.Name, def, sp.Default, sp.Key)
		}
		if sp.Required && optional != "" && !strings.Contains(string(rules), `{"Ref":"`+sp.Name+`"}`) {
			t.Errorf("parameter %s (required key %s): no Rule asks for it when %s is set", sp.Name, sp.Key, optional)
		}
		var allowed []string
		for _, v := range branches(p["AllowedValues"]) {
			allowed = append(allowed, scalar(v))
		}
		if !slices.Equal(allowed, sp.AllowedValues) {
			t.Errorf("parameter %s: AllowedValues %q, want %q", sp.Name, allowed, sp.AllowedValues)
		}
		if want := spec.EnvVar(sp.Key); !equal(env[want], map[string]any{"Ref": sp.Name}) {
			t.Errorf("key %s: environment variable %s = %v, want !Ref %s", sp.Key, want, env[want], sp.Name)
		}
	}
}

// assertSettingsKnown checks that every variable of env is a CONNECT_* variable naming a setting
// of spec.
func assertSettingsKnown(t *testing.T, env map[string]any, spec *config.Spec) {
	t.Helper()
	for name := range env {
		key, ok := config.KeyName(name)
		if !ok {
			t.Errorf("%s: not a CONNECT_* variable", name)
			continue
		}
		known := spec.Key(key) != nil
		for _, pre := range spec.Prefixes {
			known = known || strings.HasPrefix(key, pre)
		}
		if !known {
			t.Errorf("environment variable %s sets %q, which the %s spec does not know", name, key, spec.Connector)
		}
	}
}

// connectVars returns the CONNECT_* variables of env.
func connectVars(env map[string]any) map[string]any {
	out := map[string]any{}
	for name, v := range env {
		if _, ok := config.KeyName(name); ok {
			out[name] = v
		}
	}
	return out
}

// assertOnlyUnder checks that every resource referring to one of names (a resource or a
// parameter) has Condition cond or one named prefix...: that what exists only with it.
func (tp tmpl) assertOnlyUnder(t *testing.T, what, cond, prefix string, names ...string) {
	t.Helper()
	for id, res := range tp.resources() {
		refs, _ := json.Marshal(res)
		uses := false
		for _, n := range names {
			uses = uses || strings.Contains(string(refs), `"`+n+`"`)
		}
		if !uses {
			continue
		}
		if c := str(res["Condition"]); c != cond && !strings.HasPrefix(c, prefix) {
			t.Errorf("%s refers to the %s but has Condition %q (want %s or a %s* condition)", id, what, c, cond, prefix)
		}
	}
}

// notEmpty is the condition that parameter param is set: !Not [!Equals [!Ref param, ""]].
func notEmpty(param string) map[string]any {
	return map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": param}, ""}}}}
}

// assertConverterParameters checks the hand-written (not generated) converter parameters of a
// function whose environment is env: prefix+"ValueConverterSchemasEnable" and
// prefix+"Key/ValueConverterSchemaRegistryUrl" ("" for the S3 sink, "Source", "DynamoDb"), each
// a String defaulting to "" (unset) and passed on as its CONNECT_* variable. The registry URLs
// take "" or a comma-separated list of http(s) URLs without user info (no credentials).
func (tp tmpl) assertConverterParameters(t *testing.T, env map[string]any, prefix string) {
	t.Helper()
	params := mapOf(tp.root["Parameters"])
	for envName, name := range map[string]string{
		"CONNECT_VALUE_CONVERTER_SCHEMAS_ENABLE":      prefix + "ValueConverterSchemasEnable",
		"CONNECT_KEY_CONVERTER_SCHEMA_REGISTRY_URL":   prefix + "KeyConverterSchemaRegistryUrl",
		"CONNECT_VALUE_CONVERTER_SCHEMA_REGISTRY_URL": prefix + "ValueConverterSchemaRegistryUrl",
	} {
		if !equal(env[envName], map[string]any{"Ref": name}) {
			t.Errorf("%s = %v, want !Ref %s", envName, env[envName], name)
		}
		p := mapOf(params[name])
		if p == nil {
			t.Errorf("no template parameter %s", name)
			continue
		}
		if def, ok := p["Default"]; str(p["Type"]) != "String" || !ok || scalar(def) != "" {
			t.Errorf("parameter %s: Type %v, Default %v; want String, \"\"", name, p["Type"], p["Default"])
		}
		if !strings.HasSuffix(name, "SchemaRegistryUrl") {
			continue
		}
		if d := str(p["Description"]); !strings.Contains(d, "schema.registry.url") || !strings.Contains(d, "CONNECTOR_CONFIG_FILE") {
			t.Errorf("parameter %s: the Description must name the setting and where credentials go: %q", name, d)
		}
		re, err := regexp.Compile(str(p["AllowedPattern"]))
		if err != nil {
			t.Errorf("parameter %s: AllowedPattern: %v", name, err)
			continue
		}
		for v, ok := range map[string]bool{
			"": true, "http://reg:8081": true, "http://reg:8081,https://b:8081": true, "https://sr.example.com/path": true,
			"reg:8081": false, "ftp://reg:8081": false, "http://reg:8081,": false, ",http://reg:8081": false,
			"http://user:secret@reg:8081": false, "http://reg:8081 https://b:8081": false,
		} {
			if re.MatchString(v) != ok {
				t.Errorf("parameter %s: AllowedPattern %s matches %q: %v, want %v", name, re, v, !ok, ok)
			}
		}
	}
}
