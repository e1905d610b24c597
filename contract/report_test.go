package contract

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReport(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	ex := sampleExchanges()
	ex = append(ex, Exchange{Method: "GET", URL: "/api/workflow/v1", Status: 404,
		Violations: []Violation{{Direction: DirectionRequest, Location: "path", Message: "no documented operation: GET /api/workflow/v1"}}})
	r := c.NewReport(ex)
	require.False(t, r.OK())
	require.Equal(t, 3, r.Exchanges)
	require.Equal(t, 2, r.ViolationCount)
	require.Len(t, r.Failures, 2)
	require.Equal(t, len(c.Operations()), r.Coverage.OperationsTotal)
	require.Equal(t, 2, r.Coverage.OperationsExercised)
	require.Equal(t, 2, r.Coverage.StatusesExercised) // pushDirectMessage 400, viewFile 200
	require.Contains(t, r.Uncovered(), "pushDirectMessage 201")
	require.NotContains(t, r.Uncovered(), "viewFile 200")

	var text bytes.Buffer
	require.NoError(t, r.WriteText(&text))
	for _, want := range []string{"FAIL: 3 exchanges, 2 violations", "coverage: 2/20 operations", "/message/data: minimum string length is 1", "(undocumented)", "[x] pushDirectMessage"} {
		require.Contains(t, text.String(), want)
	}

	var js bytes.Buffer
	require.NoError(t, r.WriteJSON(&js))
	var back Report
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	require.Equal(t, r.Coverage, back.Coverage)

	var ju bytes.Buffer
	require.NoError(t, r.WriteJUnit(&ju))
	var suites junitSuites
	require.NoError(t, xml.Unmarshal(ju.Bytes(), &suites), ju.String())
	s := suites.Suites[0]
	require.Equal(t, 2, s.Failures)
	require.Equal(t, r.Coverage.StatusesTotal-r.Coverage.StatusesExercised, s.Skipped)
	byName := map[string]junitTestCase{}
	for _, tc := range s.Cases {
		byName[tc.Name] = tc
	}
	f := byName["pushDirectMessage 400"].Failure
	require.NotNil(t, f)
	require.Contains(t, f.Message, "/message/data")
	require.Contains(t, f.Text, `"data":""`, "the failure carries a payload excerpt")
	require.Nil(t, byName["viewFile 200"].Failure)
	require.NotNil(t, byName["viewFile 404"].Skipped)
	require.True(t, strings.HasPrefix(ju.String(), "<?xml"))
}

func TestReportClean(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	r := c.NewReport(nil)
	require.True(t, r.OK())
	var b bytes.Buffer
	require.NoError(t, r.WriteText(&b))
	require.Contains(t, b.String(), "OK: 0 exchanges")
}
