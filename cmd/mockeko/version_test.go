package main

import (
	"bytes"
	"context"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFormatVersion(t *testing.T) {
	vcs := []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "a11f301c0ffee0123456789abcdef0123456789a"},
		{Key: "vcs.time", Value: "2026-11-25T11:00:00Z"},
		{Key: "vcs.modified", Value: "false"},
	}
	dirty := append([]debug.BuildSetting{{Key: "vcs.modified", Value: "true"}}, vcs[:3]...)
	tests := []struct {
		name          string
		bi            debug.BuildInfo
		stamped, srev string
		want          string
	}{
		{
			name: "go install of a tagged module",
			bi:   debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/mockeko/mockeko", Version: "v0.1.0"}},
			want: "mockeko v0.1.0 (revision unknown, go1.26.8)",
		},
		{
			name: "git checkout",
			bi:   debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.1.1-0.20261125110000-a11f301c0ffe"}, Settings: vcs},
			want: "mockeko v0.1.1-0.20261125110000-a11f301c0ffe (revision a11f301c0ffe 2026-11-25T11:00:00Z, go1.26.8)",
		},
		{
			name: "dirty checkout without a version",
			bi:   debug.BuildInfo{GoVersion: "go1.26.8", Settings: dirty},
			want: "mockeko (devel) (revision a11f301c0ffe+dirty 2026-11-25T11:00:00Z, go1.26.8)",
		},
		{
			name:    "container build stamps version and revision",
			bi:      debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			stamped: "v0.2.0", srev: "0123456789abcdef",
			want: "mockeko v0.2.0 (revision 0123456789ab, go1.26.8)",
		},
		{
			name:    "stamped revision replaces a dirty VCS one",
			bi:      debug.BuildInfo{GoVersion: "go1.26.8", Settings: dirty},
			stamped: "v0.2.0", srev: "feedface",
			want: "mockeko v0.2.0 (revision feedface 2026-11-25T11:00:00Z, go1.26.8)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := formatVersion(&tt.bi, tt.stamped, tt.srev)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("formatVersion (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	if !strings.HasPrefix(out, "mockeko ") || !strings.HasSuffix(out, ", "+runtime.Version()+")\n") {
		t.Errorf("mockeko version = %q, want \"mockeko VERSION (revision ..., %s)\"", out, runtime.Version())
	}
}
