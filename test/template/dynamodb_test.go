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
	tpl.assertFunction(t, dynamoFunctionID, dynamoCondition, nil, map[string]any{
		"Role": map[string]any{"Fn::GetAtt": []any{dynamoRoleID, "Arn"}},
	})

	// Environment: the offsets table, the target table, and only settings the sink knows.
	env := tpl.env(t, dynamoFunctionID)
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
	assertSettingsKnown(t, env, spec)

	// Its parameters: every SAM parameter of the spec, typed, defaulted and passed on as the spec
	// says; the required ones asked for by a Rule when the sink is there. The DynamoDB sink's
	// copies of the common settings are its own.
	tpl.assertSAMParameters(t, spec, env, dynamoTableParam, 10)
	// The converter settings template.yaml passes on by parameters of its own.
	tpl.assertConverterParameters(t, env, "DynamoDb")
	for _, sp := range spec.SAMParameters() {
		if !strings.HasPrefix(sp.Name, "DynamoDb") && !slices.Contains([]string{"DeleteEnabled", "ValueAttributeName", "ValueFields"}, sp.Name) {
			t.Errorf("parameter %s: the DynamoDB sink's copies of the common settings must be its own (DynamoDb...)", sp.Name)
		}
	}

	// Every resource of the sink exists only with it, and its mappings read the stack's topic.
	tpl.assertOnlyUnder(t, "DynamoDB sink", dynamoCondition, "DynamoDbSink", dynamoTableParam, dynamoFunctionID, dynamoRoleID)
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
	if !slices.Contains(tpl.attachedPolicies(dynamoRoleID), "DynamoDbSinkMskAccessPolicy") {
		t.Fatalf("DynamoDbSinkMskAccessPolicy is not a policy of %s", dynamoRoleID)
	}
	stmts := tpl.functionStatements(t, dynamoFunctionID)
	var target int
	for _, s := range stmts {
		acts := s.actions()
		js := s.resourceJSON()
		for _, a := range acts {
			if !strings.HasPrefix(a, "dynamodb:") {
				continue
			}
			switch {
			case strings.Contains(js, `"OffsetsTable","Arn"`):
			case strings.Contains(js, `:table/${DynamoDbTableName}`):
				if !slices.Contains([]string{"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}, a) {
					t.Errorf("%s: %s on the target table (only PutItem, DeleteItem and BatchWriteItem are needed)", s.where, a)
				}
			default:
				t.Errorf("%s: %s on %s: only the offsets table and the target table", s.where, a, js)
			}
		}
		if slices.Contains(acts, "dynamodb:BatchWriteItem") {
			target++
			if want := `"arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${DynamoDbTableName}"`; js != `{"Fn::Sub":`+want+`}` {
				t.Errorf("%s: target table Resource %s, want !Sub %s", s.where, js, want)
			}
		}
		if slices.ContainsFunc(acts, func(a string) bool { return strings.HasPrefix(a, "s3:") }) &&
			(!slices.Equal(acts, []string{"s3:PutObject"}) || !strings.Contains(js, "DynamoDbDeadLetterBucket") || !strings.Contains(js, "/dead-letters/*")) {
			t.Errorf("%s: S3 only for dead letters (PutObject under <DynamoDbDeadLetterBucket>/dead-letters/): %v on %s", s.where, acts, js)
		}
	}
	if target != 1 {
		t.Errorf("%d statements write the target table, want 1", target)
	}
	// The dynamodb actions the sink uses are all granted.
	granted := byAction(stmts)
	for _, a := range []string{"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query",
		"logs:CreateLogStream", "logs:PutLogEvents", "kafka-cluster:ReadData", "kafka-cluster:AlterGroup"} {
		if len(granted[a]) == 0 {
			t.Errorf("the DynamoDB sink's role lacks %s", a)
		}
	}
}
