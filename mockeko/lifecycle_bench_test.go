package mockeko_test

import (
	"testing"

	"github.com/mockeko/mockeko/mockeko"
)

// BenchmarkNewServerClose is a Server's life without traffic: start on the
// default fixtures and Close. Next to BenchmarkNewServerTokenPushClose it
// separates what a Server costs from what its first requests cost.
func BenchmarkNewServerClose(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		mockeko.NewServer().Close()
	}
}
