package e2e

import "testing"

func testCurl(t *testing.T, bin string) {}
