package shipcheck

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v3"
)

var workflowFile = filepath.Join(repoRoot, "examples", "github-actions", "eko-bot-tests.yml")

// lintWorkflow runs actionlint (workflow syntax, keys, expressions, the
// inputs of popular actions such as checkout, setup-node, upload-artifact
// and publish-unit-test-result-action). Shellcheck is used when installed.
func lintWorkflow(t *testing.T, path string, content []byte) []*actionlint.Error {
	t.Helper()
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(path, content, nil)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

func TestWorkflowRecipeIsValid(t *testing.T) {
	content, err := os.ReadFile(workflowFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range lintWorkflow(t, "eko-bot-tests.yml", content) {
		t.Errorf("eko-bot-tests.yml:%d:%d: %s [%s]", e.Line, e.Column, e.Message, e.Kind)
	}

	// What the recipe promises, read from the YAML.
	var wf struct {
		Jobs map[string]struct {
			Services map[string]struct {
				Image   string   `yaml:"image"`
				Ports   []string `yaml:"ports"`
				Options string   `yaml:"options"`
			} `yaml:"services"`
			Env   map[string]string `yaml:"env"`
			Steps []struct {
				Run  string            `yaml:"run"`
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(content, &wf); err != nil {
		t.Fatal(err)
	}
	job := wf.Jobs["test"]
	svc := job.Services["mockeko"]
	if svc.Image != "ghcr.io/mockeko/mockeko:latest" || strings.Join(svc.Ports, ",") != "8080:8080" || !strings.Contains(svc.Options, `--health-cmd "/mockeko health"`) {
		t.Errorf("mockeko service = %+v, want the image on 8080 with its health command", svc)
	}
	if job.Env["EKO_HTTP_URI"] != "http://localhost:8080" {
		t.Errorf("EKO_HTTP_URI = %q, want the service's published port", job.Env["EKO_HTTP_URI"])
	}
	var fetch, publish bool
	for _, s := range job.Steps {
		if strings.Contains(s.Run, `/_mockeko/contract/report?format=junit" -o mockeko-contract.xml`) {
			fetch = true
		}
		if strings.HasPrefix(s.Uses, "EnricoMi/publish-unit-test-result-action@") && s.With["files"] == "mockeko-contract.xml" {
			publish = true
		}
	}
	if !fetch || !publish {
		t.Errorf("steps fetch the JUnit report: %v, publish it: %v; want both", fetch, publish)
	}
}

// TestWorkflowLintCanFail shows actionlint catches the mistakes a copied
// recipe tends to get: a misspelt key, an unknown action input, a bad
// expression.
func TestWorkflowLintCanFail(t *testing.T) {
	tests := map[string]string{
		"misspelt key": `on: push
jobs:
  t:
    runs-on: ubuntu-latest
    service:
      mockeko: {image: ghcr.io/mockeko/mockeko:latest}
    steps: [{run: "true"}]
`,
		"unknown input": `on: push
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/upload-artifact@v4
        with: {name: r, paths: r.xml}
`,
		"bad expression": `on: push
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - if: ${{ !cancelled( }}
        run: "true"
`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			if errs := lintWorkflow(t, "bad.yml", []byte(doc)); len(errs) == 0 {
				t.Errorf("actionlint accepted:\n%s", doc)
			}
		})
	}
}
