package contract

import (
	"testing"
	"time"

	"github.com/go-openapi/strfmt"
)

// plainDateTime takes the timestamps mockeko writes without strfmt, and
// leaves anything unusual to it.
func TestPlainDateTime(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 5, 23, 59, 59, 123456789, time.UTC)
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{at.Format(time.RFC3339Nano), true},
		{at.Format(time.RFC3339), true},
		{at.In(time.FixedZone("", 5*3600+1800)).Format(time.RFC3339Nano), true},
		{at.In(time.FixedZone("", -8*3600)).Format(time.RFC3339), true},
		{"2026-02-30T10:00:00Z", false}, // no such day
		{"2026-12-05T24:00:00Z", false},
		{"2026-12-05T10:60:00Z", false},
		{"2026-12-05t10:00:00z", false}, // strfmt takes it; the fast path leaves it to strfmt
		{"2026-12-05T10:00:00.Z", false},
		{"2026-12-05T10:00:00", false},
		{"2026-12-05 10:00:00Z", false},
		{"", false},
	} {
		if got := plainDateTime(tt.s); got != tt.want {
			t.Errorf("plainDateTime(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

// FuzzPlainDateTime: what plainDateTime accepts, strfmt accepts too.
func FuzzPlainDateTime(f *testing.F) {
	for _, s := range []string{"2026-12-05T10:00:00Z", "2026-12-05T10:00:00.5+05:30", "2024-02-29T23:59:59-00:00", "2026-12-05T10:00:00Zt"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if plainDateTime(s) && !strfmt.Default.Validates("date-time", s) {
			t.Errorf("plainDateTime(%q) is true, strfmt says it is not a date-time", s)
		}
		if err := formatCheck("date-time")(s); (err == nil) != strfmt.Default.Validates("date-time", s) {
			t.Errorf("formatCheck(date-time)(%q) = %v, strfmt says %v", s, err, strfmt.Default.Validates("date-time", s))
		}
	})
}
