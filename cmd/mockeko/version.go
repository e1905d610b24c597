package main

import (
	"fmt"
	"runtime/debug"
)

// versionString reports the module version, VCS revision and Go version
// from the build info.
func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "mockeko (no build info)"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	rev, modified, when := "unknown", "", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
			if len(rev) > 12 {
				rev = rev[:12]
			}
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		case "vcs.time":
			when = " " + s.Value
		}
	}
	return fmt.Sprintf("mockeko %s (revision %s%s%s, %s)", version, rev, modified, when, bi.GoVersion)
}
