package template_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/core/checkpoints"
	"github.com/lambda-connect/lambda-connect/core/config"
)

// The S3 source's resources. They exist only under the HasSource condition (SourceBucketName
// set), so that a stack may hold the sink alone.
const (
	sourceFunctionID = "S3SourceFunction"
	sourceRoleID     = "S3SourceFunctionRole"
	sourceTableID    = "CheckpointsTable"
	sourceQueueID    = "SourceQueue"
	sourceDLQID      = "SourceDeadLetterQueue"
	sourceESMID      = "SourceQueueEventSourceMapping"
	sourceRuleID     = "SourceObjectCreatedRule"
	sourceCondition  = "HasSource"
)

func TestSourceFunction(t *testing.T) {
	tpl := load(t)
	props := tpl.assertFunction(t, sourceFunctionID, sourceCondition, nil, map[string]any{
		"Timeout": map[string]any{"Ref": "SourceFunctionTimeout"},
		"Role":    map[string]any{"Fn::GetAtt": []any{sourceRoleID, "Arn"}},
	})
	// VPC configuration for MSK: only when subnets are given.
	vpc := props["VpcConfig"]
	if ifCondition(vpc) != "SourceInVpc" {
		t.Errorf("VpcConfig = %v, want !If [SourceInVpc, ...]", vpc)
	}
	if alts := alternatives(vpc); len(alts) != 1 || !equal(mapOf(alts[0])["SubnetIds"], map[string]any{"Ref": "SourceSubnetIds"}) ||
		!equal(mapOf(alts[0])["SecurityGroupIds"], map[string]any{"Ref": "SourceSecurityGroupIds"}) {
		t.Errorf("VpcConfig %v: want SubnetIds and SecurityGroupIds from the Source* parameters", vpc)
	}

	// Environment: the checkpoint table, and only settings the source knows.
	env := tpl.env(t, sourceFunctionID)
	if !equal(env[config.EnvName(s3source.KeyCheckpointsTable)], map[string]any{"Ref": sourceTableID}) {
		t.Errorf("%s = %v, want !Ref %s", config.EnvName(s3source.KeyCheckpointsTable), env[config.EnvName(s3source.KeyCheckpointsTable)], sourceTableID)
	}
	assertSettingsKnown(t, env, s3source.Spec())
	// Its parameters: every SAM parameter of the spec, typed, defaulted and passed on as the
	// spec says; the required ones asked for by a Rule when the source is there.
	tpl.assertSAMParameters(t, s3source.Spec(), env, "SourceBucketName", 8)
	// The converter settings template.yaml passes on by parameters of its own.
	tpl.assertConverterParameters(t, env, "Source")

	// Every source resource exists only with the source.
	tpl.assertOnlyUnder(t, "source", sourceCondition, "Source", "SourceBucketName", sourceQueueID, sourceFunctionID, sourceRoleID)
}

func TestCheckpointsTable(t *testing.T) {
	tpl := load(t)
	// Keyed as checkpoints.CreateTable creates it.
	p := tpl.assertTable(t, sourceTableID, sourceCondition, checkpoints.AttrObject, checkpoints.AttrVersion)
	// TTL on the attribute the ledger sets on COMPLETE items and sequencer items.
	ttl := mapOf(p["TimeToLiveSpecification"])
	if str(ttl["AttributeName"]) != checkpoints.AttrExpires || ttl["Enabled"] != true {
		t.Errorf("TimeToLiveSpecification = %v, want enabled on %s", ttl, checkpoints.AttrExpires)
	}
}

// TestSourceQueue: the trigger queue's visibility timeout is at least six times every function
// timeout the stack allows, a redrive policy sends what keeps failing to a dead-letter queue, the
// event-source mapping reports partial batch failures, and the EventBridge rule matches objects
// created in the bucket under the prefix.
func TestSourceQueue(t *testing.T) {
	tpl := load(t)
	q := mapOf(tpl.resource(t, sourceQueueID)["Properties"])
	vis := mapOf(q["VisibilityTimeout"])["Fn::FindInMap"]
	args := branches(vis)
	if len(args) != 3 || !equal(args[1], map[string]any{"Ref": "SourceFunctionTimeout"}) {
		t.Fatalf("%s VisibilityTimeout = %v, want !FindInMap [MAP, !Ref SourceFunctionTimeout, ...]", sourceQueueID, q["VisibilityTimeout"])
	}
	mapping := mapOf(mapOf(tpl.root["Mappings"])[str(args[0])])
	timeouts := branches(mapOf(mapOf(tpl.root["Parameters"])["SourceFunctionTimeout"])["AllowedValues"])
	if len(timeouts) == 0 {
		t.Fatal("SourceFunctionTimeout has no AllowedValues: the visibility mapping cannot cover it")
	}
	for _, tv := range timeouts {
		timeout, _ := strconv.Atoi(scalar(tv))
		v, err := strconv.Atoi(scalar(mapOf(mapping[scalar(tv)])[str(args[2])]))
		if err != nil || timeout < 1 || v < 6*timeout || v > 43200 {
			t.Errorf("function timeout %v s: visibility timeout %v, want at least 6x (%d s) and at most SQS's 43200", tv, mapOf(mapping[scalar(tv)])[str(args[2])], 6*timeout)
		}
	}
	if def := scalar(mapOf(mapOf(tpl.root["Parameters"])["SourceFunctionTimeout"])["Default"]); !slices.ContainsFunc(timeouts, func(v any) bool { return scalar(v) == def }) {
		t.Errorf("SourceFunctionTimeout default %s is not one of its AllowedValues", def)
	}

	redrive := mapOf(q["RedrivePolicy"])
	if !equal(redrive["deadLetterTargetArn"], map[string]any{"Fn::GetAtt": []any{sourceDLQID, "Arn"}}) || redrive["maxReceiveCount"] == nil {
		t.Errorf("%s RedrivePolicy = %v, want the dead-letter queue %s and a maxReceiveCount", sourceQueueID, redrive, sourceDLQID)
	}
	dlq := tpl.resource(t, sourceDLQID)
	if str(dlq["Type"]) != "AWS::SQS::Queue" || scalar(mapOf(dlq["Properties"])["MessageRetentionPeriod"]) != "1209600" {
		t.Errorf("%s: %v, want an SQS queue keeping messages 14 days", sourceDLQID, dlq)
	}

	esm := tpl.resource(t, sourceESMID)
	ep := mapOf(esm["Properties"])
	if !equal(ep["EventSourceArn"], map[string]any{"Fn::GetAtt": []any{sourceQueueID, "Arn"}}) ||
		!equal(ep["FunctionName"], map[string]any{"Ref": sourceFunctionID}) ||
		!slices.Contains(stringsOf(ep["FunctionResponseTypes"]), "ReportBatchItemFailures") {
		t.Errorf("%s = %v, want the queue into %s with ReportBatchItemFailures", sourceESMID, ep, sourceFunctionID)
	}

	rule := tpl.resource(t, sourceRuleID)
	if str(rule["Condition"]) != "SourceViaEventBridge" {
		t.Errorf("%s Condition = %v, want SourceViaEventBridge", sourceRuleID, rule["Condition"])
	}
	rp := mapOf(rule["Properties"])
	pat, _ := json.Marshal(rp["EventPattern"])
	for _, want := range []string{`"source":["aws.s3"]`, `"detail-type":["Object Created"]`, `"name":[{"Ref":"SourceBucketName"}]`, `"key":[{"prefix":{"Ref":"SourceKeyPrefix"}}]`} {
		if !strings.Contains(string(pat), want) {
			t.Errorf("%s EventPattern %s lacks %s", sourceRuleID, pat, want)
		}
	}
	targets := branches(rp["Targets"])
	if len(targets) != 1 || !equal(mapOf(targets[0])["Arn"], map[string]any{"Fn::GetAtt": []any{sourceQueueID, "Arn"}}) {
		t.Errorf("%s Targets = %v, want the queue", sourceRuleID, targets)
	}

	// Only the rule (EventBridge) or the bucket (S3 notifications) may send to the queue.
	var senders []string
	for id, res := range tpl.resources() {
		if str(res["Type"]) != "AWS::SQS::QueuePolicy" {
			continue
		}
		p := mapOf(res["Properties"])
		if !equal(p["Queues"], []any{map[string]any{"Ref": sourceQueueID}}) {
			continue
		}
		for _, s := range statementsOf(id, p["PolicyDocument"]) {
			svc := str(mapOf(s.body["Principal"])["Service"])
			cond, _ := json.Marshal(s.body["Condition"])
			senders = append(senders, svc)
			if s.body["Principal"] == "*" || !strings.Contains(string(cond), "aws:SourceArn") || !slices.Equal(stringsOf(s.body["Action"]), []string{"sqs:SendMessage"}) {
				t.Errorf("%s: %v: want sqs:SendMessage for one service, conditioned on aws:SourceArn", s.where, s.body)
			}
		}
	}
	slices.Sort(senders)
	if !slices.Equal(senders, []string{"events.amazonaws.com", "s3.amazonaws.com"}) {
		t.Errorf("queue policy principals %v, want events.amazonaws.com (EventBridge) and s3.amazonaws.com (S3 notifications)", senders)
	}
}

// TestSourceIAM: the source's role reads objects under the prefix of its bucket only, uses its
// checkpoint table and queue only, and for MSK IAM connects to its cluster and writes its topics.
func TestSourceIAM(t *testing.T) {
	tpl := load(t)
	for _, id := range tpl.attachedPolicies(sourceRoleID) {
		if c := str(tpl.resource(t, id)["Condition"]); c != "SourceUsesMskIam" {
			t.Errorf("%s: Condition %q, want SourceUsesMskIam", id, c)
		}
	}
	grants := byAction(tpl.functionStatements(t, sourceFunctionID))
	want := map[string]string{ // action -> what its Resource must hold
		"s3:GetObject":                   `arn:${AWS::Partition}:s3:::${SourceBucketName}/${SourceKeyPrefix}*`,
		"s3:GetObjectVersion":            `arn:${AWS::Partition}:s3:::${SourceBucketName}/${SourceKeyPrefix}*`,
		"dynamodb:GetItem":               `{"Fn::GetAtt":["` + sourceTableID + `","Arn"]}`,
		"dynamodb:UpdateItem":            `{"Fn::GetAtt":["` + sourceTableID + `","Arn"]}`,
		"sqs:ReceiveMessage":             `{"Fn::GetAtt":["` + sourceQueueID + `","Arn"]}`,
		"sqs:DeleteMessage":              `{"Fn::GetAtt":["` + sourceQueueID + `","Arn"]}`,
		"sqs:GetQueueAttributes":         `{"Fn::GetAtt":["` + sourceQueueID + `","Arn"]}`,
		"logs:CreateLogStream":           `{"Fn::GetAtt":["S3SourceLogGroup","Arn"]}`,
		"logs:PutLogEvents":              `{"Fn::GetAtt":["S3SourceLogGroup","Arn"]}`,
		"kafka-cluster:Connect":          `{"Ref":"SourceMskClusterArn"}`,
		"kafka-cluster:WriteData":        `:topic/${Cluster}/${SourceTopic}`,
		"kafka-cluster:ReadData":         `:topic/${Cluster}/${SourceTopic}`,
		"kafka-cluster:DescribeTopic":    `:topic/${Cluster}/${SourceTopic}`,
		"ec2:CreateNetworkInterface":     `*`,
		"ec2:DescribeNetworkInterfaces":  `*`,
		"ec2:DeleteNetworkInterface":     `*`,
		"ec2:AssignPrivateIpAddresses":   `*`,
		"ec2:UnassignPrivateIpAddresses": `*`,
		// Under HasGlueSchemaRegistry, on that registry's ARNs (TestGlueSchemaRegistryIAM).
		"glue:GetSchemaVersion":      `:registry/${GlueSchemaRegistryName}`,
		"glue:GetSchemaByDefinition": `:registry/${GlueSchemaRegistryName}`,
		"glue:RegisterSchemaVersion": `:registry/${GlueSchemaRegistryName}`,
		"glue:CreateSchema":          `:registry/${GlueSchemaRegistryName}`,
	}
	for a, res := range want {
		ss := grants[a]
		if len(ss) == 0 {
			t.Errorf("the source's role does not allow %s", a)
			continue
		}
		found := false
		for _, s := range ss {
			found = found || strings.Contains(s.resourceJSON(), res)
		}
		if !found {
			t.Errorf("%s: no statement grants it on %s", a, res)
		}
	}
	for a, ss := range grants {
		if _, ok := want[a]; !ok && !slices.Contains(eniActions, a) {
			t.Errorf("the source's role allows %s (%s), which it does not need", a, ss[0].where)
		}
		for _, s := range ss {
			for _, r := range alternatives(s.body["Resource"]) {
				if str(r) == "*" && (!isENI(s.actions()) || !strings.Contains(s.where, "SourceInVpc")) {
					t.Errorf(`%s: Resource "*" for %s: only the network-interface actions of a function in a VPC may have it`, s.where, a)
				}
			}
		}
	}
	for _, s := range grants["kafka-cluster:WriteData"] {
		if !strings.Contains(s.where, "SourceUsesMskIam") {
			t.Errorf("%s: kafka-cluster statements must be conditional on SourceUsesMskIam", s.where)
		}
	}
}
