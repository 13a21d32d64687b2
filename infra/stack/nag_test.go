package stack_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgkit/orgkit/infra/stack"
)

// nagFindings builds the orgkit stack on dummy bootstraps, lets add put more
// in it, applies stack.CheckNag and synthesizes it with cdk.json's context. It
// returns every unsuppressed AwsSolutions finding, errors and warnings, one
// line each.
func nagFindings(t *testing.T, add func(awscdk.Stack)) []string {
	t.Helper()
	skipShort(t)
	dir := t.TempDir()
	assets, outdir := filepath.Join(dir, "build"), filepath.Join(dir, "cdk.out")
	if err := dummyAssets(assets, stack.FunctionNames()); err != nil {
		t.Fatal(err)
	}
	app, err := newApp(outdir)
	if err != nil {
		t.Fatal(err)
	}
	s := stack.NewOrgkitStack(app, "Orgkit", &stack.OrgkitStackProps{AssetDir: assets})
	if add != nil {
		add(s)
	}
	stack.CheckNag(s)

	var ann assertions.Annotations
	var failed any
	func() {
		defer func() { failed = recover() }()
		ann = assertions.Annotations_FromStack(s)
	}()
	if failed != nil {
		// cdk.json sets @aws-cdk/core:annotationsInValidationReport, so error
		// annotations (cdk-nag's errors among them) fail the synthesis and
		// are written to the validation report instead.
		findings, err := validationReport(filepath.Join(outdir, "validation-report.json"))
		if err != nil {
			t.Fatalf("synth: %v\n(and reading its validation report: %v)", failed, err)
		}
		return findings
	}
	var findings []string
	rule := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-"))
	for level, find := range map[string]func(*string, any) *[]*cxapi.SynthesisMessage{
		"error":   ann.FindError,
		"warning": ann.FindWarning,
	} {
		for _, m := range *find(jsii.String("*"), rule) {
			findings = append(findings, finding(level, fmt.Sprint(m.Entry.Data), *m.Id))
		}
	}
	slices.Sort(findings)
	return findings
}

// validationReport reads the findings from CDK's validation-report.json.
func validationReport(path string) ([]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var report struct {
		PluginReports []struct {
			Violations []struct {
				Description         string
				Severity            string
				ViolatingConstructs []struct{ ConstructPath string }
			}
		}
	}
	if err := json.Unmarshal(raw, &report); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var findings []string
	for _, p := range report.PluginReports {
		for _, v := range p.Violations {
			for _, c := range v.ViolatingConstructs {
				findings = append(findings, finding(v.Severity, v.Description, c.ConstructPath))
			}
		}
	}
	if len(findings) == 0 {
		return nil, fmt.Errorf("%s lists no violation", path)
	}
	return findings, nil
}

// finding shortens a cdk-nag message to its rule and first sentence.
func finding(level, msg, path string) string {
	if i := strings.Index(msg, ". "); i > 0 {
		msg = msg[:i+1]
	}
	return fmt.Sprintf("%s at %s: %s", level, path, strings.TrimSpace(msg))
}

func TestNagAwsSolutions(t *testing.T) {
	// GIVEN the stack with cdk-nag's AwsSolutions rules and orgkit's
	// suppressions, each with its reason (stack.CheckNag)
	// WHEN it is synthesized
	findings := nagFindings(t, nil)

	// THEN no rule reports an unsuppressed error or warning
	for _, f := range findings {
		t.Error(f)
	}
	if len(findings) > 0 {
		t.Log("fix the stack, or suppress the finding in infra/stack/nag.go with a true reason")
	}
}

func TestNagReportsFindings(t *testing.T) {
	// GIVEN the same stack with a queue that breaks AwsSolutions rules (no
	// dead-letter queue, no TLS-only policy)
	// WHEN it is synthesized
	findings := nagFindings(t, func(s awscdk.Stack) {
		awssqs.NewQueue(s, jsii.String("NagProbe"), nil)
	})

	// THEN the queue's findings are reported, so TestNagAwsSolutions passing
	// means the rules ran and found nothing else
	found := false
	for _, f := range findings {
		if strings.Contains(f, "/NagProbe/") && strings.Contains(f, "AwsSolutions-SQS") {
			found = true
		}
	}
	if !found {
		t.Errorf("no AwsSolutions-SQS finding for the probe queue; findings: %q", findings)
	}
}
