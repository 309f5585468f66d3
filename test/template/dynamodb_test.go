package template_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/connectors/dynamodbsink"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// The DynamoDB sink's resources. They exist only under the HasDynamoDbSink condition
// (DynamoDbTableName set), next to the S3 sink, reading the same topic with mappings of their own.
const (
	dynamoFunctionID  = "DynamoDbSinkFunction"
	dynamoRoleID      = "DynamoDbSinkFunctionRole"
	dynamoCondition   = "HasDynamoDbSink"
	dynamoTableParam  = "DynamoDbTableName"
	dynamoMskESM      = "DynamoDbMskEventSourceMapping"
	dynamoSelfMgedESM = "DynamoDbSelfManagedEventSourceMapping"
)

func TestDynamoDbSinkFunction(t *testing.T) {
	tpl := load(t)
	fn := tpl.resource(t, dynamoFunctionID)
	if str(fn["Type"]) != "AWS::Serverless::Function" || str(fn["Condition"]) != dynamoCondition {
		t.Fatalf("%s: Type %v, Condition %v; want a function under %s", dynamoFunctionID, fn["Type"], fn["Condition"], dynamoCondition)
	}
	props := mapOf(fn["Properties"])
	for name, want := range map[string]any{
		"Runtime":       "provided.al2023",
		"Architectures": []any{"arm64"},
		"Handler":       "bootstrap",
		"CodeUri":       ".",
		"Role":          map[string]any{"Fn::GetAtt": []any{dynamoRoleID, "Arn"}},
	} {
		if got := props[name]; !equal(got, want) {
			t.Errorf("%s.%s = %v, want %v", dynamoFunctionID, name, got, want)
		}
	}
	if got := str(mapOf(fn["Metadata"])["BuildMethod"]); got != "makefile" {
		t.Errorf("%s Metadata.BuildMethod = %q, want makefile", dynamoFunctionID, got)
	}

	// Environment: the offsets table, the target table, and only settings the sink knows.
	env := mapOf(mapOf(props["Environment"])["Variables"])
	for name, want := range map[string]string{
		config.EnvName(sink.KeyOffsetsTable):            tableID,
		config.EnvName(dynamodbsink.KeyTableNameFormat): dynamoTableParam,
		"CONNECT_VALUE_CONVERTER_SCHEMAS_ENABLE":        "DynamoDbValueConverterSchemasEnable",
		config.EnvName(sink.KeyConnectorName):           "DynamoDbConnectorName",
		config.EnvName(dynamodbsink.KeyPKHash):          "DynamoDbPkHash",
		config.EnvName(dynamodbsink.KeyMaxRetrySeconds): "DynamoDbMaxRetryTimeSeconds",
		config.EnvName(sink.KeyDLQS3Bucket):             "DynamoDbDeadLetterBucket",
		config.EnvName(dynamodbsink.KeyDeleteEnabled):   "DeleteEnabled",
		config.EnvName(dynamodbsink.KeyValueAttribute):  "ValueAttributeName",
		config.EnvName(dynamodbsink.KeyValueFields):     "ValueFields",
		config.EnvName(dynamodbsink.KeyPKSort):          "DynamoDbPkSort",
		config.EnvName(sink.KeyErrorsTolerance):         "DynamoDbErrorsTolerance",
		config.EnvName(sink.KeyValueConverter):          "DynamoDbValueConverter",
		config.EnvName(sink.KeyKeyConverter):            "DynamoDbKeyConverter",
		config.EnvName(sink.KeyDLQTopic):                "DynamoDbDeadLetterTopic",
	} {
		if !equal(env[name], map[string]any{"Ref": want}) {
			t.Errorf("%s = %v, want !Ref %s", name, env[name], want)
		}
	}
	spec := dynamodbsink.Spec()
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
			t.Errorf("environment variable %s sets %q, which dynamodbsink.Spec() does not know", name, key)
		}
	}

	// Its parameters: every SAM parameter of the spec, typed, defaulted and passed on as the spec
	// says; the required ones asked for by a Rule when the sink is there.
	params := mapOf(tpl.root["Parameters"])
	rules, _ := json.Marshal(tpl.root["Rules"])
	sps := spec.SAMParameters()
	if len(sps) < 10 {
		t.Fatalf("dynamodbsink.Spec() has only %d SAM parameters", len(sps))
	}
	for _, sp := range sps {
		if !strings.HasPrefix(sp.Name, "DynamoDb") && !slices.Contains([]string{"DeleteEnabled", "ValueAttributeName", "ValueFields"}, sp.Name) {
			t.Errorf("parameter %s: the DynamoDB sink's copies of the common settings must be its own (DynamoDb...)", sp.Name)
		}
		p := mapOf(params[sp.Name])
		if p == nil {
			t.Errorf("key %s: no template parameter %s", sp.Key, sp.Name)
			continue
		}
		if str(p["Type"]) != sp.Type {
			t.Errorf("parameter %s: Type %v, want %s", sp.Name, p["Type"], sp.Type)
		}
		if def, ok := p["Default"]; !ok || scalar(def) != sp.Default {
			t.Errorf("parameter %s: Default %v, want %q", sp.Name, def, sp.Default)
		}
		if sp.Required && !strings.Contains(string(rules), `{"Ref":"`+sp.Name+`"}`) {
			t.Errorf("parameter %s (required key %s): no Rule asks for it when the sink is there", sp.Name, sp.Key)
		}
		if want := spec.EnvVar(sp.Key); !equal(env[want], map[string]any{"Ref": sp.Name}) {
			t.Errorf("key %s: environment variable %s = %v, want !Ref %s", sp.Key, want, env[want], sp.Name)
		}
	}

	// Every resource of the sink exists only with it, and its mappings read the stack's topic.
	for id, res := range tpl.resources() {
		refs, _ := json.Marshal(res)
		uses := strings.Contains(string(refs), `"`+dynamoTableParam+`"`) || strings.Contains(string(refs), `"`+dynamoFunctionID+`"`) ||
			strings.Contains(string(refs), `"`+dynamoRoleID+`"`)
		if !uses {
			continue
		}
		if c := str(res["Condition"]); c != dynamoCondition && !strings.HasPrefix(c, "DynamoDbSink") {
			t.Errorf("%s refers to the DynamoDB sink but has Condition %q (want %s or a DynamoDbSink* condition)", id, c, dynamoCondition)
		}
	}
	for id, cond := range map[string]string{dynamoMskESM: "DynamoDbSinkOnMsk", dynamoSelfMgedESM: "DynamoDbSinkOnSelfManaged"} {
		esm := tpl.resource(t, id)
		p := mapOf(esm["Properties"])
		if str(esm["Condition"]) != cond || !equal(p["FunctionName"], map[string]any{"Ref": dynamoFunctionID}) || !equal(p["Topics"], []any{map[string]any{"Ref": "Topics"}}) {
			t.Errorf("%s: Condition %v, FunctionName %v, Topics %v; want %s, !Ref %s, [!Ref Topics]", id, esm["Condition"], p["FunctionName"], p["Topics"], cond, dynamoFunctionID)
		}
		js, _ := json.Marshal(p)
		if !strings.Contains(string(js), `{"Ref":"DynamoDbConsumerGroupId"}`) || strings.Contains(string(js), `{"Ref":"ConsumerGroupId"}`) {
			t.Errorf("%s must use DynamoDbConsumerGroupId (a consumer group of its own): %s", id, js)
		}
	}
}

// TestDynamoDbSinkIAM: the sink's role may write its target table only (no read, no other
// table, no table management), its offsets and its logs.
func TestDynamoDbSinkIAM(t *testing.T) {
	tpl := load(t)
	role := tpl.resource(t, dynamoRoleID)
	if str(role["Condition"]) != dynamoCondition {
		t.Errorf("%s: Condition %v, want %s", dynamoRoleID, role["Condition"], dynamoCondition)
	}
	var stmts []statement
	for i, pol := range branches(mapOf(role["Properties"])["Policies"]) {
		for _, alt := range alternatives(pol) {
			stmts = append(stmts, statementsOf(dynamoRoleID+"/"+str(mapOf(alt)["PolicyName"])+"/"+string(rune('0'+i)), mapOf(alt)["PolicyDocument"])...)
		}
	}
	stmts = append(stmts, statementsOf("DynamoDbSinkMskAccessPolicy", mapOf(tpl.resource(t, "DynamoDbSinkMskAccessPolicy")["Properties"])["PolicyDocument"])...)
	var target int
	for _, s := range stmts {
		acts := stringsOf(s.body["Action"])
		js, _ := json.Marshal(s.body["Resource"])
		for _, a := range acts {
			if !strings.HasPrefix(a, "dynamodb:") {
				continue
			}
			switch {
			case strings.Contains(string(js), `"OffsetsTable","Arn"`):
			case strings.Contains(string(js), `:table/${DynamoDbTableName}`):
				if !slices.Contains([]string{"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}, a) {
					t.Errorf("%s: %s on the target table (only PutItem, DeleteItem and BatchWriteItem are needed)", s.where, a)
				}
			default:
				t.Errorf("%s: %s on %s: only the offsets table and the target table", s.where, a, js)
			}
		}
		if slices.Contains(acts, "dynamodb:BatchWriteItem") {
			target++
			if want := `"arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${DynamoDbTableName}"`; string(js) != `{"Fn::Sub":`+want+`}` {
				t.Errorf("%s: target table Resource %s, want !Sub %s", s.where, js, want)
			}
		}
		if slices.ContainsFunc(acts, func(a string) bool { return strings.HasPrefix(a, "s3:") }) &&
			(!slices.Equal(acts, []string{"s3:PutObject"}) || !strings.Contains(string(js), "DynamoDbDeadLetterBucket") || !strings.Contains(string(js), "/dead-letters/*")) {
			t.Errorf("%s: S3 only for dead letters (PutObject under <DynamoDbDeadLetterBucket>/dead-letters/): %v on %s", s.where, acts, js)
		}
	}
	if target != 1 {
		t.Errorf("%d statements write the target table, want 1", target)
	}
	// The dynamodb actions the sink uses are all granted.
	var granted []string
	for _, s := range stmts {
		granted = append(granted, stringsOf(s.body["Action"])...)
	}
	for _, a := range []string{"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query",
		"logs:CreateLogStream", "logs:PutLogEvents", "kafka-cluster:ReadData", "kafka-cluster:AlterGroup"} {
		if !slices.Contains(granted, a) {
			t.Errorf("the DynamoDB sink's role lacks %s", a)
		}
	}
}
