package zone

import (
	"fmt"

	"github.com/miekg/dns"
)

// Alias is a CNAME record of a zone: Name is an alias of Target. A
// transfer keeps them so that a change to a host can warn about the
// aliases that still lead to it (kmsdns cleanup).
type Alias struct {
	Name   string
	Target string
}

// DefaultMaxAliases caps the aliases a transfer keeps per zone; the rest
// are counted in Snapshot.AliasesDropped.
const DefaultMaxAliases = 50000

// addAlias keeps the CNAME cn of r, up to DefaultMaxAliases.
func (r *Snapshot) addAlias(cn *dns.CNAME) {
	name := dns.CanonicalName(cn.Hdr.Name)
	if !dns.IsSubDomain(r.Zone, name) {
		return
	}
	if len(r.Aliases) >= DefaultMaxAliases {
		r.AliasesDropped++
		return
	}
	r.Aliases = append(r.Aliases, Alias{Name: name, Target: dns.CanonicalName(cn.Target)})
}

// String renders the alias in zone-file form.
func (a Alias) String() string { return fmt.Sprintf("%s\tCNAME\t%s", a.Name, a.Target) }
