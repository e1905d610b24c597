package contract

import (
	"fmt"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-openapi/strfmt"
)

// kin-openapi keeps its string formats in a package-global registry, and
// leaves uuid and email unchecked until they are defined. Define them (and
// date-time, whose rules differ) with go-openapi's own checks, so the linter
// (go-openapi) and the validation engine (kin) agree on every format.
func init() {
	for _, name := range []string{"uuid", "email", "date-time"} {
		openapi3.DefineStringFormatValidator(name, openapi3.NewCallbackValidator(formatCheck(name)))
	}
}

func formatCheck(name string) func(string) error {
	return func(s string) error {
		if name == "date-time" && plainDateTime(s) {
			return nil
		}
		if !strfmt.Default.Validates(name, s) {
			return fmt.Errorf("not a valid %s", name)
		}
		return nil
	}
}

// plainDateTime reports whether s is a date-time as mockeko writes them and
// as go-openapi's check accepts them: 2006-01-02T15:04:05Z, with or
// without a fraction, with Z or a ±hh:mm offset, a real date and a time
// within 23:59:59. It answers without the regexp (and the registry's
// lock) of strfmt's check, which every webhook delivery's timestamps and
// every message listing's pay for otherwise. False means "ask strfmt";
// FuzzPlainDateTime holds it to strfmt.
func plainDateTime(s string) bool {
	const date = len("2006-01-02")
	if len(s) < len("2006-01-02T15:04:05Z") || s[date] != 'T' ||
		!digitsAt(s, 0, 4) || s[4] != '-' || !digitsAt(s, 5, 2) || s[7] != '-' || !digitsAt(s, 8, 2) ||
		!digitsAt(s, 11, 2) || s[13] != ':' || !digitsAt(s, 14, 2) || s[16] != ':' || !digitsAt(s, 17, 2) {
		return false
	}
	rest := s[19:]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	switch {
	case rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && digitsAt(rest, 1, 2) && rest[3] == ':' && digitsAt(rest, 4, 2):
	default:
		return false
	}
	if s[11:13] > "23" || s[14:16] > "59" || s[17:19] > "59" {
		return false
	}
	_, err := time.Parse(time.DateOnly, s[:date]) // strfmt.IsDate: a real calendar date
	return err == nil
}

func digitsAt(s string, i, n int) bool {
	for _, c := range []byte(s[i : i+n]) {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
