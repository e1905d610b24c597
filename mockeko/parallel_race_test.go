//go:build race

package mockeko_test

// parallelRaceBuild is true under -race, whose detector slows 1,000 servers
// to a crawl and caps live goroutines at 8,128.
const parallelRaceBuild = true
