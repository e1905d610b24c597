package contract

import (
	"fmt"

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
		if !strfmt.Default.Validates(name, s) {
			return fmt.Errorf("not a valid %s", name)
		}
		return nil
	}
}
