package e2e

import "testing"

func testBadInput(t *testing.T, bin string) {}
