// Package zonegen writes large synthetic zones for tests and benchmarks:
// a realistic mix of address, alias, mail, text and service records with
// a known number of KMS SRV records spread through it. Planted lists
// those KMS records, so a reader's result can be checked against them.
package zonegen

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Config describes a generated zone.
type Config struct {
	// Origin is the zone name, e.g. "big.example.".
	Origin string
	// Records is the number of resource records besides the SOA and NS.
	Records int
	// KMS is how many of them are KMS SRV records, spread evenly.
	KMS int
	// Serial of the SOA; 1 when zero.
	Serial uint32
	// Addresses adds, after the Records records, an A record (127.0.0.1)
	// for every KMS target, so that an audit finds every target resolvable.
	Addresses bool
}

// SRV is one planted KMS record.
type SRV struct {
	// Name is the owner name, fully qualified, in the case it is written.
	Name string
	// Port is always 1688.
	Port uint16
	// Target is KMSTarget of its index.
	Target string
}

// KMSTarget returns the target of the i-th KMS record (0-based).
func KMSTarget(i int, origin string) string {
	return fmt.Sprintf("kms%d.%s", i, origin)
}

func (c Config) origin() string {
	if !strings.HasSuffix(c.Origin, ".") {
		return c.Origin + "."
	}
	return c.Origin
}

// every is the spacing of the KMS records: record i is the KMS record
// number i/every when i%every == every-1 and fewer than KMS came before.
func (c Config) every() int {
	if c.KMS <= 0 {
		return 0
	}
	return max(c.Records/c.KMS, 1)
}

// plantedAt returns the i-th KMS record (0-based): at the apex for even
// i, in a numbered sub-domain written in upper case for odd i.
func plantedAt(k int, origin string) SRV {
	s := SRV{Name: "_vlmcs._tcp." + origin, Port: 1688, Target: KMSTarget(k, origin)}
	if k%2 == 1 {
		s.Name = fmt.Sprintf("_VLMCS._TCP.site%d.%s", k, origin)
	}
	return s
}

// Planted returns the KMS records Write writes for c, in order.
func Planted(c Config) []SRV {
	origin, every := c.origin(), c.every()
	if every == 0 {
		return nil
	}
	n := min(c.KMS, c.Records/every)
	out := make([]SRV, n)
	for k := range out {
		out[k] = plantedAt(k, origin)
	}
	return out
}

// Write writes the zone in master-file format and returns the number of
// KMS records written (len(Planted(c))).
func Write(w io.Writer, c Config) (int, error) {
	origin, every := c.origin(), c.every()
	serial := c.Serial
	if serial == 0 {
		serial = 1
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	fmt.Fprintf(bw, "$ORIGIN %s\n$TTL 3600\n@ IN SOA ns1 hostmaster %d 3600 900 1209600 300\n@ IN NS ns1\nns1 IN A 127.0.0.1\n", origin, serial)
	kms := 0
	for i := 0; i < c.Records; i++ {
		if every > 0 && kms < c.KMS && i%every == every-1 {
			s := plantedAt(kms, origin)
			fmt.Fprintf(bw, "%s IN SRV 0 0 %d %s\n", s.Name, s.Port, s.Target)
			kms++
			continue
		}
		switch i % 8 {
		case 0, 1, 2:
			fmt.Fprintf(bw, "host%d IN A 10.%d.%d.%d\n", i, (i>>16)&255, (i>>8)&255, i&255)
		case 3:
			fmt.Fprintf(bw, "host%d IN AAAA 2001:db8::%x:%x\n", i, (i>>16)&0xffff, i&0xffff)
		case 4:
			fmt.Fprintf(bw, "alias%d IN CNAME host%d\n", i, i-1)
		case 5:
			fmt.Fprintf(bw, "host%d IN TXT \"asset tag %d owner team-%d\"\n", i, i, i%97)
		case 6:
			fmt.Fprintf(bw, "_ldap._tcp.site%d IN SRV 0 100 389 host%d\n", i, i-6)
		case 7:
			fmt.Fprintf(bw, "mx%d IN MX 10 host%d\n", i, i-7)
		}
	}
	if c.Addresses {
		for k := 0; k < kms; k++ {
			fmt.Fprintf(bw, "%s IN A 127.0.0.1\n", KMSTarget(k, origin))
		}
	}
	return kms, bw.Flush()
}
