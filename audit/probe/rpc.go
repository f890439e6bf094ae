package probe

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// DCE/RPC connection-oriented PDUs (The Open Group C706, chapter 12, and
// MS-RPCE 2.2.2): just enough to ask a server whether it offers the KMS
// activation interface. Only bind is ever sent: never a request, which
// would be an activation attempt and change the host's client count.

// UUID is a DCE UUID in its string byte order ("51c82175-844e-...").
type UUID [16]byte

// ParseUUID parses the canonical 8-4-4-4-12 form.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("uuid %q: not in 8-4-4-4-12 form", s)
	}
	hex := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	for i := 0; i < 16; i++ {
		hi, ok1 := unhex(hex[2*i])
		lo, ok2 := unhex(hex[2*i+1])
		if !ok1 || !ok2 {
			return u, fmt.Errorf("uuid %q: not hexadecimal", s)
		}
		u[i] = hi<<4 | lo
	}
	return u, nil
}

func mustUUID(s string) UUID {
	u, err := ParseUUID(s)
	if err != nil {
		panic(err)
	}
	return u
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (u UUID) String() string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// appendLE appends u as NDR encodes it with little-endian integers: the
// first three fields (32, 16, 16 bits) byte-swapped, the rest as is.
func (u UUID) appendLE(b []byte) []byte {
	b = append(b, u[3], u[2], u[1], u[0], u[5], u[4], u[7], u[6])
	return append(b, u[8:]...)
}

// readUUID reads an NDR UUID in the given byte order.
func readUUID(b []byte, bo binary.ByteOrder) UUID {
	var u UUID
	binary.BigEndian.PutUint32(u[0:], bo.Uint32(b[0:]))
	binary.BigEndian.PutUint16(u[4:], bo.Uint16(b[4:]))
	binary.BigEndian.PutUint16(u[6:], bo.Uint16(b[6:]))
	copy(u[8:], b[8:16])
	return u
}

// SyntaxID is an interface or transfer syntax: a UUID and a version
// (major in the low 16 bits, minor in the high 16 bits on the wire).
type SyntaxID struct {
	UUID         UUID
	Major, Minor uint16
}

// KMS is the KMS activation interface, version 1.0.
var KMS = SyntaxID{UUID: mustUUID("51c82175-844e-4750-b0d8-ec255555bc06"), Major: 1}

// NDR is the NDR transfer syntax, version 2.0.
var NDR = SyntaxID{UUID: mustUUID("8a885d04-1ceb-11c9-9fe8-08002b104860"), Major: 2}

// PDU types (C706 12.6.4).
const (
	ptypeBind    = 11
	ptypeBindAck = 12
	ptypeBindNak = 13
)

const (
	pfcFirstFrag = 0x01
	pfcLastFrag  = 0x02
	headerLen    = 16
	maxFrag      = 5840
)

// BindPDU returns a bind PDU proposing one presentation context (id 0)
// for abstract syntax iface with transfer syntax NDR, little-endian.
func BindPDU(callID uint32, iface SyntaxID) []byte {
	b := make([]byte, 0, 72)
	b = append(b, 5, 0, ptypeBind, pfcFirstFrag|pfcLastFrag)
	b = append(b, 0x10, 0, 0, 0)               // data representation: little-endian, ASCII, IEEE
	b = binary.LittleEndian.AppendUint16(b, 0) // frag_length, set below
	b = binary.LittleEndian.AppendUint16(b, 0) // auth_length
	b = binary.LittleEndian.AppendUint32(b, callID)
	b = binary.LittleEndian.AppendUint16(b, maxFrag) // max_xmit_frag
	b = binary.LittleEndian.AppendUint16(b, maxFrag) // max_recv_frag
	b = binary.LittleEndian.AppendUint32(b, 0)       // assoc_group_id: new
	b = append(b, 1, 0, 0, 0)                        // n_context_elem, reserved
	b = binary.LittleEndian.AppendUint16(b, 0)       // p_cont_id
	b = append(b, 1, 0)                              // n_transfer_syn, reserved
	b = appendSyntax(b, iface)
	b = appendSyntax(b, NDR)
	binary.LittleEndian.PutUint16(b[8:], uint16(len(b)))
	return b
}

func appendSyntax(b []byte, s SyntaxID) []byte {
	b = s.UUID.appendLE(b)
	b = binary.LittleEndian.AppendUint16(b, s.Major)
	return binary.LittleEndian.AppendUint16(b, s.Minor)
}

// BindReply is what a server answered to a bind.
type BindReply struct {
	// Type is the PDU type: 12 bind_ack, 13 bind_nak, or another.
	Type byte
	// CallID echoes the bind's call id.
	CallID uint32
	// Accepted: a bind_ack whose first result accepts the context with the
	// NDR transfer syntax.
	Accepted bool
	// Result and Reason of the first context (bind_ack), or the reject
	// reason (bind_nak).
	Result, Reason uint16
	// SecondaryAddr is the bind_ack's secondary address (the port the
	// server uses), for messages.
	SecondaryAddr string
}

// Errors from ParseBindReply.
var (
	ErrNotRPC    = errors.New("not a DCE/RPC connection-oriented PDU")
	ErrShort     = errors.New("truncated DCE/RPC PDU")
	ErrMalformed = errors.New("malformed DCE/RPC PDU")
)

// FragLength returns the length of the PDU whose 16-byte header is h.
func FragLength(h []byte) (int, error) {
	if len(h) < headerLen {
		return 0, ErrShort
	}
	if h[0] != 5 || h[1] > 1 {
		return 0, fmt.Errorf("%w (version %d.%d)", ErrNotRPC, h[0], h[1])
	}
	bo := order(h)
	n := int(bo.Uint16(h[8:]))
	if n < headerLen {
		return 0, fmt.Errorf("%w: fragment length %d", ErrMalformed, n)
	}
	return n, nil
}

func order(h []byte) binary.ByteOrder {
	if h[4]&0xF0 == 0 {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// ParseBindReply parses one complete PDU sent in answer to a bind.
func ParseBindReply(p []byte) (BindReply, error) {
	n, err := FragLength(p)
	if err != nil {
		return BindReply{}, err
	}
	if len(p) < n {
		return BindReply{}, ErrShort
	}
	p = p[:n]
	bo := order(p)
	r := BindReply{Type: p[2], CallID: bo.Uint32(p[12:])}
	switch r.Type {
	case ptypeBindNak:
		if len(p) < headerLen+2 {
			return r, ErrShort
		}
		r.Reason = bo.Uint16(p[headerLen:])
		return r, nil
	case ptypeBindAck:
	default:
		return r, nil
	}
	// bind_ack body: max_xmit_frag, max_recv_frag, assoc_group_id,
	// sec_addr (length-prefixed), padding to 4, result list.
	off := headerLen + 8
	if len(p) < off+2 {
		return r, ErrShort
	}
	alen := int(bo.Uint16(p[off:]))
	off += 2
	if len(p) < off+alen {
		return r, ErrShort
	}
	addr := p[off : off+alen]
	for len(addr) > 0 && addr[len(addr)-1] == 0 {
		addr = addr[:len(addr)-1]
	}
	r.SecondaryAddr = string(addr)
	off += alen
	off = (off + 3) &^ 3
	if len(p) < off+4 {
		return r, ErrShort
	}
	nres := int(p[off])
	off += 4
	if nres == 0 {
		return r, fmt.Errorf("%w: bind_ack without results", ErrMalformed)
	}
	if len(p) < off+24 {
		return r, ErrShort
	}
	r.Result = bo.Uint16(p[off:])
	r.Reason = bo.Uint16(p[off+2:])
	ts := SyntaxID{UUID: readUUID(p[off+4:], bo), Major: bo.Uint16(p[off+20:]), Minor: bo.Uint16(p[off+22:])}
	r.Accepted = r.Result == 0 && ts == NDR
	return r, nil
}
