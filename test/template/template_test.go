package template_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lambda-connect/lambda-connect/connectors/dynamodbsink"
	"github.com/lambda-connect/lambda-connect/connectors/s3sink"
	"github.com/lambda-connect/lambda-connect/connectors/s3source"
	"github.com/lambda-connect/lambda-connect/core/config"
	"github.com/lambda-connect/lambda-connect/core/offsets"
	"github.com/lambda-connect/lambda-connect/core/sink"
)

var update = flag.Bool("update", false, "rewrite the generated blocks of template.yaml from the specs")

const (
	templatePath = "../../template.yaml"
	makefilePath = "../../Makefile"
	functionID   = "S3SinkFunction"
	tableID      = "OffsetsTable"
)

// The ec2 actions of an event-source mapping's network interfaces: the one statement allowed
// Resource "*", as these actions support no resource-level permissions.
var eniActions = []string{
	"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
	"ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
	// and those of a function in a VPC (the S3 source's, for MSK)
	"ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
}

func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		msg := "cfn-lint not on PATH (it is a Python package; this machine cannot pip install it): template.yaml not linted"
		fmt.Println("SKIP TestCfnLint:", msg)
		t.Skip(msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, bin, templatePath).CombinedOutput()
	if err != nil {
		t.Fatalf("cfn-lint %s: %v\n%s", templatePath, err, out)
	}
	t.Logf("cfn-lint clean in %v", time.Since(start).Round(time.Millisecond))
}

func TestFunction(t *testing.T) {
	tpl := load(t)
	globals := mapOf(mapOf(tpl.root["Globals"])["Function"])
	props := tpl.assertFunction(t, functionID, "", globals, nil)
	if props["Policies"] != nil || (props["Role"] == nil && globals["Role"] == nil) {
		t.Errorf("%s must use the template's own role (Role), not SAM policy templates (Policies)", functionID)
	}

	// sam build runs `make build-<LogicalId>` for every makefile-built function.
	mk, err := os.ReadFile(makefilePath)
	if err != nil {
		t.Fatal(err)
	}
	for id, res := range tpl.resources() {
		if str(mapOf(res["Metadata"])["BuildMethod"]) != "makefile" {
			continue
		}
		re := regexp.MustCompile(`(?m)^build-` + regexp.QuoteMeta(id) + `:`)
		if !re.Match(mk) {
			t.Errorf("Makefile has no target build-%s (sam build needs it for %s)", id, id)
		}
	}
}

func TestOffsetsTable(t *testing.T) {
	tpl := load(t)
	// The key schema is the one offsets.DynamoStore uses (and offsets.CreateTable creates).
	tpl.assertTable(t, tableID, "", offsets.AttrConnector, offsets.AttrPartitionKey)
	env := tpl.env(t, functionID)
	if !equal(env[config.EnvName(sink.KeyOffsetsTable)], map[string]any{"Ref": tableID}) {
		t.Errorf("%s = %v, want !Ref %s", config.EnvName(sink.KeyOffsetsTable), env[config.EnvName(sink.KeyOffsetsTable)], tableID)
	}
}

func TestIAMLeastPrivilege(t *testing.T) {
	tpl := load(t)
	var stmts []statement
	for id, res := range tpl.resources() {
		p := mapOf(res["Properties"])
		switch str(res["Type"]) {
		case "AWS::IAM::Role":
			if p["ManagedPolicyArns"] != nil {
				t.Errorf("%s: ManagedPolicyArns: only inline policies are allowed", id)
			}
			stmts = append(stmts, tpl.roleStatements(id)...)
		case "AWS::IAM::RolePolicy", "AWS::IAM::Policy":
			stmts = append(stmts, tpl.policyStatements(id)...)
		case "AWS::IAM::ManagedPolicy", "AWS::IAM::User", "AWS::IAM::AccessKey":
			t.Errorf("%s: %s is not allowed", id, str(res["Type"]))
		case "AWS::Serverless::Function":
			if p["Policies"] != nil {
				t.Errorf("%s: SAM Policies are not allowed (they may add managed policies)", id)
			}
		}
	}
	if len(stmts) < 5 {
		t.Fatalf("found only %d IAM statements", len(stmts))
	}
	actions := map[string]bool{}
	eni := 0
	for _, s := range stmts {
		if str(s.body["Effect"]) != "Allow" {
			continue
		}
		acts := stringsOf(s.body["Action"])
		for _, a := range acts {
			actions[a] = true
			if strings.Contains(a, "*") {
				t.Errorf("%s: wildcard action %q", s.where, a)
			}
		}
		if s.body["NotResource"] != nil || s.body["NotAction"] != nil {
			t.Errorf("%s: NotResource/NotAction are not allowed", s.where)
		}
		for _, r := range alternatives(s.body["Resource"]) {
			if str(r) != "*" {
				continue
			}
			if isENI(acts) {
				eni++
				continue
			}
			t.Errorf(`%s: Resource "*" for %v (only the ec2 network-interface actions may have it)`, s.where, acts)
		}
	}
	if eni != 3 { // the sinks' event-source mappings (S3, DynamoDB); the S3 source's function in a VPC (TestSourceIAM)
		t.Errorf(`%d network-interface statements with Resource "*", want exactly 3`, eni)
	}
	for _, a := range []string{
		"s3:PutObject", "s3:GetObject", "s3:DeleteObject",
		"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:Query",
		"kafka:DescribeCluster", "kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers",
		"kafka-cluster:Connect", "kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup",
		"kafka-cluster:DescribeTopic", "kafka-cluster:ReadData", "kafka-cluster:DescribeClusterDynamicConfiguration",
		"secretsmanager:GetSecretValue", "logs:CreateLogStream", "logs:PutLogEvents",
	} {
		if !actions[a] {
			t.Errorf("no statement allows %s", a)
		}
	}
	for a := range actions {
		if strings.HasPrefix(a, "s3:") && !slices.Contains([]string{"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:GetObjectVersion"}, a) {
			t.Errorf("unexpected S3 action %s", a)
		}
	}

	// The S3 statement covers the connector's objects only: <bucket>/<topics.dir>/*, where an empty
	// TopicsDir means topics.dir's default (an empty CONNECT_* variable counts as unset).
	// The dead-letter statement is the other one, conditional on a dead-letter bucket, PutObject
	// only, under that bucket's dead-letter prefix.
	var s3res []any
	for _, s := range stmts {
		if !slices.Contains(stringsOf(s.body["Action"]), "s3:PutObject") {
			continue
		}
		js, _ := json.Marshal(s.body["Resource"])
		if strings.Contains(string(js), "DeadLetterBucket") {
			if !strings.Contains(s.where, "HasDeadLetterBucket") || len(stringsOf(s.body["Action"])) != 1 ||
				!strings.Contains(string(js), "${DeadLetterBucket}/dead-letters/*") {
				t.Errorf("%s: the dead-letter statement must be PutObject on <DeadLetterBucket>/dead-letters/* under HasDeadLetterBucket: %s", s.where, js)
			}
			continue
		}
		s3res = append(s3res, s.body["Resource"])
	}
	if len(s3res) != 1 {
		t.Fatalf("%d statements allow s3:PutObject on the connector's bucket, want 1", len(s3res))
	}
	js, _ := json.Marshal(s3res[0])
	for _, want := range []string{`arn:${AWS::Partition}:s3:::${S3BucketName}/${Dir}/*`, `"HasTopicsDir"`, `{"Ref":"TopicsDir"}`,
		`"` + s3sink.Spec().Key(s3sink.KeyTopicsDir).Default + `"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("S3 statement Resource %s lacks %s", js, want)
		}
	}

	// The secret statement exists only when a secret is given.
	for _, s := range stmts {
		if slices.Contains(stringsOf(s.body["Action"]), "secretsmanager:GetSecretValue") && !strings.Contains(s.where, "HasSecret") {
			t.Errorf("%s: secretsmanager:GetSecretValue must be conditional on HasSecret", s.where)
		}
	}
}

func isENI(actions []string) bool {
	if len(actions) == 0 {
		return false
	}
	for _, a := range actions {
		if !slices.Contains(eniActions, a) {
			return false
		}
	}
	return true
}

func TestConnectorParameters(t *testing.T) {
	tpl := load(t)
	params := mapOf(tpl.root["Parameters"])
	env := tpl.env(t, functionID)
	tpl.assertSAMParameters(t, s3sink.Spec(), env, "", 10)
	// Every CONNECT_* variable names a setting the connector accepts.
	assertSettingsKnown(t, connectVars(env), s3sink.Spec())
	for _, name := range []string{config.EnvName(sink.KeyConnectorName), "CONNECT_S3_BUCKET_NAME", "CONNECT_VALUE_CONVERTER_SCHEMAS_ENABLE"} {
		if env[name] == nil {
			t.Errorf("no environment variable %s", name)
		}
	}
	// The converter settings template.yaml passes on by parameters of its own.
	tpl.assertConverterParameters(t, env, "")
	// The console's parameter groups list every parameter once.
	grouped := map[string]int{}
	for _, g := range branches(mapOf(mapOf(tpl.root["Metadata"])["AWS::CloudFormation::Interface"])["ParameterGroups"]) {
		for _, p := range branches(mapOf(g)["Parameters"]) {
			grouped[str(p)]++
		}
	}
	for name := range params {
		if grouped[name] != 1 {
			t.Errorf("parameter %s is in %d parameter groups, want 1", name, grouped[name])
		}
	}
}

func TestNoCredentials(t *testing.T) {
	raw, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`),
		regexp.MustCompile(`(?i)(secret_?access_?key|aws_session_token|password)\s*[:=]\s*\S`),
	} {
		if m := re.Find(raw); m != nil {
			t.Errorf("template.yaml holds what looks like a credential: %q", m)
		}
	}
}

// Generated blocks ------------------------------------------------------------------------------

// generated lists the connectors whose template blocks (parameter group, parameters, environment)
// are rendered from their specs. The S3 sink is always in the stack; the others are optional: the
// settings their spec requires get an empty default, and a Rule asks for them when the connector's
// switch parameter is set.
var generated = []struct {
	spec     func() *config.Spec
	optional string // the parameter that adds the connector to the stack; "" for always
}{
	{s3sink.Spec, ""},
	{s3source.Spec, "SourceBucketName"},
	{dynamodbsink.Spec, "DynamoDbTableName"},
}

func renderBlocks(sps []config.SAMParameter, optional string) map[string]string {
	params := sps
	if optional != "" {
		params = make([]config.SAMParameter, len(sps))
		for i, p := range sps {
			if p.Required {
				p.Required, p.Default = false, ""
				p.Description += " Required when " + optional + " is set."
			}
			params[i] = p
		}
	}
	return map[string]string{"parameter-group": renderGroup(sps), "parameters": renderParameters(params), "environment": renderEnvironment(sps)}
}

// TestGeneratedBlocks checks that the generated blocks of template.yaml are what the specs
// render; with -update (go test ./test/template -run TestGeneratedBlocks -update) it rewrites them.
func TestGeneratedBlocks(t *testing.T) {
	raw, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	out := raw
	for _, g := range generated {
		spec := g.spec()
		for _, name := range []string{"parameter-group", "parameters", "environment"} {
			begin := "# BEGIN GENERATED " + spec.Connector + " " + name
			end := "# END GENERATED " + spec.Connector + " " + name
			if out, err = config.RenderBetween(out, begin, end, renderBlocks(spec.SAMParameters(), g.optional)[name]); err != nil {
				t.Fatalf("%s: %v", spec.Connector, err)
			}
		}
	}
	if bytes.Equal(out, raw) {
		return
	}
	if *update {
		if err := os.WriteFile(templatePath, out, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the generated blocks of %s", filepath.Base(templatePath))
		return
	}
	t.Errorf("the generated blocks of template.yaml are out of date with the connectors' specs: run\n\tgo test ./test/template -run TestGeneratedBlocks -update\n%s",
		firstDiff(string(raw), string(out)))
}

func renderGroup(sps []config.SAMParameter) string {
	var b strings.Builder
	for _, p := range sps {
		fmt.Fprintf(&b, "          - %s\n", p.Name)
	}
	return b.String()
}

func renderParameters(sps []config.SAMParameter) string {
	var b strings.Builder
	for _, p := range sps {
		fmt.Fprintf(&b, "  %s:\n    Type: %s\n", p.Name, p.Type)
		desc := p.Key + ": " + p.Description
		if len(desc) > 4000 {
			desc = desc[:3997] + "..."
		}
		fmt.Fprintf(&b, "    Description: %s\n", quote(desc))
		if p.Required {
			if p.Type == "String" {
				b.WriteString("    MinLength: 1\n")
			}
		} else {
			fmt.Fprintf(&b, "    Default: %s\n", quote(p.Default))
		}
		if len(p.AllowedValues) > 0 {
			q := make([]string, len(p.AllowedValues))
			for i, v := range p.AllowedValues {
				q[i] = quote(v)
			}
			fmt.Fprintf(&b, "    AllowedValues: [%s]\n", strings.Join(q, ", "))
		}
		if p.NoEcho {
			b.WriteString("    NoEcho: true\n")
		}
	}
	return b.String()
}

func renderEnvironment(sps []config.SAMParameter) string {
	var b strings.Builder
	for _, p := range sps {
		fmt.Fprintf(&b, "          %s: !Ref %s\n", p.EnvVar, p.Name)
	}
	return b.String()
}

// quote writes s as a YAML double-quoted scalar: a JSON string (valid YAML) with the characters
// YAML does not take as they are escaped too: DEL, the C1 controls (NEL is a line break to YAML),
// the byte-order mark and the non-characters U+FFFE and U+FFFF.
func quote(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	var b strings.Builder
	for _, r := range strings.TrimSuffix(buf.String(), "\n") {
		if r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfeff || r == 0xfffe || r == 0xffff {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("first difference at line %d:\n\thave: %s\n\twant: %s", i+1, x, y)
		}
	}
	return ""
}

// Template loading ------------------------------------------------------------------------------

type tmpl struct{ root map[string]any }

func load(t *testing.T) tmpl {
	t.Helper()
	raw, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parsing %s: %v", templatePath, err)
	}
	v, err := convert(&doc)
	if err != nil {
		t.Fatalf("%s: %v", templatePath, err)
	}
	root := mapOf(v)
	if root == nil || root["Resources"] == nil {
		t.Fatalf("%s has no Resources", templatePath)
	}
	return tmpl{root: root}
}

func (tp tmpl) resources() map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range mapOf(tp.root["Resources"]) {
		out[id] = mapOf(r)
	}
	return out
}

func (tp tmpl) resource(t *testing.T, id string) map[string]any {
	t.Helper()
	r := tp.resources()[id]
	if r == nil {
		t.Fatalf("template.yaml has no resource %s", id)
	}
	return r
}

// env returns the environment variables of function fn.
func (tp tmpl) env(t *testing.T, fn string) map[string]any {
	t.Helper()
	p := mapOf(tp.resource(t, fn)["Properties"])
	vars := mapOf(mapOf(p["Environment"])["Variables"])
	if vars == nil {
		t.Fatalf("%s has no Environment.Variables", fn)
	}
	return vars
}

// intrinsic names the CloudFormation short-form tags by their long form.
var intrinsic = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition", "!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub",
	"!If": "Fn::If", "!Equals": "Fn::Equals", "!Not": "Fn::Not", "!And": "Fn::And", "!Or": "Fn::Or",
	"!Join": "Fn::Join", "!Select": "Fn::Select", "!Split": "Fn::Split", "!FindInMap": "Fn::FindInMap",
	"!GetAZs": "Fn::GetAZs", "!ImportValue": "Fn::ImportValue", "!Base64": "Fn::Base64",
	"!Cidr": "Fn::Cidr", "!Transform": "Fn::Transform", "!ToJsonString": "Fn::ToJsonString",
	"!Length": "Fn::Length",
}

// convert turns a YAML node into maps, slices and scalars, CloudFormation tags into their long
// form ({"Ref": x}, {"Fn::GetAtt": [resource, attribute]}, ...).
func convert(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, fmt.Errorf("line %d: want one document", n.Line)
		}
		return convert(n.Content[0])
	case yaml.AliasNode:
		return convert(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("line %d: key %q twice", n.Content[i].Line, k)
			}
			val, err := convert(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k] = val
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := convert(c)
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		v = s
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!bool":
			v = n.Value == "true"
		default:
			v = n.Value // numbers kept as text: CloudFormation reads them as strings anyway
		}
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return v, nil
	}
	long, ok := intrinsic[n.Tag]
	if !ok {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	if long == "Fn::GetAtt" {
		if s, ok := v.(string); ok {
			res, attr, _ := strings.Cut(s, ".")
			v = []any{res, attr}
		}
	}
	return map[string]any{long: v}, nil
}

// Value helpers ---------------------------------------------------------------------------------

func mapOf(v any) map[string]any { m, _ := v.(map[string]any); return m }

func str(v any) string { s, _ := v.(string); return s }

// scalar formats a scalar as CloudFormation reads it.
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return fmt.Sprint(x)
	}
	return fmt.Sprint(v)
}

func equal(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// branches returns a list's items (nil for anything else).
func branches(v any) []any { s, _ := v.([]any); return s }

// ifCondition returns the condition of an Fn::If, or "".
func ifCondition(v any) string {
	if args := branches(mapOf(v)["Fn::If"]); len(args) == 3 {
		return str(args[0])
	}
	return ""
}

// alternatives returns the values v can take: both branches of an Fn::If (recursively, without
// AWS::NoValue), else v itself.
func alternatives(v any) []any {
	args := branches(mapOf(v)["Fn::If"])
	if len(args) != 3 {
		return []any{v}
	}
	var out []any
	for _, b := range args[1:] {
		if str(mapOf(b)["Ref"]) == "AWS::NoValue" {
			continue
		}
		out = append(out, alternatives(b)...)
	}
	return out
}

// stringsOf returns a string or a list of strings as a list.
func stringsOf(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	var out []string
	for _, x := range branches(v) {
		out = append(out, str(x))
	}
	return out
}
