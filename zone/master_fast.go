package zone

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// The fast path of the zone-file reader. kmsdns audits SRV records only,
// but a record of another type is still checked, so that one miekg/dns
// cannot read is skipped with a warning, as before. Building a dns.RR per
// record (through a ZoneParser) costs several times the reading itself, so
// the records of the common types written plainly are checked here
// instead, without allocating: a check says only "miekg/dns reads this";
// anything it is not sure of (escapes, quoted names, unusual bytes, other
// types, SOA, KMS SRV records) goes the slow way, through miekg/dns, whose
// message a warning or error quotes. A check may be stricter than miekg/dns,
// never looser: TestFastPathAgrees and FuzzFastPath compare the two.

// quickByte reports whether c may be in a name taken by the fast path:
// bytes that miekg/dns's lexer and IsDomainName take as they are.
func quickByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '*' || c == '/'
}

// quickLabels reports whether s is a name of quick bytes in labels of 1
// to 63 octets, and whether it is absolute (ends with a dot). The root
// name "." is not taken.
func quickLabels(s string) (ok, fqdn bool) {
	if s == "" {
		return false, false
	}
	label := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if label == 0 {
				return false, false
			}
			label = 0
			continue
		}
		if !quickByte(c) {
			return false, false
		}
		label++
		if label > 63 {
			return false, false
		}
	}
	return true, label == 0
}

// quickFQDN reports whether an absolute name is surely valid: the root,
// or quick labels within 255 octets on the wire.
func quickFQDN(s string) bool {
	if s == "." {
		return true
	}
	ok, fqdn := quickLabels(s)
	return ok && fqdn && len(s)+1 <= 255
}

// quickName reports whether name, relative to origin, is surely a valid
// domain name, for validName and miekg/dns alike. False means "not
// sure": the caller takes the slow way.
func quickName(name, origin string) bool {
	if name == "@" {
		return quickFQDN(origin)
	}
	ok, fqdn := quickLabels(name)
	switch {
	case !ok:
		return false
	case fqdn:
		return len(name)+1 <= 255
	case !quickFQDN(origin):
		return false
	case origin == ".":
		return len(name)+2 <= 255
	}
	return len(name)+1+len(origin)+1 <= 255
}

// quickUint16 reports whether a token is a decimal number up to 65535,
// as strconv.ParseUint(s, 10, 16) reads it.
func quickUint16(t token) bool {
	if t.quoted || t.raw == "" || len(t.raw) > 5 {
		return false
	}
	for i := 0; i < len(t.raw); i++ {
		if t.raw[i] < '0' || t.raw[i] > '9' {
			return false
		}
	}
	_, err := strconv.ParseUint(t.raw, 10, 16)
	return err == nil
}

// quickAddr reports whether a token is an address of the family wanted,
// as net.ParseIP (which miekg/dns uses) reads it.
func quickAddr(t token, v6 bool) bool {
	if t.quoted || t.raw == "" || len(t.raw) > 45 {
		return false
	}
	colon := false
	for i := 0; i < len(t.raw); i++ {
		c := t.raw[i]
		switch {
		case '0' <= c && c <= '9' || c == '.':
		case v6 && ('a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
		case v6 && c == ':':
			colon = true
		default:
			return false
		}
	}
	if colon != v6 {
		return false
	}
	a, err := netip.ParseAddr(t.raw)
	return err == nil && a.Zone() == "" && (v6 || a.Is4())
}

// quickText reports whether the tokens are character strings miekg/dns
// reads as they are: quoted strings of printable bytes without escapes,
// of at most 255 octets (miekg/dns splits longer ones).
func quickText(toks []token) bool {
	if len(toks) == 0 {
		return false
	}
	for _, t := range toks {
		if !t.quoted || len(t.raw) > 255+2 {
			return false
		}
		for i := 1; i < len(t.raw)-1; i++ {
			if c := t.raw[i]; c < 0x20 || c == 0x7f || c == '\\' || c == '"' {
				return false
			}
		}
	}
	return true
}

// quickTypes are the types the fast path checks, by their mnemonic.
var quickTypes = [...]struct {
	name string
	typ  uint16
}{
	{"A", dns.TypeA}, {"AAAA", dns.TypeAAAA}, {"CNAME", dns.TypeCNAME}, {"NS", dns.TypeNS},
	{"PTR", dns.TypePTR}, {"MX", dns.TypeMX}, {"TXT", dns.TypeTXT}, {"SRV", dns.TypeSRV},
}

// quickRecord reports whether a record of type typ, written as typTok
// with the data rdata, is surely one miekg/dns reads. origin completes
// relative names. An SRV record at a KMS name is never taken: kmsdns
// reads its fields.
func quickRecord(typ uint16, typTok string, rdata []token, origin string, kmsOwner func() bool) bool {
	known := false
	for _, q := range quickTypes {
		if q.typ == typ {
			// The mnemonic, not TYPEn (which takes RFC 3597 data).
			known = strings.EqualFold(typTok, q.name)
			break
		}
	}
	if !known {
		return false
	}
	name := func(t token) bool { return !t.quoted && quickName(t.raw, origin) }
	switch typ {
	case dns.TypeA:
		return len(rdata) == 1 && quickAddr(rdata[0], false)
	case dns.TypeAAAA:
		return len(rdata) == 1 && quickAddr(rdata[0], true)
	case dns.TypeCNAME, dns.TypeNS, dns.TypePTR:
		return len(rdata) == 1 && name(rdata[0])
	case dns.TypeMX:
		return len(rdata) == 2 && quickUint16(rdata[0]) && name(rdata[1])
	case dns.TypeTXT:
		return quickText(rdata)
	case dns.TypeSRV:
		return len(rdata) == 4 && quickUint16(rdata[0]) && quickUint16(rdata[1]) && quickUint16(rdata[2]) &&
			name(rdata[3]) && !kmsOwner()
	}
	return false
}

// upperKey writes s in upper case into buf, for a map lookup that does not
// allocate; ok is false when s does not fit or is not ASCII (whose upper
// case only strings.ToUpper knows: "ın" is "IN").
func upperKey(buf *[16]byte, s string) ([]byte, bool) {
	if len(s) > len(buf) {
		return nil, false
	}
	b := buf[:len(s)]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return nil, false
		}
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		b[i] = c
	}
	return b, true
}

// quickRR builds the record quickRecord took, as miekg/dns's ZoneParser
// builds it, for a caller that wants every record (walkFile); nil for a
// type it does not build.
func quickRR(h dns.RR_Header, rdata []token, origin string) dns.RR {
	u16 := func(t token) uint16 {
		n, _ := strconv.ParseUint(t.raw, 10, 16)
		return uint16(n)
	}
	switch h.Rrtype {
	case dns.TypeA:
		return &dns.A{Hdr: h, A: net.ParseIP(rdata[0].raw)}
	case dns.TypeAAAA:
		return &dns.AAAA{Hdr: h, AAAA: net.ParseIP(rdata[0].raw)}
	case dns.TypeCNAME:
		return &dns.CNAME{Hdr: h, Target: absName(rdata[0].raw, origin)}
	case dns.TypeNS:
		return &dns.NS{Hdr: h, Ns: absName(rdata[0].raw, origin)}
	case dns.TypePTR:
		return &dns.PTR{Hdr: h, Ptr: absName(rdata[0].raw, origin)}
	case dns.TypeMX:
		return &dns.MX{Hdr: h, Preference: u16(rdata[0]), Mx: absName(rdata[1].raw, origin)}
	case dns.TypeTXT:
		txt := make([]string, len(rdata))
		for i, t := range rdata {
			txt[i] = t.unquoted()
		}
		return &dns.TXT{Hdr: h, Txt: txt}
	case dns.TypeSRV:
		return &dns.SRV{Hdr: h, Priority: u16(rdata[0]), Weight: u16(rdata[1]), Port: u16(rdata[2]), Target: absName(rdata[3].raw, origin)}
	}
	return nil // not a type quickRecord takes: the slow way
}
