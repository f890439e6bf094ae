package regfile

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrOddUTF16 is the error of UTF-16 text of an odd number of bytes.
var ErrOddUTF16 = errors.New("UTF-16 text of an odd number of bytes")

// Text returns a reader of r's text in UTF-8, buffered with size bytes, as
// Windows tools write text files: a UTF-8 byte order mark (Notepad) is
// dropped, and text with a UTF-16 one (PowerShell 5.1 ">", Notepad
// "Unicode") is decoded as it is read, as unicode/utf16.Decode does (an
// unpaired surrogate is U+FFFD). Other input is read as it is, without a
// copy.
func Text(r io.Reader, size int) *bufio.Reader {
	br := bufio.NewReaderSize(r, size)
	b, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		big := b[0] == 0xFE
		br.Discard(2)
		return bufio.NewReaderSize(&utf16Reader{r: br, big: big}, size)
	}
	return br
}

// utf16Reader decodes UTF-16 (without its byte order mark) into UTF-8.
type utf16Reader struct {
	r    *bufio.Reader
	big  bool
	out  []byte
	err  error
	next rune // a unit read ahead that was not a low surrogate; -1 when none
	have bool
}

// unit reads one UTF-16 code unit.
func (u *utf16Reader) unit() (rune, error) {
	if u.have {
		u.have = false
		return u.next, nil
	}
	var b [2]byte
	if _, err := io.ReadFull(u.r, b[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			err = ErrOddUTF16
		}
		return 0, err
	}
	if u.big {
		return rune(b[0])<<8 | rune(b[1]), nil
	}
	return rune(b[1])<<8 | rune(b[0]), nil
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) < len(p) && len(u.out) < 4096 && u.err == nil {
		c, err := u.unit()
		if err != nil {
			u.err = err
			break
		}
		if utf16.IsSurrogate(c) {
			switch c2, err := u.unit(); {
			case err != nil:
				if err != io.EOF {
					u.err = err
				}
				c = utf8.RuneError
			case c < 0xDC00 && c2 >= 0xDC00 && c2 < 0xE000:
				c = utf16.DecodeRune(c, c2)
			default: // unpaired: U+FFFD, and c2 is read again
				c, u.next, u.have = utf8.RuneError, c2, true
			}
		}
		u.out = utf8.AppendRune(u.out, c)
	}
	if len(u.out) == 0 {
		return 0, u.err
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	if len(u.out) == 0 {
		u.out = u.out[:0:cap(u.out)]
	}
	return n, nil
}
