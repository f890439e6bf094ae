package zone

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// ReadFile reads a zone file in RFC 1035 master format, as BIND writes it
// or as Windows DNS exports it (dnscmd /ZoneExport). origin may be empty:
// it then comes from the file ($ORIGIN before the SOA, an absolute SOA
// owner, or the header comment of a Windows export).
func ReadFile(path, origin string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("zone file: %w", err)
	}
	defer f.Close()
	return ParseFile(f, origin, path)
}

// ParseFile is ReadFile for a reader; file names it in errors and anchors
// relative $INCLUDE paths.
func ParseFile(r io.Reader, origin, file string) (*Result, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(64 << 10)
	if origin == "" {
		origin = guessOrigin(head)
		if origin == "" {
			return nil, fmt.Errorf("zone file %s: cannot tell which zone it holds (no $ORIGIN before the SOA, no absolute SOA owner, no Windows export header): give the zone name", file)
		}
	}
	if _, ok := dns.IsDomainName(origin); !ok {
		return nil, fmt.Errorf("zone file %s: %q is not a valid zone name", file, origin)
	}
	origin = dns.CanonicalName(origin)
	res := &Result{Zone: origin, Source: SourceFile, Files: []string{file}}

	seen := map[Record]bool{} // an RRset holds no duplicates (RFC 2181 5)
	zp := dns.NewZoneParser(&windowsFilter{r: br}, origin, file)
	zp.SetIncludeAllowed(true)
	if ttl, ok := soaMinimum(head, origin, file); ok {
		// Files without $TTL (Windows exports): like BIND, records without
		// a TTL get the SOA's minimum until a $TTL or an explicit TTL says
		// otherwise.
		zp.SetDefaultTTL(ttl)
	}
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		res.Seen++
		h := rr.Header()
		switch v := rr.(type) {
		case *dns.SOA:
			if !res.HasSerial && dns.CanonicalName(h.Name) == origin {
				res.Serial, res.HasSerial = v.Serial, true
			}
		case *dns.SRV:
			if h.Class != dns.ClassINET || !IsKMSName(h.Name) || !dns.IsSubDomain(origin, dns.CanonicalName(h.Name)) {
				continue
			}
			rec := recordFromSRV(origin, v)
			if m := ageField.FindStringSubmatch(zp.Comment()); m != nil {
				if n, err := strconv.ParseUint(m[1], 10, 32); err == nil {
					rec.Age = uint32(n)
				}
			}
			key := rec
			key.TTL, key.Age = 0, 0
			if seen[key] {
				res.Seen--
				continue
			}
			seen[key] = true
			res.Records = append(res.Records, rec)
		}
	}
	if err := zp.Err(); err != nil {
		var pe *dns.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("zone %s: %w", origin, err)
		}
		return nil, fmt.Errorf("zone %s: zone file %s: %w", origin, file, err)
	}
	return res, nil
}

var (
	ageField      = regexp.MustCompile(`\[AGE:(\d+)\]`)
	windowsHeader = regexp.MustCompile(`(?i)^;\s*Database file \S+ for (\S+) zone\.`)
)

// soaMinimum returns the minimum field of the SOA when it is the file's
// first record.
func soaMinimum(head []byte, origin, file string) (uint32, bool) {
	zp := dns.NewZoneParser(&windowsFilter{r: bufio.NewReader(bytes.NewReader(head))}, origin, file)
	rr, ok := zp.Next()
	if !ok {
		return 0, false
	}
	soa, ok := rr.(*dns.SOA)
	if !ok {
		return 0, false
	}
	return soa.Minttl, true
}

// guessOrigin finds the zone's name in the first part of a zone file.
func guessOrigin(head []byte) string {
	origin := ""
	for _, line := range bytes.Split(head, []byte("\n")) {
		s := strings.TrimSpace(string(line))
		if m := windowsHeader.FindStringSubmatch(s); m != nil {
			return dns.Fqdn(m[1])
		}
		if i := strings.IndexByte(s, ';'); i >= 0 {
			s = s[:i]
		}
		f := strings.Fields(s)
		if len(f) == 0 {
			continue
		}
		if strings.EqualFold(f[0], "$ORIGIN") && len(f) > 1 {
			origin = f[1]
			continue
		}
		for i, w := range f {
			if strings.EqualFold(w, "SOA") && i > 0 {
				owner := f[0]
				if line[0] == ' ' || line[0] == '\t' {
					return ""
				}
				if owner == "@" {
					if dns.IsFqdn(origin) {
						return origin
					}
					return ""
				}
				if dns.IsFqdn(owner) {
					return owner
				}
				if dns.IsFqdn(origin) {
					return owner + "." + origin
				}
				return ""
			}
		}
	}
	if dns.IsFqdn(origin) {
		return origin
	}
	return ""
}

// windowsFilter makes the files Windows DNS writes readable by a standard
// master-file parser, without changing line numbers: the aging field
// [AGE:n] that Windows puts before the TTL of dynamic records becomes a
// comment (kept so the record's age can be reported), and WINS / WINSR
// records, which only Windows knows, are commented out.
type windowsFilter struct {
	r       *bufio.Reader
	pending []byte
	inWINS  bool // inside a parenthesised WINS record
	err     error
}

func (w *windowsFilter) Read(p []byte) (int, error) {
	for len(w.pending) == 0 {
		if w.err != nil {
			return 0, w.err
		}
		line, err := w.r.ReadBytes('\n')
		w.err = err
		w.pending = w.fix(line)
	}
	n := copy(p, w.pending)
	w.pending = w.pending[n:]
	return n, nil
}

func (w *windowsFilter) fix(line []byte) []byte {
	if w.inWINS {
		if bytes.IndexByte(line, ')') >= 0 {
			w.inWINS = false
		}
		return append([]byte(";"), line...)
	}
	if isWINS(line) {
		if bytes.IndexByte(line, '(') >= 0 && bytes.IndexByte(line, ')') < 0 {
			w.inWINS = true
		}
		return append([]byte(";"), line...)
	}
	m := ageField.FindSubmatchIndex(line)
	if m == nil {
		return line
	}
	age := line[m[0]:m[1]]
	out := make([]byte, 0, len(line)+len(age)+4)
	out = append(out, line[:m[0]]...)
	out = append(out, bytes.Repeat([]byte(" "), m[1]-m[0])...)
	body := line[m[1]:]
	eol := body[len(bytes.TrimRight(body, "\r\n")):]
	body = body[:len(body)-len(eol)]
	out = append(out, body...)
	if bytes.IndexByte(body, ';') < 0 {
		out = append(out, " ;"...)
	} else {
		out = append(out, ' ')
	}
	out = append(out, age...)
	return append(out, eol...)
}

// isWINS reports whether a zone-file line is a WINS or WINSR record.
func isWINS(line []byte) bool {
	s := line
	if i := bytes.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	f := bytes.Fields(s)
	if len(s) > 0 && s[0] != ' ' && s[0] != '\t' && len(f) > 0 {
		f = f[1:] // the owner name
	}
	for i, w := range f {
		if i > 2 {
			break
		}
		if bytes.EqualFold(w, []byte("WINS")) || bytes.EqualFold(w, []byte("WINSR")) {
			return true
		}
	}
	return false
}
