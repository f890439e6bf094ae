package zone

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/miekg/dns"
)

// DefaultTimeout is used when a config leaves Timeout at zero.
const DefaultTimeout = 10 * time.Second

// TransferConfig describes one AXFR.
type TransferConfig struct {
	// Zone to transfer.
	Zone string
	// Server is host:port of the server to ask.
	Server string
	// Key signs the request and verifies every answer message when set.
	Key Key
	// Timeout bounds connecting and each wait for the next message (not
	// the whole transfer, which for a large zone takes as long as the
	// server needs). DefaultTimeout when zero.
	Timeout time.Duration
}

// Transfer reads the zone by AXFR (RFC 5936) and keeps only its SOA serial
// and KMS SRV records. Memory does not grow with the zone: each message is
// walked in place and only those records are unpacked. When a key is set,
// every message of the answer must carry a valid TSIG.
func Transfer(ctx context.Context, cfg TransferConfig) (*Result, error) {
	res, err := transferZone(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("zone %s: axfr from %s: %w", dns.CanonicalName(cfg.Zone), cfg.Server, err)
	}
	return res, nil
}

// transferZone is Transfer with errors that do not name zone and server.
func transferZone(ctx context.Context, cfg TransferConfig) (*Result, error) {
	zone := dns.CanonicalName(cfg.Zone)
	res := &Result{Zone: zone, Source: SourceAXFR, Server: cfg.Server}
	if err := transfer(ctx, cfg, zone, res); err != nil {
		return nil, err
	}
	return res, nil
}

func transfer(ctx context.Context, cfg TransferConfig, zone string, res *Result) error {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", cfg.Server)
	if err != nil {
		return netError(err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	q := new(dns.Msg)
	q.SetAxfr(zone)
	var (
		wire []byte
		v    *tsigVerifier
	)
	if !cfg.Key.IsZero() {
		q.SetTsig(cfg.Key.Name, cfg.Key.Algorithm, 300, time.Now().Unix())
		var mac string
		wire, mac, err = dns.TsigGenerateWithProvider(q, cfg.Key.Provider(), "", false)
		if err != nil {
			return fmt.Errorf("signing the request with key %s: %w", cfg.Key, err)
		}
		if v, err = newTSIGVerifier(cfg.Key, mac); err != nil {
			return err
		}
	} else if wire, err = q.Pack(); err != nil {
		return err
	}
	out := make([]byte, 2+len(wire))
	binary.BigEndian.PutUint16(out, uint16(len(wire)))
	copy(out[2:], wire)
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write(out); err != nil {
		return ctxOr(ctx, netError(err))
	}

	x := &xfrState{zone: zone, id: q.Id, v: v, res: res}
	br := bufio.NewReaderSize(conn, 64<<10)
	buf := make([]byte, dns.MaxMsgSize)
	for !x.done {
		conn.SetReadDeadline(time.Now().Add(timeout))
		var lenb [2]byte
		if _, err := io.ReadFull(br, lenb[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				if x.messages == 0 {
					return fmt.Errorf("%w: the server closed the connection without answering", ErrTransferRefused)
				}
				return fmt.Errorf("%w (connection closed after %d records)", ErrTruncated, res.Seen)
			}
			return ctxOr(ctx, netError(err))
		}
		n := int(binary.BigEndian.Uint16(lenb[:]))
		msg := buf[:n]
		if _, err := io.ReadFull(br, msg); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("%w (connection closed inside a message after %d records)", ErrTruncated, res.Seen)
			}
			return ctxOr(ctx, netError(err))
		}
		if err := x.message(msg); err != nil {
			return err
		}
	}
	return nil
}

// xfrState follows an AXFR answer across its messages.
type xfrState struct {
	zone     string
	id       uint16
	v        *tsigVerifier
	res      *Result
	messages int
	soas     int
	done     bool
}

func (x *xfrState) message(msg []byte) error {
	h, err := parseHeader(msg)
	if err != nil {
		return err
	}
	if h.id != x.id || h.bits&(1<<15) == 0 {
		return fmt.Errorf("malformed answer: id %d does not match query id %d", h.id, x.id)
	}
	if rc := h.rcode(); rc != dns.RcodeSuccess {
		return x.rcodeError(msg, rc)
	}
	off, err := skipQuestions(msg, h)
	if err != nil {
		return err
	}
	first := x.messages == 0
	x.messages++
	if first && h.an == 0 {
		return fmt.Errorf("%w: the server sent an empty answer", ErrTransferRefused)
	}
	total := h.an + h.ns + h.ar
	tsigOff := -1
	var sig *dns.TSIG
	for i := 0; i < total; i++ {
		rr, err := walkRR(msg, off)
		if err != nil {
			return err
		}
		if i >= h.an {
			if rr.typ == dns.TypeTSIG {
				if i != total-1 {
					return errors.New("malformed answer: TSIG is not the last record")
				}
				t, _, err := dns.UnpackRR(msg, rr.start)
				if err != nil {
					return err
				}
				tsigOff, sig = rr.start, t.(*dns.TSIG)
			}
			off = rr.end
			continue
		}
		if x.soas == 2 {
			return errors.New("malformed answer: records after the closing SOA")
		}
		switch {
		case rr.typ == dns.TypeSOA:
			x.soas++
			if x.soas == 1 {
				s, _, err := dns.UnpackRR(msg, rr.start)
				if err != nil {
					return err
				}
				soa := s.(*dns.SOA)
				if dns.CanonicalName(soa.Hdr.Name) != x.zone {
					return fmt.Errorf("malformed answer: first SOA is for %s", soa.Hdr.Name)
				}
				x.res.Serial, x.res.HasSerial = soa.Serial, true
				x.res.Seen++
			}
		case x.soas == 0:
			return errors.New("malformed answer: the transfer does not start with the SOA")
		case rr.kms && rr.typ == dns.TypeSRV && rr.class == dns.ClassINET:
			s, _, err := dns.UnpackRR(msg, rr.start)
			if err != nil {
				return err
			}
			x.res.Records = append(x.res.Records, recordFromSRV(x.zone, s.(*dns.SRV)))
			x.res.Seen++
		default:
			x.res.Seen++
		}
		off = rr.end
	}
	if x.v != nil {
		if sig == nil {
			return &TSIGError{Key: x.v.key.Name, Detail: fmt.Sprintf("message %d of the answer is not signed", x.messages)}
		}
		if err := x.v.verify(msg, tsigOff, sig); err != nil {
			return err
		}
	}
	x.done = x.soas == 2
	return nil
}

// rcodeError explains an error answer, with the TSIG error when there is one.
func (x *xfrState) rcodeError(msg []byte, rc int) error {
	m := new(dns.Msg)
	if err := m.Unpack(msg); err == nil {
		if t := m.IsTsig(); t != nil && t.Error != 0 {
			return &TSIGError{Code: int(t.Error), Key: t.Hdr.Name}
		}
	}
	if rc == dns.RcodeNotAuth && x.v != nil {
		return &TSIGError{Key: x.v.key.Name, Detail: "the server answered NOTAUTH without a TSIG record: it does not accept this key for the zone"}
	}
	return &RcodeError{Rcode: rc}
}

// netError maps timeouts to ErrTimeout.
func netError(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	}
	return err
}

// ctxOr prefers the context's error when it is done.
func ctxOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
