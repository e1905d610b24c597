// Package testcontainers is a recipe: it starts the mockeko image with
// testcontainers-go, mounts a fixture file, and drives it like a bot would.
// Copy mockeko_test.go into your repository; it needs a Docker (or
// Podman) engine and skips itself when none is reachable.
//
// It lives in its own module so that testcontainers-go does not enter
// mockeko's go.mod.
package testcontainers
