package contract

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// junitCase is one operation × status of a report.
type junitCase struct {
	op, status string
	count      int
	skipped    bool
	failures   []Failure
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string          `xml:"name,attr"`
	Tests    int             `xml:"tests,attr"`
	Failures int             `xml:"failures,attr"`
	Skipped  int             `xml:"skipped,attr"`
	Cases    []junitTestCase `xml:"testcase"`
}

type junitTestCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes the report as JUnit XML: one testcase per operation ×
// status. A case fails when any of its exchanges broke the contract (the
// failure carries the violations and payload excerpts); documented statuses
// never exercised are skipped cases, so CI shows the coverage gaps.
func (r *Report) WriteJUnit(w io.Writer) error {
	s := junitSuite{Name: "contract " + r.Contract}
	for _, c := range r.cases {
		tc := junitTestCase{Classname: "contract." + c.op, Name: c.op + " " + c.status}
		switch {
		case c.skipped:
			tc.Skipped = &junitSkipped{Message: "documented status never exercised"}
			s.Skipped++
		case len(c.failures) > 0:
			first := c.failures[0].Violations[0]
			n := 0
			var b strings.Builder
			for _, f := range c.failures {
				fmt.Fprintf(&b, "#%d %s %s -> %d\n", f.Index, f.Method, f.URL, f.Status)
				for _, v := range f.Violations {
					n++
					fmt.Fprintf(&b, "  %s %s: %s\n", v.Direction, orRoot(v.Location), v.Message)
				}
				if f.RequestExcerpt != "" {
					fmt.Fprintf(&b, "  request:  %s\n", excerpt(f.RequestExcerpt, 512))
				}
				if f.ResponseExcerpt != "" {
					fmt.Fprintf(&b, "  response: %s\n", excerpt(f.ResponseExcerpt, 512))
				}
			}
			msg := fmt.Sprintf("%s %s: %s", first.Direction, orRoot(first.Location), first.Message)
			if n > 1 {
				msg += fmt.Sprintf(" (and %d more)", n-1)
			}
			tc.Failure = &junitFailure{Type: "ContractViolation", Message: msg, Text: b.String()}
			s.Failures++
		default:
			tc.SystemOut = fmt.Sprintf("%d exchanges", c.count)
		}
		s.Cases = append(s.Cases, tc)
	}
	s.Tests = len(s.Cases)
	doc := junitSuites{Name: "mockeko contract", Tests: s.Tests, Failures: s.Failures, Skipped: s.Skipped, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func orRoot(loc string) string {
	if loc == "" {
		return "/"
	}
	return loc
}
