package template_test

import (
	"slices"
	"strings"
	"testing"
)

// TestGlueSchemaRegistryIAM: only when GlueSchemaRegistryName is set may the functions' roles call
// AWS Glue, the schema registry actions the converters need only (the sinks read schema versions;
// the S3 source also looks up, creates and registers schemas), on that registry and its schemas
// only.
func TestGlueSchemaRegistryIAM(t *testing.T) {
	tpl := load(t)
	conds := mapOf(tpl.root["Conditions"])
	if !equal(conds["HasGlueSchemaRegistry"], notEmpty("GlueSchemaRegistryName")) {
		t.Errorf("condition HasGlueSchemaRegistry = %v, want !Not [!Equals [!Ref GlueSchemaRegistryName, \"\"]]", conds["HasGlueSchemaRegistry"])
	}
	if p := mapOf(mapOf(tpl.root["Parameters"])["GlueSchemaRegistryName"]); str(p["Default"]) != "" || str(p["Type"]) != "String" {
		t.Errorf("parameter GlueSchemaRegistryName = %v, want a String defaulting to empty", p)
	}
	want := map[string][]string{ // role -> actions
		"S3SinkFunctionRole":       {"glue:GetSchemaVersion"},
		"DynamoDbSinkFunctionRole": {"glue:GetSchemaVersion"},
		"S3SourceFunctionRole":     {"glue:GetSchemaVersion", "glue:GetSchemaByDefinition", "glue:RegisterSchemaVersion", "glue:CreateSchema"},
	}
	refs := map[string]string{"GlueSchemaRegistryName": "orders-registry", "AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012"}
	wantRes := []string{
		"arn:aws:glue:eu-west-1:123456789012:registry/orders-registry",
		"arn:aws:glue:eu-west-1:123456789012:schema/orders-registry/*",
	}
	found := map[string]int{}
	for _, s := range tpl.allRoleStatements() {
		if !slices.ContainsFunc(s.actions(), func(a string) bool { return strings.HasPrefix(a, "glue:") }) {
			continue
		}
		if s.cond != "HasGlueSchemaRegistry" {
			t.Errorf("%s: Glue actions under condition %q, want HasGlueSchemaRegistry", s.where, s.cond)
		}
		found[s.owner]++
		assertGrants(t, s, want[s.owner], refs, wantRes...)
	}
	for id := range want {
		if found[id] != 1 {
			t.Errorf("%s: %d Glue statements, want 1", id, found[id])
		}
	}
}
