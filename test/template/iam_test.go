package template_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
)

// statement is one IAM statement and where it is.
type statement struct {
	// where names it in messages: the function whose role holds it, the role or policy resource,
	// the policy, the statement's index, and the conditions (Fn::If, a resource's Condition) it is under.
	where string
	owner string // the logical ID of the role or policy resource that holds it
	cond  string // the condition of its inline policy (the Fn::If around it), or of its policy resource
	body  map[string]any
}

// actions returns the statement's Action as a list.
func (s statement) actions() []string { return stringsOf(s.body["Action"]) }

// resourceJSON returns the statement's Resource as JSON, to look for ARNs and references in.
func (s statement) resourceJSON() string {
	js, _ := json.Marshal(s.body["Resource"])
	return string(js)
}

// resources evaluates the statement's Resource (one value or a list) with the given parameter values.
func (s statement) resources(refs map[string]string) ([]string, error) {
	rs := branches(s.body["Resource"])
	if rs == nil {
		rs = []any{s.body["Resource"]}
	}
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		arn, err := evalString(r, refs)
		if err != nil {
			return nil, fmt.Errorf("%v: %w", r, err)
		}
		out = append(out, arn)
	}
	return out, nil
}

// assertGrants checks that statement s allows exactly actions, on exactly resources once its
// Resource is evaluated with refs.
func assertGrants(t *testing.T, s statement, actions []string, refs map[string]string, resources ...string) {
	t.Helper()
	if got := s.actions(); !slices.Equal(got, actions) {
		t.Errorf("%s: actions %v, want %v", s.where, got, actions)
	}
	got, err := s.resources(refs)
	if err != nil {
		t.Errorf("%s: Resource %v: %v", s.where, s.body["Resource"], err)
		return
	}
	if !slices.Equal(got, resources) {
		t.Errorf("%s: Resource %v, want %v", s.where, got, resources)
	}
}

// byAction indexes statements by the actions they name.
func byAction(stmts []statement) map[string][]statement {
	out := map[string][]statement{}
	for _, s := range stmts {
		for _, a := range s.actions() {
			out[a] = append(out[a], s)
		}
	}
	return out
}

// statementsOf returns the statements of a policy document, both branches of any Fn::If.
func statementsOf(where string, doc any) []statement {
	var out []statement
	for i, s := range branches(mapOf(doc)["Statement"]) {
		for j, alt := range alternatives(s) {
			w := fmt.Sprintf("%s/Statement/%d", where, i)
			if c := ifCondition(s); c != "" {
				w += fmt.Sprintf("[If %s branch %d]", c, j)
			}
			if m := mapOf(alt); m != nil {
				out = append(out, statement{where: w, body: m})
			}
		}
	}
	return out
}

// roleStatements returns the statements of role id's inline policies, both branches of any Fn::If
// around a policy or a statement.
func (tp tmpl) roleStatements(id string) []statement {
	prefix := id
	if fn := tp.functionOfRole(id); fn != "" {
		prefix = fn + "'s role " + id
	}
	var out []statement
	for i, pol := range branches(mapOf(tp.resources()[id]["Properties"])["Policies"]) {
		cond := ifCondition(pol)
		for _, alt := range alternatives(pol) {
			name := fmt.Sprintf("%s/Policies/%d(%v)", prefix, i, mapOf(alt)["PolicyName"])
			if cond != "" {
				name += "[If " + cond + "]"
			}
			for _, s := range statementsOf(name, mapOf(alt)["PolicyDocument"]) {
				s.owner, s.cond = id, cond
				out = append(out, s)
			}
		}
	}
	return out
}

// policyStatements returns the statements of policy resource id (an AWS::IAM::RolePolicy or
// AWS::IAM::Policy), both branches of any Fn::If around a statement.
func (tp tmpl) policyStatements(id string) []statement {
	res := tp.resources()[id]
	name := id
	if fn := tp.functionOfRole(str(mapOf(mapOf(res["Properties"])["RoleName"])["Ref"])); fn != "" {
		name = fn + "'s policy " + id
	}
	cond := str(res["Condition"])
	if cond != "" {
		name += "[If " + cond + "]"
	}
	out := statementsOf(name, mapOf(res["Properties"])["PolicyDocument"])
	for i := range out {
		out[i].owner, out[i].cond = id, cond
	}
	return out
}

// allRoleStatements returns the statements of the inline policies of every role of the template.
func (tp tmpl) allRoleStatements() []statement {
	var out []statement
	for _, id := range tp.idsOfType("AWS::IAM::Role") {
		out = append(out, tp.roleStatements(id)...)
	}
	return out
}

// functionStatements returns the statements of function fn's role: its inline policies' and
// those of the policy resources attached to it.
func (tp tmpl) functionStatements(t *testing.T, fn string) []statement {
	t.Helper()
	role := tp.roleOf(t, fn)
	out := tp.roleStatements(role)
	for _, id := range tp.attachedPolicies(role) {
		out = append(out, tp.policyStatements(id)...)
	}
	return out
}

// roleOf returns the logical ID of function fn's role (Role: !GetAtt ROLE.Arn).
func (tp tmpl) roleOf(t *testing.T, fn string) string {
	t.Helper()
	ref := branches(mapOf(mapOf(tp.resource(t, fn)["Properties"])["Role"])["Fn::GetAtt"])
	if len(ref) != 2 || str(ref[1]) != "Arn" || str(ref[0]) == "" {
		t.Fatalf("%s: Role is not !GetAtt ROLE.Arn", fn)
	}
	return str(ref[0])
}

// functionOfRole returns the function whose Role is role ("" for none).
func (tp tmpl) functionOfRole(role string) string {
	want := map[string]any{"Fn::GetAtt": []any{role, "Arn"}}
	for _, id := range tp.idsOfType("AWS::Serverless::Function") {
		if equal(mapOf(tp.resources()[id]["Properties"])["Role"], want) {
			return id
		}
	}
	return ""
}

// attachedPolicies returns the policy resources attached to role: the AWS::IAM::RolePolicy
// resources naming it and the AWS::IAM::Policy resources listing it.
func (tp tmpl) attachedPolicies(role string) []string {
	ref := map[string]any{"Ref": role}
	var out []string
	for _, id := range tp.idsOfType("AWS::IAM::RolePolicy", "AWS::IAM::Policy") {
		p := mapOf(tp.resources()[id]["Properties"])
		if equal(p["RoleName"], ref) || slices.ContainsFunc(branches(p["Roles"]), func(r any) bool { return equal(r, ref) }) {
			out = append(out, id)
		}
	}
	return out
}

// idsOfType returns the logical IDs of the resources of the given types, sorted.
func (tp tmpl) idsOfType(types ...string) []string {
	var out []string
	for id, res := range tp.resources() {
		if slices.Contains(types, str(res["Type"])) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}
