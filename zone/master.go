package zone

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/kmsdns/kmsdns/internal/regfile"
	"github.com/miekg/dns"
)

// Limits of the zone-file reader. They bound memory and time whatever a
// file holds; real zones stay far below them.
const (
	// DefaultMaxFileRecords is how many resource records one zone's files
	// (with their $INCLUDEs and $GENERATE expansions) may hold.
	DefaultMaxFileRecords = 10_000_000
	// MaxLineLength is the longest line of a zone file, in bytes.
	MaxLineLength = 64 << 10
	// MaxEntryLength is the longest record (lines joined by parentheses).
	MaxEntryLength = 256 << 10
	// MaxIncludeDepth is how deeply $INCLUDE may nest.
	MaxIncludeDepth = 8
	// maxGenerateWidth is the widest ${offset,width,base} field.
	maxGenerateWidth = 255
	// maxQuote is how much of a token an error may quote.
	maxQuote = 16
)

// FileOptions tune the reading of zone files.
type FileOptions struct {
	// IncludeDirs are directories, besides the zone file's own, from which
	// $INCLUDE may read. Any other $INCLUDE is refused before it is opened.
	IncludeDirs []string
	// MaxRecords caps the records read (DefaultMaxFileRecords when zero).
	MaxRecords int

	slow bool // no fast path: every record through miekg/dns (tests)
}

// Errors of the zone-file reader that callers can test with errors.Is.
var (
	// ErrTooManyRecords: the files expand beyond FileOptions.MaxRecords.
	ErrTooManyRecords = errors.New("too many records")
	// ErrIncludeRefused: an $INCLUDE outside the allowed directories.
	ErrIncludeRefused = errors.New("$INCLUDE outside the allowed directories")
	// ErrTooLong: a line or record beyond MaxLineLength / MaxEntryLength.
	ErrTooLong = errors.New("not a zone file, or beyond the reader's limits")
)

// FileError is a zone-file error at a place in a file.
type FileError struct {
	File string
	Line int
	Err  error
}

func (e *FileError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }

// token is one word of a zone-file entry; raw keeps quotes and escapes.
type token struct {
	raw    string
	quoted bool
}

// unquoted is the token's text without its quotes (escapes kept).
func (t token) unquoted() string {
	if t.quoted {
		return t.raw[1 : len(t.raw)-1]
	}
	return t.raw
}

// entry is one logical line: a directive or a record.
type entry struct {
	line       int
	blankOwner bool // starts with white space: the previous owner
	toks       []token
	raw        string // the text, comments included (for [AGE:n])
}

// span is where a token lies in the text of an entry.
type span struct {
	start, end int
	quoted     bool
}

// lineReader splits a zone file into entries, bounded in line and entry
// length, with the Windows-export fixes applied line by line. It reuses
// its buffers: an entry is valid until the next call of next (its
// strings stay valid for good: each entry's text is one string).
type lineReader struct {
	br   *bufio.Reader
	file string
	line int
	win  windowsFilter
	eof  bool

	buf   []byte // the text of the entry being read
	spans []span // its tokens
	e     entry  // the entry next returns
}

func newLineReader(r io.Reader, file string) *lineReader {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < MaxLineLength+1 {
		br = bufio.NewReaderSize(r, MaxLineLength+1)
	}
	return &lineReader{br: br, file: file}
}

func (l *lineReader) errorf(line int, format string, args ...any) error {
	return &FileError{File: l.file, Line: line, Err: fmt.Errorf(format, args...)}
}

// readLine returns the next line without its end of line. The slice is
// valid until the next read.
func (l *lineReader) readLine() ([]byte, error) {
	b, err := l.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, l.errorf(l.line+1, "line longer than %d bytes: %w", MaxLineLength, ErrTooLong)
	}
	if err == io.EOF {
		l.eof = true
		if len(b) == 0 {
			return nil, io.EOF
		}
	} else if err != nil {
		return nil, &FileError{File: l.file, Line: l.line + 1, Err: err}
	}
	l.line++
	b = l.win.fix(b)
	return b, nil
}

// next returns the next entry that has tokens, or io.EOF. The entry is
// reused by the following call.
func (l *lineReader) next() (*entry, error) {
	for {
		if l.eof {
			return nil, io.EOF
		}
		line, err := l.readLine()
		if err != nil {
			return nil, err
		}
		e := &l.e
		*e = entry{line: l.line, toks: e.toks[:0]}
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			e.blankOwner = true
		}
		depth := 0
		l.buf, l.spans = l.buf[:0], l.spans[:0]
		for {
			off := len(l.buf)
			if off+len(line) > MaxEntryLength {
				return nil, l.errorf(e.line, "record longer than %d bytes: %w", MaxEntryLength, ErrTooLong)
			}
			l.buf = append(l.buf, line...)
			if err := tokenize(l.buf, off, &l.spans, &depth); err != nil {
				return nil, l.errorf(l.line, "%v", err)
			}
			if depth == 0 {
				break
			}
			if l.eof {
				return nil, l.errorf(e.line, "unbalanced parentheses")
			}
			line, err = l.readLine()
			if err == io.EOF {
				return nil, l.errorf(e.line, "unbalanced parentheses")
			}
			if err != nil {
				return nil, err
			}
		}
		if len(l.spans) > 0 {
			// One string per entry; the tokens are parts of it.
			e.raw = string(l.buf)
			for _, sp := range l.spans {
				e.toks = append(e.toks, token{raw: e.raw[sp.start:sp.end], quoted: sp.quoted})
			}
			return e, nil
		}
	}
}

// tokenize appends the tokens of the line at text[from:] to spans,
// tracking parentheses.
func tokenize(text []byte, from int, spans *[]span, depth *int) error {
	i := from
	for i < len(text) {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == ';':
			return nil
		case c == '(':
			*depth++
			i++
		case c == ')':
			if *depth == 0 {
				return errors.New("')' without '('")
			}
			*depth--
			i++
		case c == '"':
			j := i + 1
			for ; j < len(text) && text[j] != '"'; j++ {
				if text[j] == '\\' {
					j++
				}
			}
			if j >= len(text) {
				return errors.New("unterminated quoted string")
			}
			*spans = append(*spans, span{start: i, end: j + 1, quoted: true})
			i = j + 1
		default:
			j := i
			for ; j < len(text); j++ {
				b := text[j]
				if b == '\\' {
					j++
					continue
				}
				if b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == ';' || b == '(' || b == ')' || b == '"' {
					break
				}
			}
			j = min(j, len(text))
			*spans = append(*spans, span{start: i, end: j})
			i = j
		}
	}
	return nil
}

// quote quotes at most a short prefix of s, for error messages.
func quote(s string) string {
	if len(s) > maxQuote {
		return strconv.QuoteToASCII(s[:maxQuote]) + "..."
	}
	return strconv.QuoteToASCII(s)
}

// fileReader reads one zone from a file and its includes.
type fileReader struct {
	ctx     context.Context
	opts    FileOptions
	zone    string
	res     *Snapshot
	seen    map[Record]bool
	cuts    *cutSet // owners of NS records below the apex
	count   int
	windows bool   // a Windows export: no $TTL is the norm, not news
	top     string // the file given, whose directory $INCLUDE may read
	each    func(dns.RR)
	entries int // entries read, to check the context now and then

	defTTL, lastTTL     uint32
	defKnown, lastKnown bool
}

// fileState is what one file being read carries.
type fileState struct {
	name   string
	origin string
	depth  int
	quiet  bool // reached by $INCLUDE: errors quote none of its text

	// The last owner: absolute in owner, or, when ownerLazy is set, as
	// written in ownerTok under ownerOrigin, made absolute only when
	// needed (it is then surely valid: quickName).
	owner, ownerTok, ownerOrigin string
	ownerLazy                    bool
}

// ownerName returns the last owner name, absolute ("" when none).
func (fs *fileState) ownerName() string {
	if fs.ownerLazy {
		fs.owner, fs.ownerLazy = absName(fs.ownerTok, fs.ownerOrigin), false
	}
	return fs.owner
}

func (fr *fileReader) read(r io.Reader, fs *fileState) error {
	lr := newLineReader(r, fs.name)
	for {
		fr.entries++
		if fr.entries&63 == 1 {
			if err := fr.ctx.Err(); err != nil {
				return &FileError{File: fs.name, Line: lr.line, Err: err}
			}
		}
		e, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if !e.blankOwner && strings.HasPrefix(e.toks[0].raw, "$") && !e.toks[0].quoted {
			err = fr.directive(e, fs)
		} else {
			err = fr.record(e, fs, nil)
		}
		if err != nil {
			return err
		}
	}
}

func (fr *fileReader) errorf(fs *fileState, line int, format string, args ...any) error {
	return &FileError{File: fs.name, Line: line, Err: fmt.Errorf(format, args...)}
}

// validName reports whether an absolute name is valid, at most 255
// octets on the wire (dns.IsDomainName lets 256 and 257 through).
func validName(name string) bool {
	if _, ok := dns.IsDomainName(name); !ok {
		return false
	}
	var buf [258]byte
	off, err := dns.PackDomainName(name, buf[:], 0, nil, false)
	return err == nil && off <= 255
}

// absName makes a name from the file absolute, relative to origin.
func absName(name, origin string) string {
	switch {
	case name == "@":
		return origin
	case dns.IsFqdn(name):
		return name
	case origin == ".":
		return name + "."
	}
	return name + "." + origin
}

func (fr *fileReader) directive(e *entry, fs *fileState) error {
	args := e.toks[1:]
	switch d := strings.ToUpper(e.toks[0].raw); d {
	case "$ORIGIN":
		if len(args) < 1 {
			return fr.errorf(fs, e.line, "$ORIGIN without a name")
		}
		o := absName(args[0].raw, fs.origin)
		if !validName(o) || args[0].raw == "@" && fs.origin == "" {
			return fr.errorf(fs, e.line, "$ORIGIN: not a valid domain name (labels up to 63 octets, names up to 255)")
		}
		fs.origin = o
	case "$TTL":
		if len(args) < 1 {
			return fr.errorf(fs, e.line, "$TTL without a value")
		}
		ttl, ok := parseTTL(args[0].raw)
		if !ok {
			return fr.errorf(fs, e.line, "$TTL: %s is not a TTL", fr.q(fs, args[0].raw))
		}
		fr.defTTL, fr.defKnown = ttl, true
	case "$INCLUDE":
		if len(args) < 1 {
			return fr.errorf(fs, e.line, "$INCLUDE without a file name")
		}
		origin := fs.origin
		if len(args) > 1 {
			origin = absName(args[1].raw, fs.origin)
			if !validName(origin) {
				return fr.errorf(fs, e.line, "$INCLUDE: origin is not a valid domain name")
			}
		}
		return fr.include(e.line, args[0].unquoted(), origin, fs)
	case "$GENERATE":
		return fr.generate(e, fs)
	default:
		return fr.errorf(fs, e.line, "unknown directive %s", fr.q(fs, d))
	}
	return nil
}

// q quotes a token for an error, or not at all in an included file.
func (fr *fileReader) q(fs *fileState, s string) string {
	if fs.quiet {
		return "(text not shown)"
	}
	return quote(s)
}

// include reads an $INCLUDEd file, confined to the zone file's directory
// and FileOptions.IncludeDirs.
func (fr *fileReader) include(line int, name, origin string, fs *fileState) error {
	if fs.depth+1 >= MaxIncludeDepth {
		return fr.errorf(fs, line, "$INCLUDE nested more than %d deep", MaxIncludeDepth)
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(fs.name), path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fr.errorf(fs, line, "$INCLUDE %s: %w", fr.q(fs, name), err)
	}
	f, err := openConfined(abs, fr.roots())
	if err != nil {
		return fr.errorf(fs, line, "$INCLUDE %s: %w", quote(name), err)
	}
	defer f.Close()
	sub := &fileState{name: path, origin: origin, depth: fs.depth + 1, quiet: true}
	return fr.read(unBOM(f), sub)
}

// roots are the directories $INCLUDE may read from.
func (fr *fileReader) roots() []string {
	dirs := []string{filepath.Dir(fr.top)}
	return append(dirs, fr.opts.IncludeDirs...)
}

// openConfined opens abs only through an os.Root of one of dirs, so that
// neither ".." nor a symbolic link leads outside them. A link out of one
// directory into another of dirs is followed.
func openConfined(abs string, dirs []string) (*os.File, error) {
	paths := []string{abs}
	if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
		paths = append(paths, real)
	}
	for _, d := range dirs {
		d, err := filepath.Abs(d)
		if err != nil {
			continue
		}
		for _, p := range paths {
			rel, err := filepath.Rel(d, p)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				continue
			}
			root, err := os.OpenRoot(d)
			if err != nil {
				continue
			}
			f, err := regfile.OpenIn(root, rel)
			root.Close()
			if err == nil {
				return f, nil
			}
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) || errors.Is(err, regfile.ErrNotRegular) {
				return nil, err
			}
			// Anything else is a path that leaves d: try the next one.
		}
	}
	return nil, fmt.Errorf("%w (%s; allow a directory with --include-dir)", ErrIncludeRefused, strings.Join(dirs, ", "))
}

// parseTTL reads a TTL as BIND writes it: seconds, or units (1h30m, 2W).
func parseTTL(s string) (uint32, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return uint32(n), true
	}
	var total, cur uint64
	digits := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			cur = cur*10 + uint64(c-'0')
			digits = true
			if cur > 1<<32 {
				return 0, false
			}
			continue
		}
		if !digits {
			return 0, false
		}
		var mult uint64
		switch c | 0x20 {
		case 's':
			mult = 1
		case 'm':
			mult = 60
		case 'h':
			mult = 3600
		case 'd':
			mult = 86400
		case 'w':
			mult = 604800
		default:
			return 0, false
		}
		total += cur * mult
		cur, digits = 0, false
		if total > 1<<32-1 {
			return 0, false
		}
	}
	if digits {
		return 0, false // "1h30": BIND wants a unit after every number
	}
	return uint32(total), true
}

// isClass reports whether s is a class mnemonic.
func isClass(s string) bool {
	var buf [16]byte
	if b, ok := upperKey(&buf, s); ok {
		if _, ok := dns.StringToClass[string(b)]; ok {
			return true
		}
		return len(b) > 5 && string(b[:5]) == "CLASS" && b[5] >= '0' && b[5] <= '9'
	}
	u := strings.ToUpper(s)
	if _, ok := dns.StringToClass[u]; ok {
		return true
	}
	return strings.HasPrefix(u, "CLASS") && len(u) > 5 && u[5] >= '0' && u[5] <= '9'
}

// typeOf returns the type code of a type mnemonic (0 when unknown).
func typeOf(s string) uint16 {
	var buf [16]byte
	if b, ok := upperKey(&buf, s); ok {
		if t, ok := dns.StringToType[string(b)]; ok {
			return t
		}
		if len(b) <= 4 || string(b[:4]) != "TYPE" {
			return 0
		}
	}
	u := strings.ToUpper(s)
	if t, ok := dns.StringToType[u]; ok {
		return t
	}
	if strings.HasPrefix(u, "TYPE") {
		if n, err := strconv.ParseUint(u[4:], 10, 16); err == nil {
			return uint16(n)
		}
	}
	return 0
}

// genIter is set for a record made by $GENERATE.
type genIter struct{ value int64 }

// record reads one record entry.
func (fr *fileReader) record(e *entry, fs *fileState, gen *genIter) error {
	fr.count++
	if fr.count > fr.max() {
		return fr.errorf(fs, e.line, "more than %d records with includes and $GENERATE: %w", fr.max(), ErrTooManyRecords)
	}
	if gen == nil && strings.Contains(e.raw, "[AGE:") {
		fr.noteAge(e.raw)
	}
	if fr.count&255 == 0 {
		if err := fr.ctx.Err(); err != nil {
			return &FileError{File: fs.name, Line: e.line, Err: err}
		}
	}
	toks := e.toks
	if !e.blankOwner {
		name := toks[0].unquoted()
		toks = toks[1:]
		if !fr.opts.slow && quickName(name, fs.origin) {
			fs.owner, fs.ownerTok, fs.ownerOrigin, fs.ownerLazy = "", name, fs.origin, true
		} else {
			owner := absName(name, fs.origin)
			if !validName(owner) {
				return fr.errorf(fs, e.line, "%snot a valid owner name (labels up to 63 octets, names up to 255)", genNote(gen))
			}
			fs.owner, fs.ownerLazy = owner, false
		}
	}
	quick := fs.ownerLazy // a plain owner (never with opts.slow): the fast path may take the record
	if !quick && fs.owner == "" {
		return fr.errorf(fs, e.line, "%sa record without an owner name", genNote(gen))
	}
	// [TTL] [class] type, in either order.
	var ttlTok, classTok string
	i := 0
fields:
	for ; i < len(toks) && i < 2; i++ {
		w := toks[i].raw
		switch {
		case w != "" && w[0] >= '0' && w[0] <= '9' && ttlTok == "":
			ttlTok = w
		case isClass(w) && classTok == "":
			classTok = w
		default:
			break fields
		}
	}
	if i >= len(toks) {
		return fr.skip(fs, e.line, gen, 0, fs.ownerName(), "no type")
	}
	typ := typeOf(toks[i].raw)
	if typ == 0 {
		return fr.skip(fs, e.line, gen, 0, fs.ownerName(), "unknown type "+fr.q(fs, toks[i].raw))
	}
	rdata := toks[i+1:]
	if classTok != "" && !strings.EqualFold(classTok, "IN") {
		// Only class IN matters to KMS clients; the rest is not read.
		fr.res.Seen++
		return nil
	}
	ttl, explicit := uint32(0), false
	if ttlTok != "" {
		t, ok := parseTTL(ttlTok)
		if !ok {
			return fr.skip(fs, e.line, gen, typ, fs.ownerName(), "a TTL that is not a number")
		}
		ttl, explicit = t, true
	}
	soaDefault := false
	switch {
	case explicit:
	case fr.defKnown:
		ttl = fr.defTTL
	case fr.lastKnown:
		ttl = fr.lastTTL
	case typ == dns.TypeSOA:
		soaDefault = true
	default:
		return fr.skip(fs, e.line, gen, typ, fs.ownerName(), "no TTL given and no $TTL or earlier TTL to use")
	}
	if quick && quickRecord(typ, toks[i].raw, rdata, fs.origin, func() bool { return IsKMSName(fs.ownerName()) }) {
		// What the slow way does with a record it reads that is
		// neither an SOA nor a KMS SRV record.
		var rr dns.RR
		if fr.each != nil {
			rr = quickRR(dns.RR_Header{Name: fs.ownerName(), Rrtype: typ, Class: dns.ClassINET, Ttl: ttl}, rdata, fs.origin)
		}
		if fr.each == nil || rr != nil {
			if explicit {
				fr.lastTTL, fr.lastKnown = ttl, true
			}
			fr.res.Seen++
			if rr != nil {
				fr.each(rr)
			}
			if typ == dns.TypeNS {
				fr.cuts.add(fs.ownerName())
			}
			return nil
		}
	}
	owner := fs.ownerName()
	var b strings.Builder
	b.WriteString(owner)
	b.WriteString(" ")
	b.WriteString(strconv.FormatUint(uint64(ttl), 10))
	b.WriteString(" IN ")
	b.WriteString(toks[i].raw)
	for _, t := range rdata {
		b.WriteByte(' ')
		b.WriteString(t.raw)
	}
	zp := dns.NewZoneParser(strings.NewReader(b.String()), fs.origin, "")
	rr, ok := zp.Next()
	if !ok {
		msg := "could not be read"
		if err := zp.Err(); err != nil {
			msg = fr.parseMessage(fs, err)
		}
		return fr.skip(fs, e.line, gen, typ, owner, msg)
	}
	if explicit {
		fr.lastTTL, fr.lastKnown = ttl, true
	}
	fr.res.Seen++
	if fr.each != nil {
		fr.each(rr)
	}
	h := rr.Header()
	switch v := rr.(type) {
	case *dns.SOA:
		if soaDefault {
			h.Ttl = v.Minttl
			fr.defTTL, fr.defKnown = v.Minttl, true
			if !fr.windows {
				fr.warn(fs, e.line, fmt.Sprintf("no $TTL and no TTL on the SOA: records without a TTL get the SOA minimum, %d s, as named does", v.Minttl))
			}
		}
		if !fr.res.HasSerial && dns.CanonicalName(h.Name) == fr.zone {
			fr.res.Serial, fr.res.HasSerial = v.Serial, true
		}
	case *dns.NS:
		fr.cuts.add(h.Name)
	case *dns.SRV:
		if !IsKMSName(h.Name) {
			return nil
		}
		if !dns.IsSubDomain(fr.zone, dns.CanonicalName(h.Name)) {
			rec := recordFromSRV(fr.zone, v)
			fr.warning(Warning{Kind: WarnOutOfZone, Record: rec, File: fs.name, Line: e.line,
				Message: fmt.Sprintf("%sowner %s is outside zone %s: ignored, as named does", genNote(gen), rec.Name, fr.zone)})
			return nil
		}
		if !validName(v.Target) {
			return fr.errorf(fs, e.line, "%sSRV record: target is not a valid domain name (labels up to 63 octets, names up to 255)", genNote(gen))
		}
		rec := recordFromSRV(fr.zone, v)
		if m := ageField.FindStringSubmatch(e.raw); m != nil && gen == nil {
			n, err := strconv.ParseUint(m[1], 10, 32)
			switch {
			case err != nil || !validAge(uint32(n)):
				fr.warn(fs, e.line, fmt.Sprintf("aging stamp [AGE:%s] is not a time before year 10000: read as a static record", truncate(m[1])))
			default:
				rec.Age = uint32(n)
			}
		}
		key := rec
		key.TTL, key.Age = 0, 0
		if fr.seen[key] {
			fr.res.Seen--
			return nil
		}
		fr.seen[key] = true
		fr.res.Records = append(fr.res.Records, rec)
	}
	return nil
}

// noteAge keeps the newest valid aging stamp of the file in
// Snapshot.Refreshed.
func (fr *fileReader) noteAge(raw string) {
	m := ageField.FindStringSubmatch(raw)
	if m == nil {
		return
	}
	n, err := strconv.ParseUint(m[1], 10, 32)
	if err != nil {
		return
	}
	if t, ok := (Record{Age: uint32(n)}).Registered(); ok && t.After(fr.res.Refreshed) {
		fr.res.Refreshed = t
	}
}

func truncate(s string) string {
	if len(s) > maxQuote {
		return s[:maxQuote] + "..."
	}
	return s
}

func (fr *fileReader) max() int {
	if fr.opts.MaxRecords > 0 {
		return fr.opts.MaxRecords
	}
	return DefaultMaxFileRecords
}

func genNote(gen *genIter) string {
	if gen == nil {
		return ""
	}
	return fmt.Sprintf("$GENERATE value %d: ", gen.value)
}

// skip handles a record that cannot be read: the zone fails for the SOA
// and for an SRV record at a KMS name; any other record is skipped with a
// warning, as kmsdns only audits SRV records.
func (fr *fileReader) skip(fs *fileState, line int, gen *genIter, typ uint16, owner, msg string) error {
	fatal := typ == dns.TypeSOA || typ == dns.TypeSRV && IsKMSName(owner)
	what := "a record"
	if typ != 0 {
		what = dns.Type(typ).String() + " record"
	}
	if fatal {
		return fr.errorf(fs, line, "%s%s: %s", genNote(gen), what, msg)
	}
	fr.res.Seen++
	fr.warn(fs, line, fmt.Sprintf("%sskipped %s: %s", genNote(gen), what, msg))
	return nil
}

// maxFileWarnings bounds the warnings kept per zone file; one more says
// that others were left out.
const maxFileWarnings = 100

func (fr *fileReader) warn(fs *fileState, line int, msg string) {
	fr.warning(Warning{Kind: WarnZoneFile, File: fs.name, Line: line, Message: msg})
}

func (fr *fileReader) warning(w Warning) {
	switch n := len(fr.res.Warnings); {
	case n < maxFileWarnings:
		fr.res.Warnings = append(fr.res.Warnings, w)
	case n == maxFileWarnings:
		w.Message = "more warnings left out"
		fr.res.Warnings = append(fr.res.Warnings, w)
	}
}

var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// parseMessage turns a miekg/dns parse error into a short message that
// quotes at most a short prefix of a token (none in included files).
func (fr *fileReader) parseMessage(fs *fileState, err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "dns: ")
	if i := strings.LastIndex(s, " at line: "); i >= 0 {
		s = s[:i]
	}
	return quoted.ReplaceAllStringFunc(s, func(q string) string {
		if fs.quiet {
			return "(text not shown)"
		}
		u, err := strconv.Unquote(q)
		if err != nil {
			u = q
		}
		return quote(u)
	})
}
