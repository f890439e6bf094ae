package report

import (
	"fmt"

	"github.com/kmsdns/kmsdns/audit"
)

// Nagios is the report as one line in the monitoring-plugin format
// (Nagios, Icinga, Naemon): status, counts, then performance data:
//
//	KMSDNS CRITICAL - 3 errors, 2 warnings in 5 zones | errors=3 warnings=2 zones=5 records=12
//
// The status is CRITICAL with errors, WARNING with warnings only, else OK,
// matching kmsdns's exit codes 2, 1 and 0.
func Nagios(rep *audit.Report) string {
	s := rep.Summary
	status := "OK"
	switch {
	case s.Errors > 0:
		status = "CRITICAL"
	case s.Warnings > 0:
		status = "WARNING"
	}
	return fmt.Sprintf("KMSDNS %s - %s, %s in %s | errors=%d warnings=%d zones=%d records=%d",
		status, count(s.Errors, "error"), count(s.Warnings, "warning"), count(s.Zones, "zone"),
		s.Errors, s.Warnings, s.Zones, s.Records)
}

func count(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
