package main

import (
	"fmt"
	"runtime/debug"
)

// Set at link time by release builds that have no .git to stamp from (the
// Dockerfile passes -ldflags "-X main.version=... -X main.revision=...").
// Empty means: take the value from the build info. The linker is the only
// writer; nothing assigns them at run time.
var (
	version  string
	revision string
)

// versionString reports the module version, VCS revision and Go version
// from the build info, preferring values stamped in at link time.
func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "mockeko (no build info)"
	}
	return formatVersion(bi, version, revision)
}

// formatVersion renders one line: mockeko VERSION (revision REV[+dirty][ TIME], GOVERSION).
// stampedVersion and stampedRevision, when set, win over the build info.
func formatVersion(bi *debug.BuildInfo, stampedVersion, stampedRevision string) string {
	ver := bi.Main.Version
	if stampedVersion != "" {
		ver = stampedVersion
	}
	if ver == "" {
		ver = "(devel)"
	}
	rev, modified, when := "unknown", "", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		case "vcs.time":
			when = " " + s.Value
		}
	}
	if stampedRevision != "" {
		rev, modified = stampedRevision, ""
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return fmt.Sprintf("mockeko %s (revision %s%s%s, %s)", ver, rev, modified, when, bi.GoVersion)
}
