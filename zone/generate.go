package zone

import (
	"fmt"
	"strconv"
	"strings"
)

// generate expands a BIND $GENERATE directive:
//
//	$GENERATE start-stop[/step] lhs [ttl] [class] type rhs
//
// as named does (BIND 9 ARM, "The $GENERATE Directive"): rhs is one
// token, quoted when it holds spaces ("0 0 1688 kms$"); several unquoted
// tokens are also accepted, as miekg/dns reads them. In lhs and rhs, $ is
// the iterator, ${offset[,width[,base]]} shifts and formats it (base d, o,
// x, X, or n / N for nibbles: reversed hexadecimal digits, one per label,
// the width counting the dots), $$ and \$ are a literal dollar sign.
// Errors and warnings name the line of the directive.
func (fr *fileReader) generate(e *entry, fs *fileState) error {
	args := e.toks[1:]
	if len(args) < 4 {
		return fr.errorf(fs, e.line, "$GENERATE: expected a range, an owner, a type and a right-hand side")
	}
	start, stop, step, err := generateRange(args[0].raw)
	if err != nil {
		return fr.errorf(fs, e.line, "$GENERATE: %v", err)
	}
	lhs := args[1].unquoted()
	rest := args[2:]
	i := 0
	for ; i < len(rest) && i < 2; i++ {
		w := rest[i].raw
		if !(w != "" && w[0] >= '0' && w[0] <= '9') && !isClass(w) {
			break
		}
	}
	if i+1 >= len(rest) {
		return fr.errorf(fs, e.line, "$GENERATE: expected a type and a right-hand side")
	}
	head := rest[:i+1] // [ttl] [class] type
	var rhs string
	if len(rest) == i+2 {
		rhs = rest[i+1].unquoted()
	} else {
		raws := make([]string, 0, len(rest)-i-1)
		for _, t := range rest[i+1:] {
			raws = append(raws, t.raw)
		}
		rhs = strings.Join(raws, " ")
	}
	// Check the templates once, so that an error is not repeated per value.
	if _, err := substitute(lhs, start); err != nil {
		return fr.errorf(fs, e.line, "$GENERATE owner: %v", err)
	}
	if _, err := substitute(rhs, start); err != nil {
		return fr.errorf(fs, e.line, "$GENERATE right-hand side: %v", err)
	}
	for v := start; v <= stop; v += step {
		owner, err := substitute(lhs, v)
		if err != nil {
			return fr.errorf(fs, e.line, "$GENERATE value %d: owner: %v", v, err)
		}
		data, err := substitute(rhs, v)
		if err != nil {
			return fr.errorf(fs, e.line, "$GENERATE value %d: right-hand side: %v", v, err)
		}
		toks := make([]token, 0, len(head)+2)
		toks = append(toks, token{raw: owner})
		toks = append(toks, head...)
		toks = append(toks, token{raw: data})
		if err := fr.record(&entry{line: e.line, toks: toks}, fs, &genIter{value: v}); err != nil {
			return err
		}
	}
	return nil
}

// generateRange reads start-stop[/step]; like named, values stay within
// 0..2^31-1.
func generateRange(s string) (start, stop, step int64, err error) {
	rng, st, hasStep := strings.Cut(s, "/")
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, 0, fmt.Errorf("range %s is not start-stop[/step]", quote(s))
	}
	const max = 1<<31 - 1
	start, err1 := strconv.ParseInt(a, 10, 64)
	stop, err2 := strconv.ParseInt(b, 10, 64)
	step = 1
	var err3 error
	if hasStep {
		step, err3 = strconv.ParseInt(st, 10, 64)
	}
	switch {
	case err1 != nil || err2 != nil || err3 != nil:
		return 0, 0, 0, fmt.Errorf("range %s is not start-stop[/step]", quote(s))
	case start < 0 || stop > max || start > stop:
		return 0, 0, 0, fmt.Errorf("range %s: need 0 <= start <= stop <= %d", quote(s), max)
	case step < 1 || step > max:
		return 0, 0, 0, fmt.Errorf("range %s: step must be 1 to %d", quote(s), max)
	}
	return start, stop, step, nil
}

// substitute replaces the iterator forms of a $GENERATE template with v.
func substitute(tmpl string, v int64) (string, error) {
	var b strings.Builder
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		switch {
		case c == '\\' && i+1 < len(tmpl):
			b.WriteByte(c)
			i++
			b.WriteByte(tmpl[i])
		case c != '$':
			b.WriteByte(c)
		case i+1 < len(tmpl) && tmpl[i+1] == '$':
			b.WriteByte('$')
			i++
		case i+1 < len(tmpl) && tmpl[i+1] == '{':
			end := strings.IndexByte(tmpl[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("${ without }")
			}
			s, err := modifier(tmpl[i+2:i+end], v)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
			i += end
		default:
			b.WriteString(strconv.FormatInt(v, 10))
		}
		if b.Len() > MaxLineLength {
			return "", fmt.Errorf("expands beyond %d bytes: %w", MaxLineLength, ErrTooLong)
		}
	}
	return b.String(), nil
}

// modifier formats v by "offset[,width[,base]]".
func modifier(m string, v int64) (string, error) {
	parts := strings.Split(m, ",")
	if len(parts) > 3 {
		return "", fmt.Errorf("${%s}: expected ${offset[,width[,base]]}", truncate(m))
	}
	off, err := strconv.ParseInt(strings.TrimSpace(parts[0]), 10, 32)
	if err != nil {
		return "", fmt.Errorf("${%s}: offset is not a number", truncate(m))
	}
	width := int64(0)
	if len(parts) > 1 {
		width, err = strconv.ParseInt(strings.TrimSpace(parts[1]), 10, 32)
		if err != nil || width < 0 || width > maxGenerateWidth {
			return "", fmt.Errorf("${%s}: width must be 0 to %d", truncate(m), maxGenerateWidth)
		}
	}
	base := "d"
	if len(parts) > 2 {
		base = strings.TrimSpace(parts[2])
	}
	n := v + off
	w := int(width)
	switch base {
	case "d":
		return fmt.Sprintf("%0*d", w, n), nil
	case "o":
		return fmt.Sprintf("%0*o", w, n), nil
	case "x":
		return fmt.Sprintf("%0*x", w, n), nil
	case "X":
		return fmt.Sprintf("%0*X", w, n), nil
	case "n", "N":
		if n < 0 {
			return "", fmt.Errorf("${%s}: a nibble value cannot be negative", truncate(m))
		}
		return nibbles(uint64(n), w, base == "N"), nil
	}
	return "", fmt.Errorf("${%s}: base must be d, o, x, X, n or N", truncate(m))
}

// nibbles writes v as reversed hexadecimal digits separated by dots, as
// named does: digits go on while the value or the width (which counts
// the dots) lasts, so a width ending on a dot leaves a trailing dot.
func nibbles(v uint64, width int, upper bool) string {
	digits := "0123456789abcdef"
	if upper {
		digits = "0123456789ABCDEF"
	}
	var b strings.Builder
	for {
		b.WriteByte(digits[v&0xf])
		v >>= 4
		if width > 0 {
			width--
		}
		if width > 0 || v != 0 {
			b.WriteByte('.')
			if width > 0 {
				width--
			}
		}
		if v == 0 && width == 0 {
			return b.String()
		}
	}
}
