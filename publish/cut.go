package publish

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// zoneCut returns the zone cut between zoneName and the KMS owner name, as
// server sees it: a zone of its own below zoneName that holds the owner's
// domain (an authoritative SOA owned by a name below zoneName), or a
// delegation (a referral: NS records owned by a name below zoneName).
// Empty when the owner belongs to zoneName. A record added there through
// zoneName would be occluded data the server never serves: clients ask
// the zone below.
func zoneCut(ctx context.Context, server, zoneName, owner string, timeout time.Duration) (string, error) {
	if owner == zone.KMSName(zoneName) {
		return "", nil // the apex's own KMS name: no cut between
	}
	domain := strings.TrimPrefix(owner, zone.KMSService)
	a, err := dnsx.Query{Server: server, Timeout: timeout, TCPOnNoAnswer: true}.Ask(ctx, domain, dns.TypeSOA)
	if err != nil {
		return "", err
	}
	below := func(name string) bool {
		name = dns.CanonicalName(name)
		return name != zoneName && dns.IsSubDomain(zoneName, name) && dns.IsSubDomain(name, domain)
	}
	for _, sec := range [][]dns.RR{a.Answer, a.Ns} {
		for _, rr := range sec {
			switch rr.(type) {
			case *dns.SOA, *dns.NS:
				if below(rr.Header().Name) {
					return dns.CanonicalName(rr.Header().Name), nil
				}
			}
		}
	}
	return "", nil
}

// belowCutError says that owner is not zoneName's to change.
func belowCutError(zoneName, owner, cut string) error {
	return fmt.Errorf("%s is below the zone cut at %s (a zone of its own, or delegated): records there belong to zone %s, not %s; use --zone %s",
		strings.TrimSuffix(owner, "."), strings.TrimSuffix(cut, "."), strings.TrimSuffix(cut, "."), strings.TrimSuffix(zoneName, "."), strings.TrimSuffix(cut, "."))
}
