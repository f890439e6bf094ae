package testserver

import (
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// Records transfers a zone and returns every record but the SOA (whose
// serial changes with every update) as lower-cased zone-file lines,
// sorted: what the server holds, to compare as a set before and after.
func Records(t TB, server, zone string) []string {
	t.Helper()
	tr := new(dns.Transfer)
	m := new(dns.Msg)
	m.SetAxfr(dns.Fqdn(zone))
	ch, err := tr.In(m, server)
	if err != nil {
		t.Fatalf("AXFR %s from %s: %v", zone, server, err)
	}
	var out []string
	for env := range ch {
		if env.Error != nil {
			t.Fatalf("AXFR %s from %s: %v", zone, server, env.Error)
		}
		for _, rr := range env.RR {
			if rr.Header().Rrtype != dns.TypeSOA {
				out = append(out, strings.ToLower(rr.String()))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
