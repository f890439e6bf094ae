package zone

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/kmsdns/kmsdns/internal/regfile"
	"github.com/miekg/dns"
)

// ReadFile reads a zone file in RFC 1035 master format, as BIND writes it
// or as Windows DNS exports it (dnscmd /ZoneExport). origin may be empty:
// it then comes from the file ($ORIGIN before the SOA, an absolute SOA
// owner, or the header comment of a Windows export). It is
// ReadFileContext without a deadline and with default FileOptions.
func ReadFile(path, origin string) (*Snapshot, error) {
	return ReadFileContext(context.Background(), path, origin, FileOptions{})
}

// ReadFileContext is ReadFile with a context, which stops the reading when
// done, and options. On error the Snapshot is still returned when the zone's
// name is known, so that the failure can be reported under it.
func ReadFileContext(ctx context.Context, path, origin string, opts FileOptions) (*Snapshot, error) {
	return readFileContext(ctx, path, origin, opts, true)
}

// readFileContext is ReadFileContext; without needSOA, a file without the
// zone's SOA is not an error (one of several files of a zone).
func readFileContext(ctx context.Context, path, origin string, opts FileOptions, needSOA bool) (*Snapshot, error) {
	f, err := regfile.Open(path)
	if err != nil {
		return failedFile(origin, path), fmt.Errorf("zone file: %w", err)
	}
	defer f.Close()
	return parseFileContext(ctx, f, origin, path, opts, needSOA)
}

// errNoSOA is the error of a zone read without the SOA at its apex.
func errNoSOA(files, zone string) error {
	return fmt.Errorf("zone file %s: no SOA record for zone %s: not a zone file, or an empty one", files, zone)
}

// ParseFile is ReadFile for a reader; file names it in errors and anchors
// relative $INCLUDE paths.
func ParseFile(r io.Reader, origin, file string) (*Snapshot, error) {
	return ParseFileContext(context.Background(), r, origin, file, FileOptions{})
}

// ParseFileContext is ReadFileContext for a reader.
//
// The reader behaves like named loading a zone: $ORIGIN, $TTL, $INCLUDE
// and $GENERATE (with BIND's quoted right-hand side and ${offset,width,base}
// modifiers, nibbles included) are understood; without $TTL and a TTL on
// the SOA, the SOA minimum is the default TTL. A record of a type that
// cannot be read (or is written more loosely than miekg/dns accepts) is
// skipped with a Warning naming file and line; the zone fails only when
// its SOA, or an SRV record at a _vlmcs._tcp name, cannot be read, or when
// there is no SOA at the origin at all (an empty file is no zone, as named
// says). A UTF-8 byte order mark is dropped and UTF-16 with one (Windows
// PowerShell 5.1 ">") is decoded, in the file and in what it includes.
//
// Whatever the input, reading is bounded: lines of at most MaxLineLength
// bytes, records of MaxEntryLength, $INCLUDE MaxIncludeDepth deep and only
// from the file's own directory or opts.IncludeDirs, and at most
// opts.MaxRecords records in all. Errors are *FileError (file and line)
// and quote at most a short prefix of the file's text, none of an included
// file's.
func ParseFileContext(ctx context.Context, r io.Reader, origin, file string, opts FileOptions) (*Snapshot, error) {
	return parseFileContext(ctx, r, origin, file, opts, true)
}

func parseFileContext(ctx context.Context, r io.Reader, origin, file string, opts FileOptions, needSOA bool) (*Snapshot, error) {
	br := unBOM(r)
	head, _ := br.Peek(64 << 10)
	if origin == "" {
		origin = guessOrigin(head)
		if origin == "" {
			return nil, fmt.Errorf("zone file %s: cannot tell which zone it holds (no $ORIGIN before the SOA, no absolute SOA owner, no Windows export header): give the zone name", file)
		}
	}
	if _, ok := dns.IsDomainName(origin); !ok {
		return nil, fmt.Errorf("zone file %s: %s is not a valid zone name", file, quote(origin))
	}
	origin = dns.CanonicalName(origin)
	res := &Snapshot{Zone: origin, Source: SourceFile, Files: []string{file}}
	res.fileOpts = opts
	if err := parse(ctx, br, head, file, res, nil); err != nil {
		return res, err
	}
	if needSOA && !res.HasSerial {
		return &Snapshot{Zone: origin, Source: SourceFile, Files: res.Files, Warnings: res.Warnings, fileOpts: opts}, errNoSOA(file, origin)
	}
	return res, nil
}

// parse reads a zone file into res, calling each (when set) for every
// record read.
func parse(ctx context.Context, br *bufio.Reader, head []byte, file string, res *Snapshot, each func(dns.RR)) error {
	origin := res.Zone
	fr := &fileReader{
		ctx: ctx, opts: res.fileOpts, zone: origin, res: res, top: file, each: each,
		seen:    map[Record]bool{}, // an RRset holds no duplicates (RFC 2181 5)
		cuts:    newCutSet(origin),
		windows: windowsHeader.Match(bytes.TrimSpace(firstComment(head))),
	}
	if err := fr.read(br, &fileState{name: file, origin: origin}); err != nil {
		// Keep the zone's name (and what was noticed), not the records.
		*res = Snapshot{Zone: origin, Source: SourceFile, Files: res.Files, Warnings: res.Warnings, fileOpts: res.fileOpts}
		return fmt.Errorf("zone %s: %w", origin, err)
	}
	fr.cuts.apply(res)
	res.cuts = *fr.cuts
	return nil
}

// walkFile reads a zone file of r again, calling each for every record.
func walkFile(ctx context.Context, r *Snapshot, path string, each func(dns.RR)) error {
	f, err := regfile.Open(path)
	if err != nil {
		return fmt.Errorf("zone file: %w", err)
	}
	defer f.Close()
	br := unBOM(f)
	head, _ := br.Peek(64 << 10)
	tmp := &Snapshot{Zone: r.Zone, fileOpts: r.fileOpts}
	return parse(ctx, br, head, path, tmp, each)
}

// failedFile is the Snapshot of a zone file that could not be opened.
func failedFile(origin, path string) *Snapshot {
	if origin == "" {
		return nil
	}
	return &Snapshot{Zone: dns.CanonicalName(origin), Source: SourceFile, Files: []string{path}}
}

// firstComment returns the Windows export header line, if any: the first
// comment line that is not empty after its semicolons.
func firstComment(head []byte) []byte {
	for _, line := range bytes.Split(head, []byte("\n")) {
		s := bytes.TrimSpace(line)
		if len(bytes.Trim(s, "; \t")) == 0 {
			continue
		}
		return s
	}
	return nil
}

var (
	ageField      = regexp.MustCompile(`\[AGE:(\d+)\]`)
	windowsHeader = regexp.MustCompile(`(?i)^;\s*Database file \S+ for (\S+) zone\.`)
)

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
	if !bytes.Contains(line, ageMark) {
		return line // what the regular expression needs, found cheaply
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

// ageMark starts every match of ageField.
var ageMark = []byte("[AGE:")

// mentionsWINS reports whether "wins", in any case, is in line.
func mentionsWINS(line []byte) bool {
	for i := 0; i+4 <= len(line); i++ {
		if line[i]|0x20 == 'w' && line[i+1]|0x20 == 'i' && line[i+2]|0x20 == 'n' && line[i+3]|0x20 == 's' {
			return true
		}
	}
	return false
}

// isWINS reports whether a zone-file line is a WINS or WINSR record.
func isWINS(line []byte) bool {
	if !mentionsWINS(line) {
		return false // nearly every line: no need to split it
	}
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

// unBOM returns a reader of a zone file's text in UTF-8 (regfile.Text: a
// UTF-8 byte order mark dropped, UTF-16 with one decoded as it is read).
func unBOM(r io.Reader) *bufio.Reader { return regfile.Text(r, MaxLineLength+1) }
