//go:build race

package e2e

// raceEnabled reports whether the tests run under -race; the binary under
// test is then built with -race too, so every end-to-end run is also a race
// check of the real server.
const raceEnabled = true
