package zone

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/bodgit/tsig"
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
	if name == "" {
		return Key{}, errors.New("tsig key: empty key name")
	}
	if _, ok := dns.IsDomainName(name); !ok {
		return Key{}, fmt.Errorf("tsig key %q: not a valid key name", name)
	}
	alg, ok := algorithms[strings.TrimSuffix(strings.ToLower(algorithm), ".")]
	if !ok {
		return Key{}, fmt.Errorf("tsig key %q: unsupported algorithm %q (use hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384 or hmac-sha512)", name, algorithm)
	}
	raw, err := base64.StdEncoding.DecodeString(secret)
	if err != nil {
		return Key{}, fmt.Errorf("tsig key %q: secret is not valid base64", name)
	}
	if len(raw) == 0 {
		return Key{}, fmt.Errorf("tsig key %q: empty secret", name)
	}
	return Key{Name: dns.CanonicalName(name), Algorithm: alg, secret: secret}, nil
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

// ReadKeyFile reads every key clause of a BIND key file, as tsig-keygen
// writes it and nsupdate -k reads it.
func ReadKeyFile(path string) ([]Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	defer f.Close()
	return ParseKeys(f, path)
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
		return Key{}, fmt.Errorf("key file %s holds %d keys (%s): choose one with a key name", file, len(keys), strings.Join(names, ", "))
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
// Comments (#, //, /* */) are allowed. file names r in errors.
func ParseKeys(r io.Reader, file string) ([]Key, error) {
	toks, err := tokenizeConf(r, file)
	if err != nil {
		return nil, err
	}
	var keys []Key
	seen := map[string]bool{}
	p := &confParser{toks: toks, file: file}
	for !p.done() {
		t := p.next()
		if t.text != "key" || t.quoted {
			return nil, p.errorf(t, "expected a key clause, found %q", t.text)
		}
		name := p.next()
		if name.text == "" || name.punct() {
			return nil, p.errorf(name, "key clause without a name")
		}
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
				return nil, p.errorf(st, "key %q: missing closing brace", name.text)
			}
			val := p.next()
			if val.text == "" || val.punct() {
				return nil, p.errorf(val, "key %q: %s without a value", name.text, st.text)
			}
			switch strings.ToLower(st.text) {
			case "algorithm":
				alg = val.text
			case "secret":
				secret = val.text
			default:
				return nil, p.errorf(st, "key %q: unknown statement %q", name.text, st.text)
			}
			if err := p.expect(";"); err != nil {
				return nil, err
			}
		}
		if err := p.expect(";"); err != nil {
			return nil, err
		}
		if alg == "" {
			return nil, p.errorf(name, "key %q has no algorithm", name.text)
		}
		if secret == "" {
			return nil, p.errorf(name, "key %q has no secret", name.text)
		}
		k, err := NewKey(name.text, alg, secret)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, name.line, err)
		}
		if seen[k.Name] {
			return nil, p.errorf(name, "key %q defined twice", name.text)
		}
		seen[k.Name] = true
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
		if t.text == "" {
			return p.errorf(t, "expected %q, found end of file", s)
		}
		return p.errorf(t, "expected %q, found %q", s, t.text)
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
