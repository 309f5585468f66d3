// Package template holds the tests of the repository's SAM template (template.yaml): cfn-lint,
// the function's build and runtime settings, the offsets table, least-privilege IAM, and the
// connector parameters and CONNECT_* variables generated from the connectors' config specs.
//
// The generated blocks (between "# BEGIN GENERATED s3-sink ..." and "# END GENERATED ..."
// comments) are rewritten from the spec by
//
//	go test ./test/template -run TestGeneratedBlocks -update
package template
