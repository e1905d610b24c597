package shipcheck

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	digest "github.com/opencontainers/go-digest"
)

// repoRoot is the mockeko checkout this nested module lives in.
const repoRoot = "../.."

// offlineResolver answers every FROM image with an empty linux/amd64
// config, so the linter runs without a registry (our machines have none).
type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	return ref, digest.FromString(ref), []byte(`{"architecture":"amd64","os":"linux","config":{}}`), nil
}

// lintDockerfile runs the checks of `docker build --check`: the parser, the
// instruction parser and every default buildkit lint rule.
func lintDockerfile(t *testing.T, dt []byte) (*lint.LintResults, error) {
	t.Helper()
	if _, err := parser.Parse(bytes.NewReader(dt)); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	sm := llb.NewSourceMap(nil, "Dockerfile", "Dockerfile", dt)
	sm.Definition = &llb.Definition{} // DockerfileLint dereferences it
	return dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{
		SourceMap:    sm,
		MetaResolver: offlineResolver{},
	})
}

// describe renders lint results like `docker build --check` does, one line per finding.
func describe(lr *lint.LintResults) []string {
	var out []string
	for _, w := range lr.Warnings {
		line := 0
		if w.Location != nil && len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		out = append(out, fmt.Sprintf("Dockerfile:%d: %s: %s", line, w.RuleName, w.Detail))
	}
	if lr.Error != nil {
		out = append(out, "error: "+lr.Error.Message)
	}
	return out
}

func readDockerfile(t *testing.T) []byte {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

func TestDockerfilePassesBuildCheck(t *testing.T) {
	lr, err := lintDockerfile(t, readDockerfile(t))
	if err != nil {
		t.Fatal(err)
	}
	if found := describe(lr); len(found) > 0 {
		t.Errorf("docker build --check would report:\n%s", strings.Join(found, "\n"))
	}
}

// TestLinterCatchesMistakes shows the check above can fail: a Dockerfile
// with known faults yields exactly the rules buildkit documents for them.
func TestLinterCatchesMistakes(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		wantRules  []string
		wantError  string
	}{
		{
			name: "style faults",
			dockerfile: `FROM golang:1.26 AS Build
MAINTAINER someone
from scratch AS build2
WORKDIR app
COPY --from=Build /out/mockeko /mockeko
ENV MOCKEKO_ADDR 0.0.0.0:8080
ENTRYPOINT /mockeko
`,
			wantRules: []string{"ConsistentInstructionCasing", "FromAsCasing", "JSONArgsRecommended", "LegacyKeyValueFormat", "MaintainerDeprecated", "StageNameCasing", "WorkdirRelativePath"},
		},
		{
			name: "undefined variable",
			dockerfile: `FROM scratch
COPY mockeko /mockeko
ENV MOCKEKO_ADDR=${HOST}:8080
`,
			wantRules: []string{"UndefinedVar"},
		},
		{
			name: "blank base image",
			dockerfile: `FROM ${BASE}
COPY mockeko /mockeko
`,
			wantRules: []string{"InvalidDefaultArgInFrom", "UndefinedArgInFrom"},
			wantError: "base name (${BASE}) should not be blank",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr, err := lintDockerfile(t, []byte(tt.dockerfile))
			if err != nil {
				t.Fatal(err)
			}
			var rules []string
			for _, w := range lr.Warnings {
				if !slices.Contains(rules, w.RuleName) {
					rules = append(rules, w.RuleName)
				}
			}
			sort.Strings(rules)
			if diff := cmp.Diff(tt.wantRules, rules); diff != "" {
				t.Errorf("rules (-want +got):\n%s\nall findings:\n%s", diff, strings.Join(describe(lr), "\n"))
			}
			got := ""
			if lr.Error != nil {
				got = lr.Error.Message
			}
			if (tt.wantError == "") != (got == "") || !strings.Contains(got, tt.wantError) {
				t.Errorf("build error = %q, want one containing %q", got, tt.wantError)
			}
		})
	}
}

// stages parses the Dockerfile into its stages and global ARGs.
func stages(t *testing.T) ([]instructions.Stage, []instructions.ArgCommand) {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(readDockerfile(t)))
	if err != nil {
		t.Fatal(err)
	}
	st, args, err := instructions.Parse(res.AST, linter.New(&linter.Config{}))
	if err != nil {
		t.Fatal(err)
	}
	return st, args
}

// TestDockerfilePolicy checks what the issue asks of the image, on the
// parsed instructions rather than on text.
func TestDockerfilePolicy(t *testing.T) {
	st, globals := stages(t)
	if len(st) != 2 {
		t.Fatalf("%d stages, want 2 (build, runtime)", len(st))
	}
	build, runtime := st[0], st[1]

	goVersion := ""
	for _, a := range globals {
		for _, kv := range a.Args {
			if kv.Key == "GO_VERSION" && kv.Value != nil {
				goVersion = *kv.Value
			}
		}
	}
	if build.Name != "build" || build.BaseName != "golang:${GO_VERSION}" || goVersion != "1.26" {
		t.Errorf("build stage = FROM %s AS %s with GO_VERSION=%q, want FROM golang:${GO_VERSION} AS build with GO_VERSION=1.26", build.BaseName, build.Name, goVersion)
	}
	var goBuild string
	for _, c := range build.Commands {
		if r, ok := c.(*instructions.RunCommand); ok && strings.Contains(strings.Join(r.CmdLine, " "), "go build") {
			goBuild = strings.Join(r.CmdLine, " ")
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-tags timetzdata", "-X main.version=${VERSION}", "-X main.revision=${REVISION}", "-o /out/mockeko ./cmd/mockeko"} {
		if !strings.Contains(goBuild, want) {
			t.Errorf("the go build RUN lacks %q:\n%s", want, goBuild)
		}
	}

	if runtime.BaseName != "scratch" {
		t.Errorf("runtime stage is FROM %s, want scratch", runtime.BaseName)
	}
	var (
		user, expose   string
		env            = map[string]string{}
		labels         = map[string]string{}
		health, entry  []string
		cmd            []string
		copiedFromHost []string
	)
	for _, c := range runtime.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.ExposeCommand:
			expose = strings.Join(c.Ports, " ")
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				env[kv.Key] = kv.Value
			}
		case *instructions.LabelCommand:
			for _, kv := range c.Labels {
				labels[kv.Key] = strings.Trim(kv.Value, `"`)
			}
		case *instructions.HealthCheckCommand:
			health = c.Health.Test
		case *instructions.EntrypointCommand:
			entry = c.CmdLine
		case *instructions.CmdCommand:
			cmd = c.CmdLine
		case *instructions.CopyCommand:
			if c.From == "" {
				copiedFromHost = append(copiedFromHost, strings.Join(c.SourcePaths, " "))
			}
		}
	}
	got := map[string]any{
		"user": user, "expose": expose, "MOCKEKO_ADDR": env["MOCKEKO_ADDR"],
		"healthcheck": health, "entrypoint": entry, "cmd": cmd, "copied from the host": copiedFromHost,
	}
	want := map[string]any{
		"user": "65532:65532", "expose": "8080", "MOCKEKO_ADDR": "0.0.0.0:8080",
		"healthcheck": []string{"CMD", "/mockeko", "health"}, "entrypoint": []string{"/mockeko"}, "cmd": []string{"serve"},
		"copied from the host": []string(nil), // everything comes from the build stage
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runtime stage (-want +got):\n%s", diff)
	}

	license, err := os.ReadFile(filepath.Join(repoRoot, "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	wantLabels := map[string]string{
		"org.opencontainers.image.title":    "mockeko",
		"org.opencontainers.image.source":   "https://github.com/mockeko/mockeko",
		"org.opencontainers.image.licenses": "MIT",
		"org.opencontainers.image.version":  "${VERSION}",
		"org.opencontainers.image.revision": "${REVISION}",
	}
	for k, v := range wantLabels {
		if labels[k] != v {
			t.Errorf("LABEL %s = %q, want %q", k, labels[k], v)
		}
	}
	if !bytes.HasPrefix(license, []byte("MIT License")) {
		t.Errorf("the image says licenses=MIT but LICENSE does not start with \"MIT License\"")
	}
}

// TestDockerignoreKeepsWhatTheBuildNeeds asks the go command which files
// `go build ./cmd/mockeko` reads (sources and embedded files) and checks
// that .dockerignore, as buildkit reads it, sends each of them and keeps
// .git and the nested tool modules out.
func TestDockerignoreKeepsWhatTheBuildNeeds(t *testing.T) {
	f, err := os.Open(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command("go", "list", "-deps", "-f", `{{if .Module}}{{if .Module.Main}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}
{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}
{{end}}{{end}}{{end}}`, "./cmd/mockeko")
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	needed := []string{"go.mod", "go.sum"}
	for _, p := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, p)
		if err != nil {
			t.Fatal(err)
		}
		needed = append(needed, filepath.ToSlash(rel))
	}
	if len(needed) < 10 {
		t.Fatalf("go list found only %v: the query is broken", needed)
	}
	for _, p := range needed {
		if ex, err := pm.MatchesOrParentMatches(p); err != nil || ex {
			t.Errorf(".dockerignore excludes %s, which the build needs (err %v)", p, err)
		}
	}
	for _, p := range []string{".git/HEAD", "tools/shipcheck/go.mod", "examples/testcontainers/go.mod"} {
		if ex, _ := pm.MatchesOrParentMatches(p); !ex {
			t.Errorf(".dockerignore sends %s into the build context", p)
		}
	}
}
