// Package e2e holds mockeko's end-to-end tests. They build the real
// cmd/mockeko binary, run it on a free loopback port, and drive it the way
// bots written for real Eko do: with golang.org/x/oauth2/clientcredentials,
// with Node bots using the npm packages client-oauth2 and axios (e2e/node;
// one of them serves Eko's signed webhook and replies to simulated users),
// and with curl. They check the fake's state through the /_mockeko control
// plane, never through the Go API, and they check that the process logs no
// secret and stops cleanly on SIGTERM.
//
// Run them with go test ./e2e (the Node tests need `npm ci` in e2e/node;
// ./scripts/test.sh does that).
package e2e
