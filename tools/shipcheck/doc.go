// Package shipcheck holds the release checks that need heavy dependencies
// (buildkit's Dockerfile linter, compose-go, actionlint). It is its own
// module so that the main go.mod stays small; it has no code, only tests:
//
//	cd tools/shipcheck && go test ./...
package shipcheck
