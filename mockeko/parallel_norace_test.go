//go:build !race

package mockeko_test

const parallelRaceBuild = false
