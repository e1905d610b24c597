//go:build !race

package e2e

// raceEnabled reports whether the tests run under -race; see race_on_test.go.
const raceEnabled = false
