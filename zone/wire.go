package zone

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/miekg/dns"
)

// This file reads DNS messages without unpacking them: a zone transfer is
// mostly records the audit does not need, so each resource record is
// walked by its owner name and header, and only SOA, KMS SRV and TSIG
// records are unpacked.

const headerLen = 12

var errShort = fmt.Errorf("%w: truncated record", ErrMalformed)

type header struct {
	id, bits       uint16
	qd, an, ns, ar int
}

func (h header) rcode() int { return int(h.bits & 0xF) }

func parseHeader(msg []byte) (header, error) {
	if len(msg) < headerLen {
		return header{}, fmt.Errorf("%w: short header", ErrMalformed)
	}
	return header{
		id:   binary.BigEndian.Uint16(msg[0:]),
		bits: binary.BigEndian.Uint16(msg[2:]),
		qd:   int(binary.BigEndian.Uint16(msg[4:])),
		an:   int(binary.BigEndian.Uint16(msg[6:])),
		ns:   int(binary.BigEndian.Uint16(msg[8:])),
		ar:   int(binary.BigEndian.Uint16(msg[10:])),
	}, nil
}

var kmsLabels = [2]string{"_vlmcs", "_tcp"}

// scanName walks the domain name at off. It returns the offset just after
// the name as it is stored at off, and whether the name is
// _vlmcs._tcp.<at least one more label>, compared without regard to case.
// It follows compression pointers only as far as needed to decide.
func scanName(msg []byte, off int) (end int, kms bool, err error) {
	end = -1
	label := 0
	decided := false
	kms = true
	hops := 0
	for {
		if off >= len(msg) {
			return 0, false, errShort
		}
		c := int(msg[off])
		switch c & 0xC0 {
		case 0x00:
			if c == 0 {
				if end < 0 {
					end = off + 1
				}
				if !decided {
					kms = false // fewer than three labels
				}
				return end, kms, nil
			}
			if off+1+c > len(msg) {
				return 0, false, errShort
			}
			if !decided {
				if label < 2 {
					if !equalFoldASCII(msg[off+1:off+1+c], kmsLabels[label]) {
						kms, decided = false, true
					}
				} else {
					decided = true // _vlmcs._tcp. and one more label
				}
			}
			label++
			off += 1 + c
			if decided && end >= 0 {
				return end, kms, nil
			}
		case 0xC0:
			if off+1 >= len(msg) {
				return 0, false, errShort
			}
			if end < 0 {
				end = off + 2
			}
			if decided {
				return end, kms, nil
			}
			hops++
			if hops > 127 {
				return 0, false, fmt.Errorf("%w: compression loop", ErrMalformed)
			}
			off = int(binary.BigEndian.Uint16(msg[off:]) & 0x3FFF)
		default:
			return 0, false, fmt.Errorf("%w: unknown label type", ErrMalformed)
		}
	}
}

// equalFoldASCII compares a wire label with a lower-case ASCII string.
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// rrInfo describes one resource record found by walkRR.
type rrInfo struct {
	start int // offset of the owner name
	end   int // offset after the RDATA
	typ   uint16
	class uint16
	kms   bool // owner is _vlmcs._tcp.*
}

// walkRR reads the header of the resource record at off.
func walkRR(msg []byte, off int) (rrInfo, error) {
	end, kms, err := scanName(msg, off)
	if err != nil {
		return rrInfo{}, err
	}
	if end+10 > len(msg) {
		return rrInfo{}, errShort
	}
	rdlen := int(binary.BigEndian.Uint16(msg[end+8:]))
	if end+10+rdlen > len(msg) {
		return rrInfo{}, errShort
	}
	return rrInfo{
		start: off,
		end:   end + 10 + rdlen,
		typ:   binary.BigEndian.Uint16(msg[end:]),
		class: binary.BigEndian.Uint16(msg[end+2:]),
		kms:   kms,
	}, nil
}

// skipQuestions returns the offset after the question section.
func skipQuestions(msg []byte, h header) (int, error) {
	off := headerLen
	for i := 0; i < h.qd; i++ {
		end, _, err := scanName(msg, off)
		if err != nil {
			return 0, err
		}
		off = end + 4
		if off > len(msg) {
			return 0, errShort
		}
	}
	return off, nil
}

// tsigVerifier checks the TSIG signatures of a multi-message answer
// (RFC 8945 section 5.3.1) without unpacking the messages.
type tsigVerifier struct {
	key      Key
	provider dns.TsigProvider
	prevMAC  []byte // MAC of the request, then of the previous message
	first    bool
	scratch  []byte
	now      func() time.Time
}

func newTSIGVerifier(key Key, requestMAC string) (*tsigVerifier, error) {
	mac, err := hex.DecodeString(requestMAC)
	if err != nil {
		return nil, err
	}
	return &tsigVerifier{key: key, provider: key.Provider(), prevMAC: mac, first: true, now: time.Now}, nil
}

// verify checks msg, whose TSIG record starts at tsigOff and is t.
func (v *tsigVerifier) verify(msg []byte, tsigOff int, t *dns.TSIG) error {
	fail := func(format string, args ...any) error {
		return &TSIGError{Key: v.key.Name, Detail: fmt.Sprintf(format, args...)}
	}
	if dns.CanonicalName(t.Hdr.Name) != v.key.Name {
		return fail("answer signed with key %q", t.Hdr.Name)
	}
	if dns.CanonicalName(t.Algorithm) != v.key.Algorithm {
		return fail("answer signed with algorithm %s", t.Algorithm)
	}
	if t.Error != 0 {
		return &TSIGError{Code: int(t.Error), Key: v.key.Name}
	}
	buf := v.scratch[:0]
	if len(v.prevMAC) > 0 {
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(v.prevMAC)))
		buf = append(buf, v.prevMAC...)
	}
	m := len(buf)
	buf = append(buf, msg[:tsigOff]...)
	binary.BigEndian.PutUint16(buf[m:], t.OrigId)
	binary.BigEndian.PutUint16(buf[m+10:], binary.BigEndian.Uint16(buf[m+10:])-1)
	if !v.first {
		buf = appendUint48(buf, t.TimeSigned)
		buf = binary.BigEndian.AppendUint16(buf, t.Fudge)
	} else {
		var err error
		if buf, err = appendWireName(buf, v.key.Name); err != nil {
			return fail("%v", err)
		}
		buf = binary.BigEndian.AppendUint16(buf, dns.ClassANY)
		buf = binary.BigEndian.AppendUint32(buf, 0)
		if buf, err = appendWireName(buf, v.key.Algorithm); err != nil {
			return fail("%v", err)
		}
		buf = appendUint48(buf, t.TimeSigned)
		buf = binary.BigEndian.AppendUint16(buf, t.Fudge)
		buf = binary.BigEndian.AppendUint16(buf, t.Error)
		other, err := hex.DecodeString(t.OtherData)
		if err != nil {
			return fail("bad other data")
		}
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(other)))
		buf = append(buf, other...)
	}
	v.scratch = buf
	t.Hdr.Name = v.key.Name
	if err := v.provider.Verify(buf, t); err != nil {
		return fail("signature does not verify (%v)", err)
	}
	now := uint64(v.now().Unix())
	skew := now - t.TimeSigned
	if now < t.TimeSigned {
		skew = t.TimeSigned - now
	}
	if skew > uint64(t.Fudge) {
		return fail("answer signed %d s away from our clock, more than the fudge of %d s: check NTP", skew, t.Fudge)
	}
	mac, err := hex.DecodeString(t.MAC)
	if err != nil {
		return fail("bad MAC")
	}
	v.prevMAC = mac
	v.first = false
	return nil
}

func appendUint48(b []byte, v uint64) []byte {
	return append(b, byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendWireName(b []byte, name string) ([]byte, error) {
	var tmp [256]byte
	n, err := dns.PackDomainName(dns.CanonicalName(name), tmp[:], 0, nil, false)
	if err != nil {
		return b, err
	}
	return append(b, tmp[:n]...), nil
}
