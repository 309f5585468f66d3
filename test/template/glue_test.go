package template_test

import (
	"fmt"
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
	if want := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "GlueSchemaRegistryName"}, ""}}}}; !equal(conds["HasGlueSchemaRegistry"], want) {
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
	for id, res := range tpl.resources() {
		if str(res["Type"]) != "AWS::IAM::Role" {
			continue
		}
		for i, pol := range branches(mapOf(res["Properties"])["Policies"]) {
			for _, alt := range alternatives(pol) {
				for _, s := range statementsOf(fmt.Sprintf("%s/Policies/%d", id, i), mapOf(alt)["PolicyDocument"]) {
					acts := stringsOf(s.body["Action"])
					if !slices.ContainsFunc(acts, func(a string) bool { return strings.HasPrefix(a, "glue:") }) {
						continue
					}
					if c := ifCondition(pol); c != "HasGlueSchemaRegistry" {
						t.Errorf("%s: Glue actions under condition %q, want HasGlueSchemaRegistry", s.where, c)
					}
					found[id]++
					if w, ok := want[id]; !ok || !slices.Equal(acts, w) {
						t.Errorf("%s: actions %v, want %v", s.where, acts, w)
					}
					var got []string
					for _, r := range branches(s.body["Resource"]) {
						arn, err := evalString(r, refs)
						if err != nil {
							t.Errorf("%s: Resource %v: %v", s.where, r, err)
						}
						got = append(got, arn)
					}
					if !slices.Equal(got, wantRes) {
						t.Errorf("%s: Resource %v, want %v", s.where, got, wantRes)
					}
				}
			}
		}
	}
	for id := range want {
		if found[id] != 1 {
			t.Errorf("%s: %d Glue statements, want 1", id, found[id])
		}
	}
}
