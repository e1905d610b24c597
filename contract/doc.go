// Package contract holds Eko Bot API traffic to its OpenAPI description.
//
// A [Contract] is loaded once from a Swagger 2.0 document (by default the
// embedded openapi/eko-bot-api.yaml): go-openapi loads and lints it, then
// kin-openapi compiles it into the one validation engine used for everything,
// so the fake, the CLI and Go tests can never disagree:
//
//   - requests a bot sends ([Contract.ValidateRequest]): path, query, headers,
//     form and multipart fields, JSON bodies and the bearer token;
//   - responses the API gives ([Contract.ValidateResponse]);
//   - webhook deliveries to the bot ([Contract.ValidateWebhook]) and the bot's
//     answers to them ([Contract.ValidateWebhookAnswer]).
//
// Every problem is a [Violation] naming the operation, the direction, the
// location (a JSON pointer such as /messages/0/text, or a parameter such as
// query.username) and a human message.
//
// Recorded traffic is a slice of [Exchange]; [NewReport] turns it into a text
// summary, JSON, JUnit XML and operation coverage, and [ReadHAR] / [WriteHAR]
// move it in and out of HAR 1.2 files. [Contract.Wrap] validates a live
// handler (strict, warn or off), [Contract.Transport] validates a bot's
// outgoing calls, and [AssertNoViolations] fails a Go test with a readable
// report.
package contract
