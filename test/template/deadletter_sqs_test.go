package template_test

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

// TestDeadLetterQueueIAM: each sink's SQS dead-letter queue parameter sets
// errors.deadletterqueue.sqs.queue.url, and only when it is set may the sink's role send
// messages, with sqs:SendMessage only, to that queue only (its ARN derived from the URL).
func TestDeadLetterQueueIAM(t *testing.T) {
	tpl := load(t)
	conds := mapOf(tpl.root["Conditions"])
	want := map[string]string{ // condition -> queue URL parameter
		"HasDeadLetterQueue":         "DeadLetterQueueUrl",
		"DynamoDbHasDeadLetterQueue": "DynamoDbDeadLetterQueueUrl",
	}
	for cond, param := range want {
		if !equal(conds[cond], notEmpty(param)) {
			t.Errorf("condition %s = %v, want !Not [!Equals [!Ref %s, \"\"]]", cond, conds[cond], param)
		}
	}
	for fn, param := range map[string]string{functionID: "DeadLetterQueueUrl", dynamoFunctionID: "DynamoDbDeadLetterQueueUrl"} {
		if v := tpl.env(t, fn)[config.EnvName(sink.KeyDLQSQSQueueURL)]; !equal(v, map[string]any{"Ref": param}) {
			t.Errorf("%s: %s = %v, want !Ref %s", fn, config.EnvName(sink.KeyDLQSQSQueueURL), v, param)
		}
	}

	const url = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dlq"
	found := map[string]int{}
	for _, s := range tpl.allRoleStatements() {
		if !slices.Contains(s.actions(), "sqs:SendMessage") {
			continue
		}
		param, ok := want[s.cond]
		if !ok {
			// The S3 source sends its own work to its queues; no sink role may.
			if strings.Contains(s.owner, "Source") {
				continue
			}
			t.Errorf("%s: sqs:SendMessage outside the dead-letter queue conditions (%q)", s.where, s.cond)
			continue
		}
		found[s.cond]++
		// That queue's ARN, derived from its URL.
		assertGrants(t, s, []string{"sqs:SendMessage"}, map[string]string{param: url, "AWS::Partition": "aws"},
			"arn:aws:sqs:eu-west-1:123456789012:orders-dlq")
	}
	for cond := range want {
		if found[cond] != 1 {
			t.Errorf("%d statements allow sqs:SendMessage under %s, want 1", found[cond], cond)
		}
	}
}

var subVar = regexp.MustCompile(`\$\{([^}]+)\}`)

// evalString evaluates the string intrinsics a policy Resource uses (Ref, Fn::Sub, Fn::Select,
// Fn::Split, Fn::Join) with the given parameter values.
func evalString(v any, refs map[string]string) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any:
		if r, ok := x["Ref"]; ok {
			val, ok := refs[str(r)]
			if !ok {
				return "", fmt.Errorf("no value for Ref %v", r)
			}
			return val, nil
		}
		if args, ok := x["Fn::Select"].([]any); ok && len(args) == 2 {
			list, err := evalList(args[1], refs)
			if err != nil {
				return "", err
			}
			i, err := strconv.Atoi(scalar(args[0]))
			if err != nil || i < 0 || i >= len(list) {
				return "", fmt.Errorf("Fn::Select %v of %d items", args[0], len(list))
			}
			return list[i], nil
		}
		if args, ok := x["Fn::Join"].([]any); ok && len(args) == 2 {
			list, err := evalList(args[1], refs)
			return strings.Join(list, str(args[0])), err
		}
		if sub, ok := x["Fn::Sub"]; ok {
			format, vars := str(sub), map[string]string{}
			if args, ok := sub.([]any); ok && len(args) == 2 {
				format = str(args[0])
				for k, e := range mapOf(args[1]) {
					s, err := evalString(e, refs)
					if err != nil {
						return "", fmt.Errorf("%s: %w", k, err)
					}
					vars[k] = s
				}
			}
			var err error
			out := subVar.ReplaceAllStringFunc(format, func(m string) string {
				name := m[2 : len(m)-1]
				if s, ok := vars[name]; ok {
					return s
				}
				if s, ok := refs[name]; ok {
					return s
				}
				err = fmt.Errorf("no value for ${%s}", name)
				return m
			})
			return out, err
		}
	}
	return "", fmt.Errorf("cannot evaluate %v", v)
}

func evalList(v any, refs map[string]string) ([]string, error) {
	if args, ok := mapOf(v)["Fn::Split"].([]any); ok && len(args) == 2 {
		s, err := evalString(args[1], refs)
		return strings.Split(s, str(args[0])), err
	}
	var out []string
	for _, e := range branches(v) {
		s, err := evalString(e, refs)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
