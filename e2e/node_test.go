package e2e

import "testing"

func testNode(t *testing.T, bin string) {}
