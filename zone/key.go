package zone

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bodgit/tsig"
	"github.com/kmsdns/kmsdns/internal/regfile"
	"github.com/miekg/dns"
)

// Key is a TSIG key (RFC 8945). The secret is kept unexported so that a Key
// printed with any fmt verb, logged or marshalled never reveals it.
type Key struct {
	// Name is the key name, fully qualified and lower-cased ("xfr-key.").
	Name string
	// Algorithm is the canonical algorithm name as it appears on the wire
	// (dns.HmacSHA256, "hmac-md5.sig-alg.reg.int.", ...).
	Algorithm string
	secret    string // base64, as in the key file
}

// algorithms maps the names BIND and nsupdate accept to wire names.
var algorithms = map[string]string{
	"hmac-md5":                 dns.HmacMD5,
	"hmac-md5.sig-alg.reg.int": dns.HmacMD5,
	"hmac-sha1":                dns.HmacSHA1,
	"hmac-sha224":              dns.HmacSHA224,
	"hmac-sha256":              dns.HmacSHA256,
	"hmac-sha384":              dns.HmacSHA384,
	"hmac-sha512":              dns.HmacSHA512,
}

// NewKey checks name, algorithm and base64 secret and returns a Key.
// The algorithm may be given as BIND writes it ("hmac-sha256") or
// fully qualified.
func NewKey(name, algorithm, secret string) (Key, error) {
	k, problem := newKey(name, algorithm, secret)
	switch {
	case problem == "":
		return k, nil
	case name == "":
		return Key{}, errors.New("tsig key: " + problem)
	case problem == unsupportedAlgorithm:
		// Given by the caller, not read from a file: say which.
		return Key{}, fmt.Errorf("tsig key %s: unsupported algorithm %s (use %s)", quote(name), quote(algorithm), algorithmList)
	}
	return Key{}, fmt.Errorf("tsig key %s: %s", quote(name), problem)
}

const (
	algorithmList        = "hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384 or hmac-sha512"
	unsupportedAlgorithm = "unsupported algorithm (use " + algorithmList + ")"
)

// newKey is NewKey with a problem that quotes none of its arguments.
func newKey(name, algorithm, secret string) (Key, string) {
	if name == "" {
		return Key{}, "empty key name"
	}
	if !validName(dns.Fqdn(name)) {
		return Key{}, "not a valid key name"
	}
	alg, ok := algorithms[strings.TrimSuffix(strings.ToLower(algorithm), ".")]
	if !ok {
		return Key{}, unsupportedAlgorithm
	}
	raw, err := base64.StdEncoding.DecodeString(secret)
	if err != nil {
		return Key{}, "secret is not valid base64"
	}
	if len(raw) == 0 {
		return Key{}, "empty secret"
	}
	return Key{Name: dns.CanonicalName(name), Algorithm: alg, secret: secret}, ""
}

// IsZero reports whether k is the zero Key (no TSIG).
func (k Key) IsZero() bool { return k.Name == "" }

// String names the key and its algorithm, never its secret.
func (k Key) String() string {
	if k.IsZero() {
		return "no key"
	}
	return fmt.Sprintf("%s (%s)", strings.TrimSuffix(k.Name, "."), algorithmLabel(k.Algorithm))
}

// GoString is like String so that %#v does not reveal the secret either.
func (k Key) GoString() string { return "zone.Key{" + k.String() + "}" }

// Provider returns a dns.TsigProvider for the key. It supports hmac-md5,
// which miekg/dns's built-in provider no longer does.
func (k Key) Provider() dns.TsigProvider { return tsig.HMAC{k.Name: k.secret} }

// algorithmLabel is the short algorithm name BIND uses.
func algorithmLabel(alg string) string {
	if alg == dns.HmacMD5 {
		return "hmac-md5"
	}
	return strings.TrimSuffix(alg, ".")
}

// MaxKeyFileSize is the largest key file read, in bytes: a key clause is
// about 100 bytes, and a file of many keys stays far below this.
const MaxKeyFileSize = 64 << 10

// ReadKeyFile reads every key clause of a BIND key file, as tsig-keygen
// writes it and nsupdate -k reads it. The file may be a pipe (`--key-file
// <(vault read ...)`), read within regfile.PipeWait; a device is refused.
func ReadKeyFile(path string) ([]Key, error) {
	b, err := regfile.ReadSecret(path, MaxKeyFileSize, regfile.PipeWait)
	if errors.Is(err, regfile.ErrTooLarge) {
		return nil, fmt.Errorf("%s: larger than %d bytes: not a key file", path, MaxKeyFileSize)
	}
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	return ParseKeys(bytes.NewReader(b), path)
}

// FindKey returns the key called name from keys, or the only key when name
// is empty.
func FindKey(keys []Key, name, file string) (Key, error) {
	if name == "" {
		if len(keys) == 1 {
			return keys[0], nil
		}
		names := make([]string, len(keys))
		for i, k := range keys {
			names[i] = strings.TrimSuffix(k.Name, ".")
		}
		return Key{}, fmt.Errorf("key file %s holds %d keys (%s): choose one with --key-name (key-name: in the config)", file, len(keys), strings.Join(names, ", "))
	}
	want := dns.CanonicalName(name)
	for _, k := range keys {
		if k.Name == want {
			return k, nil
		}
	}
	return Key{}, fmt.Errorf("key file %s: no key named %q", file, strings.TrimSuffix(want, "."))
}

// ParseKeys reads BIND key clauses from r:
//
//	key "name" {
//		algorithm hmac-sha256;
//		secret "base64";
//	};
//
// Comments (#, //, /* */) are allowed. file names r in errors. Errors name
// the line and what was expected, never the text found (a secret given
// where a key file was expected must not be printed); at most
// MaxKeyFileSize bytes are read.
func ParseKeys(r io.Reader, file string) ([]Key, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(data) > MaxKeyFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes: not a key file", file, MaxKeyFileSize)
	}
	toks, err := tokenizeConf(bytes.NewReader(data), file)
	if err != nil {
		return nil, err
	}
	var keys []Key
	seen := map[string]int{}
	p := &confParser{toks: toks, file: file}
	for !p.done() {
		t := p.next()
		if t.text != "key" || t.quoted {
			return nil, p.errorf(t, "expected a key clause (key \"name\" { algorithm ...; secret \"...\"; };), found %s", t.kind())
		}
		name := p.next()
		if name.text == "" || name.punct() {
			return nil, p.errorf(name, "key clause without a name")
		}
		clause := fmt.Sprintf("key clause of line %d", name.line)
		if err := p.expect("{"); err != nil {
			return nil, err
		}
		var alg, secret string
		for {
			st := p.next()
			if st.text == "}" && !st.quoted {
				break
			}
			if st.text == "" {
				return nil, p.errorf(st, "%s: missing closing brace", clause)
			}
			val := p.next()
			stmt := strings.ToLower(st.text)
			if stmt != "algorithm" && stmt != "secret" || st.quoted {
				return nil, p.errorf(st, "%s: expected algorithm or secret, found %s", clause, st.kind())
			}
			if val.text == "" || val.punct() {
				return nil, p.errorf(val, "%s: %s without a value", clause, stmt)
			}
			if stmt == "algorithm" {
				alg = val.text
			} else {
				secret = val.text
			}
			if err := p.expect(";"); err != nil {
				return nil, err
			}
		}
		if err := p.expect(";"); err != nil {
			return nil, err
		}
		if alg == "" {
			return nil, p.errorf(name, "%s has no algorithm", clause)
		}
		if secret == "" {
			return nil, p.errorf(name, "%s has no secret", clause)
		}
		k, problem := newKey(name.text, alg, secret)
		if problem != "" {
			return nil, p.errorf(name, "%s: %s", clause, problem)
		}
		if line, ok := seen[k.Name]; ok {
			return nil, p.errorf(name, "%s: a key of the same name is defined at line %d", clause, line)
		}
		seen[k.Name] = name.line
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no key clause found", file)
	}
	return keys, nil
}

type confToken struct {
	text   string
	quoted bool
	line   int
}

// kind says what a token is without quoting it.
func (t confToken) kind() string {
	switch {
	case t.text == "" && !t.quoted:
		return "end of file"
	case t.punct():
		return `"` + t.text + `"`
	case t.quoted:
		return "a quoted string"
	}
	return "a word"
}

func (t confToken) punct() bool {
	return !t.quoted && (t.text == "{" || t.text == "}" || t.text == ";")
}

type confParser struct {
	toks []confToken
	pos  int
	file string
}

func (p *confParser) done() bool { return p.pos >= len(p.toks) }

func (p *confParser) next() confToken {
	if p.done() {
		line := 1
		if len(p.toks) > 0 {
			line = p.toks[len(p.toks)-1].line
		}
		return confToken{line: line}
	}
	t := p.toks[p.pos]
	p.pos++
	return t
}

func (p *confParser) expect(s string) error {
	t := p.next()
	if t.text != s || t.quoted {
		return p.errorf(t, "expected %q, found %s", s, t.kind())
	}
	return nil
}

func (p *confParser) errorf(t confToken, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.file, t.line, fmt.Sprintf(format, args...))
}

// tokenizeConf splits named.conf-style text into words, quoted strings and
// the punctuation { } ;, dropping comments.
func tokenizeConf(r io.Reader, file string) ([]confToken, error) {
	var toks []confToken
	br := bufio.NewReader(r)
	line := 1
	inBlock := false
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			if inBlock {
				return nil, fmt.Errorf("%s:%d: unterminated /* comment", file, line)
			}
			return toks, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if c == '\n' {
			line++
		}
		if inBlock {
			if c == '*' {
				if n, _ := br.Peek(1); len(n) == 1 && n[0] == '/' {
					br.ReadByte()
					inBlock = false
				}
			}
			continue
		}
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case c == '#':
			skipLine(br, &line)
		case c == '/':
			n, _ := br.Peek(1)
			switch {
			case len(n) == 1 && n[0] == '/':
				skipLine(br, &line)
			case len(n) == 1 && n[0] == '*':
				br.ReadByte()
				inBlock = true
			default:
				return nil, fmt.Errorf("%s:%d: unexpected '/'", file, line)
			}
		case c == '{' || c == '}' || c == ';':
			toks = append(toks, confToken{text: string(c), line: line})
		case c == '"':
			start := line
			var sb strings.Builder
			for {
				c, err = br.ReadByte()
				if err != nil {
					return nil, fmt.Errorf("%s:%d: unterminated quoted string", file, start)
				}
				if c == '"' {
					break
				}
				if c == '\n' {
					line++
				}
				sb.WriteByte(c)
			}
			toks = append(toks, confToken{text: sb.String(), quoted: true, line: start})
		default:
			var sb strings.Builder
			sb.WriteByte(c)
			for {
				n, err := br.Peek(1)
				if err != nil || strings.ContainsRune(" \t\r\n{};\"#", rune(n[0])) {
					break
				}
				b, _ := br.ReadByte()
				sb.WriteByte(b)
			}
			toks = append(toks, confToken{text: sb.String(), line: line})
		}
	}
}

func skipLine(br *bufio.Reader, line *int) {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return
		}
		if c == '\n' {
			*line++
			return
		}
	}
}
