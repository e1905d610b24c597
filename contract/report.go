package contract

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Report summarises recorded traffic: every violation and the coverage of
// the documented operations and status codes.
type Report struct {
	// Contract is the document's name.
	Contract string `json:"contract"`
	// Exchanges is how many exchanges were examined.
	Exchanges int `json:"exchanges"`
	// Failures are the exchanges with violations, in order.
	Failures []Failure `json:"failures"`
	// ViolationCount is the total number of violations.
	ViolationCount int `json:"violationCount"`
	// Coverage is which operations and statuses were exercised.
	Coverage Coverage `json:"coverage"`

	cases []junitCase // one per operation × status, for JUnit
}

// Failure is one exchange that broke the contract.
type Failure struct {
	// Index is the exchange's position in the examined slice.
	Index int `json:"index"`
	// Operation, Method, URL and Status identify the exchange.
	Operation string `json:"operation"`
	Method    string `json:"method"`
	URL       string `json:"url"`
	Status    int    `json:"status"`
	// Violations found.
	Violations []Violation `json:"violations"`
	// RequestExcerpt and ResponseExcerpt are the start of each body.
	RequestExcerpt  string `json:"requestExcerpt,omitempty"`
	ResponseExcerpt string `json:"responseExcerpt,omitempty"`
}

// Coverage tells which documented operations and status codes were exercised.
type Coverage struct {
	// OperationsExercised of OperationsTotal documented operations were called.
	OperationsExercised int `json:"operationsExercised"`
	OperationsTotal     int `json:"operationsTotal"`
	// StatusesExercised of StatusesTotal documented (operation, status) pairs were seen.
	StatusesExercised int `json:"statusesExercised"`
	StatusesTotal     int `json:"statusesTotal"`
	// Operations lists every documented operation (then any undocumented
	// ones seen), in document order.
	Operations []OperationCoverage `json:"operations"`
}

// OperationCoverage is the coverage of one operation.
type OperationCoverage struct {
	Operation string `json:"operation"`
	Method    string `json:"method,omitempty"`
	Path      string `json:"path,omitempty"`
	// Calls is how many exchanges hit this operation.
	Calls int `json:"calls"`
	// Statuses lists the documented statuses and any other status seen.
	Statuses []StatusCoverage `json:"statuses"`
}

// StatusCoverage counts one status of one operation.
type StatusCoverage struct {
	Status     string `json:"status"`
	Count      int    `json:"count"`
	Documented bool   `json:"documented"`
	Violations int    `json:"violations"`
}

// Uncovered lists "operation status" for every documented pair not exercised.
func (r *Report) Uncovered() []string {
	var out []string
	for _, o := range r.Coverage.Operations {
		for _, s := range o.Statuses {
			if s.Documented && s.Count == 0 {
				out = append(out, o.Operation+" "+s.Status)
			}
		}
	}
	return out
}

// NewReport builds a report over exchanges, with the violations they carry
// (see [Contract.Check] to compute them afresh).
func (c *Contract) NewReport(exchanges []Exchange) *Report {
	r := &Report{Contract: c.name, Exchanges: len(exchanges)}
	type key struct{ op, status string }
	byOp := map[string]*OperationCoverage{}
	var order []string
	for _, id := range c.order {
		o := c.ops[id]
		oc := &OperationCoverage{Operation: id, Method: o.method, Path: o.path}
		for _, s := range o.statuses {
			oc.Statuses = append(oc.Statuses, StatusCoverage{Status: s, Documented: true})
		}
		byOp[id] = oc
		order = append(order, id)
	}
	caseFail := map[key][]int{}
	caseCount := map[key]int{}
	var caseOrder []key
	for i, e := range exchanges {
		op := e.Operation
		if op == "" {
			op = "(undocumented)"
		}
		status := strconv.Itoa(e.Status)
		if e.Status == 0 {
			status = "none"
		}
		oc := byOp[op]
		if oc == nil {
			oc = &OperationCoverage{Operation: op}
			byOp[op] = oc
			order = append(order, op)
		}
		oc.Calls++
		idx := slices.IndexFunc(oc.Statuses, func(s StatusCoverage) bool { return s.Status == status })
		if idx < 0 {
			oc.Statuses = append(oc.Statuses, StatusCoverage{Status: status})
			idx = len(oc.Statuses) - 1
		}
		oc.Statuses[idx].Count++
		k := key{op, status}
		if caseCount[k] == 0 {
			caseOrder = append(caseOrder, k)
		}
		caseCount[k]++
		if len(e.Violations) > 0 {
			oc.Statuses[idx].Violations += len(e.Violations)
			r.ViolationCount += len(e.Violations)
			caseFail[k] = append(caseFail[k], len(r.Failures))
			r.Failures = append(r.Failures, Failure{Index: i, Operation: e.Operation, Method: e.Method, URL: e.URL, Status: e.Status,
				Violations: e.Violations, RequestExcerpt: excerpt(e.RequestBody, 512), ResponseExcerpt: excerpt(e.ResponseBody, 512)})
		}
	}
	for _, id := range order {
		oc := byOp[id]
		sort.SliceStable(oc.Statuses, func(i, j int) bool { return oc.Statuses[i].Status < oc.Statuses[j].Status })
		if _, documented := c.ops[id]; documented {
			r.Coverage.OperationsTotal++
			if oc.Calls > 0 {
				r.Coverage.OperationsExercised++
			}
			for _, s := range oc.Statuses {
				if s.Documented {
					r.Coverage.StatusesTotal++
					if s.Count > 0 {
						r.Coverage.StatusesExercised++
					}
				}
			}
		}
		r.Coverage.Operations = append(r.Coverage.Operations, *oc)
	}
	// JUnit cases: every exercised pair, then every documented pair not exercised.
	for _, k := range caseOrder {
		jc := junitCase{op: k.op, status: k.status, count: caseCount[k]}
		for _, fi := range caseFail[k] {
			jc.failures = append(jc.failures, r.Failures[fi])
		}
		r.cases = append(r.cases, jc)
	}
	for _, id := range order {
		for _, s := range byOp[id].Statuses {
			if s.Documented && s.Count == 0 {
				r.cases = append(r.cases, junitCase{op: id, status: s.Status, skipped: true})
			}
		}
	}
	return r
}

// OK reports whether no exchange broke the contract.
func (r *Report) OK() bool { return r.ViolationCount == 0 }

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes a human summary: verdict, each failure with its
// violations and payload excerpts, and the coverage table.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	verdict := "OK"
	if !r.OK() {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "contract %s: %s: %d exchanges, %d violations in %d exchanges\n", r.Contract, verdict, r.Exchanges, r.ViolationCount, len(r.Failures))
	fmt.Fprintf(&b, "coverage: %d/%d operations, %d/%d documented statuses\n",
		r.Coverage.OperationsExercised, r.Coverage.OperationsTotal, r.Coverage.StatusesExercised, r.Coverage.StatusesTotal)
	if len(r.Failures) > 0 {
		b.WriteString("\nviolations:\n")
		r.writeFailures(&b)
	}
	b.WriteString("\noperations:\n")
	for _, o := range r.Coverage.Operations {
		mark := "x"
		if o.Calls == 0 {
			mark = " "
		}
		var st []string
		for _, s := range o.Statuses {
			switch {
			case !s.Documented:
				st = append(st, fmt.Sprintf("%s×%d(undocumented)", s.Status, s.Count))
			case s.Count > 0:
				st = append(st, fmt.Sprintf("%s×%d", s.Status, s.Count))
			default:
				st = append(st, s.Status+"-")
			}
		}
		fmt.Fprintf(&b, "  [%s] %-20s %-6s %-40s %s\n", mark, o.Operation, o.Method, o.Path, strings.Join(st, " "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeFailures lists each failing exchange with its violations and excerpts.
func (r *Report) writeFailures(b *strings.Builder) {
	for _, f := range r.Failures {
		fmt.Fprintf(b, "  #%d %s %s -> %d (%s)\n", f.Index, f.Method, f.URL, f.Status, orUnknown(f.Operation))
		for _, v := range f.Violations {
			fmt.Fprintf(b, "    - %s %s: %s\n", v.Direction, orRoot(v.Location), v.Message)
		}
		if f.RequestExcerpt != "" {
			fmt.Fprintf(b, "      request:  %s\n", oneLine(excerpt(f.RequestExcerpt, 200)))
		}
		if f.ResponseExcerpt != "" {
			fmt.Fprintf(b, "      response: %s\n", oneLine(excerpt(f.ResponseExcerpt, 200)))
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "no documented operation"
	}
	return s
}

func oneLine(s string) string {
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}
