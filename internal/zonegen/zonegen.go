// Package zonegen writes large synthetic zones for tests and benchmarks:
// a realistic mix of address, alias, mail, text and service records with
// a known number of KMS SRV records spread through it.
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
}

// KMSTarget returns the target of the i-th KMS record (0-based).
func KMSTarget(i int, origin string) string {
	return fmt.Sprintf("kms%d.%s", i, origin)
}

// Write writes the zone in master-file format and returns the number of
// KMS records written.
func Write(w io.Writer, c Config) (int, error) {
	origin := c.Origin
	if !strings.HasSuffix(origin, ".") {
		origin += "."
	}
	serial := c.Serial
	if serial == 0 {
		serial = 1
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	fmt.Fprintf(bw, "$ORIGIN %s\n$TTL 3600\n@ IN SOA ns1 hostmaster %d 3600 900 1209600 300\n@ IN NS ns1\nns1 IN A 127.0.0.1\n", origin, serial)
	every := 0
	if c.KMS > 0 {
		every = c.Records / c.KMS
		if every < 1 {
			every = 1
		}
	}
	kms := 0
	for i := 0; i < c.Records; i++ {
		if every > 0 && kms < c.KMS && i%every == every-1 {
			// KMS records at the apex and in numbered sub-domains.
			if kms%2 == 0 {
				fmt.Fprintf(bw, "_vlmcs._tcp IN SRV 0 0 1688 %s\n", KMSTarget(kms, origin))
			} else {
				fmt.Fprintf(bw, "_VLMCS._TCP.site%d IN SRV 0 0 1688 %s\n", kms, KMSTarget(kms, origin))
			}
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
	return kms, bw.Flush()
}
