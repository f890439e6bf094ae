package zone

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/miekg/dns"
)

// TransferConfig describes one AXFR.
type TransferConfig struct {
	// Zone to transfer.
	Zone string
	// Server is host:port of the server to ask.
	Server string
	// Key signs the request and verifies every answer message when set.
	Key Key
	// KeyOrigin says where Key came from ("/etc/kmsdns/xfr.key
	// (--key-file)"), for messages; never the secret.
	KeyOrigin string
	// Timeout bounds connecting and each wait for the next message;
	// 10 s when zero.
	Timeout time.Duration
	// TransferTimeout bounds the whole transfer, however steadily the
	// server sends; DefaultTransferTimeout when zero.
	TransferTimeout time.Duration
	// MaxRecords caps the distinct KMS records kept; DefaultMaxRecords
	// when zero.
	MaxRecords int
	// Aliases keeps the zone's CNAME records (Snapshot.Aliases, at most
	// DefaultMaxAliases) for kmsdns cleanup; off, memory stays flat.
	Aliases bool
}

// Transfer reads the zone by AXFR (RFC 5936) and keeps only its SOA serial
// and KMS SRV records. Memory does not grow with the zone: each message is
// walked in place and only those records are unpacked. When a key is set,
// every message of the answer must carry a valid TSIG. Exact duplicates
// are dropped, records outside the zone are ignored with a Warning, and
// the transfer fails (ErrLimit) when it outlasts TransferTimeout or sends
// more than MaxRecords distinct KMS records.
func Transfer(ctx context.Context, cfg TransferConfig) (*Snapshot, error) {
	res, _, err := transferZone(ctx, cfg)
	if err != nil {
		return nil, transferError(cfg, err)
	}
	return res, nil
}

// transferError names zone and server, and for a refusal or a TSIG
// failure the credentials the request was sent with.
func transferError(cfg TransferConfig, err error) error {
	zone, server := dns.CanonicalName(cfg.Zone), cfg.Server
	if errors.Is(err, ErrTSIG) || errors.Is(err, ErrTransferRefused) {
		return fmt.Errorf("zone %s: axfr from %s, %s: %w", zone, server, Credentials(cfg.Key, cfg.KeyOrigin), err)
	}
	return fmt.Errorf("zone %s: axfr from %s: %w", zone, server, err)
}

// Credentials describes how a request was signed, for messages: "signed
// with key xfr (hmac-sha256) from FILE", or "sent unsigned" and how to
// give a key. It never includes the secret.
func Credentials(key Key, origin string) string {
	if key.IsZero() {
		return "sent unsigned: no key was given for this zone (add --key-file, or key-file in the config)"
	}
	s := "signed with key " + key.String()
	if origin != "" {
		s += " from " + origin
	}
	return s
}

// transferZone is Transfer with errors that do not name zone and server.
// answered reports whether the server sent any part of an answer: a
// failure before that (no connection, no answer in time) is not a
// malformed transfer.
func transferZone(ctx context.Context, cfg TransferConfig) (res *Snapshot, answered bool, err error) {
	zone := dns.CanonicalName(cfg.Zone)
	res = &Snapshot{Zone: zone, Source: SourceAXFR, Server: cfg.Server}
	x := &xfrState{zone: zone, res: res, keep: newCollector(res, cfg.MaxRecords), cuts: newCutSet(zone), aliases: cfg.Aliases}
	if err := transfer(ctx, cfg, x); err != nil {
		return nil, x.answered, err
	}
	x.keep.finish()
	x.cuts.apply(res)
	res.cuts = *x.cuts
	return res, true, nil
}

// errDeadline is the cause of a transfer stopped by its overall deadline.
var errDeadline = errors.New("transfer deadline")

func transfer(ctx context.Context, cfg TransferConfig, x *xfrState) error {
	timeout := dnsx.Timeout(cfg.Timeout)
	limit := cfg.TransferTimeout
	if limit <= 0 {
		limit = DefaultTransferTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, limit, errDeadline)
	defer cancel()
	// ctxErr explains why the context ended. A read deadline set to the
	// context's deadline may fire a moment before the context ends.
	ctxErr := func() error {
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			<-ctx.Done()
		}
		if context.Cause(ctx) == errDeadline {
			return fmt.Errorf("%w: the transfer took longer than %v (transfer-timeout) and was stopped after %d records", ErrLimit, limit, x.res.Seen)
		}
		return ctx.Err()
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", cfg.Server)
	if err != nil {
		if ctx.Err() != nil {
			return ctxErr()
		}
		return dnsx.NetError(err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	// deadline is now+timeout, or earlier when the context ends first.
	deadline := func() time.Time {
		t := time.Now().Add(timeout)
		if dl, ok := ctx.Deadline(); ok && dl.Before(t) {
			return dl
		}
		return t
	}

	q := new(dns.Msg)
	q.SetAxfr(x.zone)
	x.id = q.Id
	var wire []byte
	if !cfg.Key.IsZero() {
		q.SetTsig(cfg.Key.Name, cfg.Key.Algorithm, 300, time.Now().Unix())
		var mac string
		wire, mac, err = dns.TsigGenerateWithProvider(q, cfg.Key.Provider(), "", false)
		if err != nil {
			return fmt.Errorf("signing the request with key %s: %w", cfg.Key, err)
		}
		if x.v, err = newTSIGVerifier(cfg.Key, mac); err != nil {
			return err
		}
	} else if wire, err = q.Pack(); err != nil {
		return err
	}
	out := make([]byte, 2+len(wire))
	binary.BigEndian.PutUint16(out, uint16(len(wire)))
	copy(out[2:], wire)
	conn.SetDeadline(deadline())
	if ctx.Err() != nil {
		return ctxErr()
	}
	if _, err := conn.Write(out); err != nil {
		if ctx.Err() != nil {
			return ctxErr()
		}
		return dnsx.NetError(err)
	}

	// readErr explains a failed read.
	readErr := func(err error, inside bool) error {
		dl, ok := ctx.Deadline()
		switch {
		case ctx.Err() != nil || ok && !time.Now().Before(dl):
			return ctxErr()
		case inside && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
			return fmt.Errorf("%w (connection closed inside a message after %d records)", ErrTruncated, x.res.Seen)
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			if !x.answered {
				return fmt.Errorf("%w: the server closed the connection without answering", ErrTransferRefused)
			}
			return fmt.Errorf("%w (connection closed after %d records)", ErrTruncated, x.res.Seen)
		}
		err = dnsx.NetError(err)
		if x.answered && errors.Is(err, ErrTimeout) {
			return fmt.Errorf("%w: the server stopped sending for %v in the middle of the transfer, after %d records", ErrTimeout, timeout, x.res.Seen)
		}
		return err
	}
	br := bufio.NewReaderSize(conn, 64<<10)
	buf := make([]byte, dns.MaxMsgSize)
	for !x.done {
		conn.SetReadDeadline(deadline())
		// The context may have ended just before the deadline was set,
		// overriding the one its AfterFunc set.
		if ctx.Err() != nil {
			return ctxErr()
		}
		var lenb [2]byte
		if _, err := io.ReadFull(br, lenb[:]); err != nil {
			return readErr(err, false)
		}
		x.answered = true
		n := int(binary.BigEndian.Uint16(lenb[:]))
		msg := buf[:n]
		if _, err := io.ReadFull(br, msg); err != nil {
			return readErr(err, true)
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
	res      *Snapshot
	keep     *collector
	cuts     *cutSet // owners of NS records below the apex
	aliases  bool    // keep CNAME records
	answered bool    // some of an answer was received
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
		return fmt.Errorf("%w: id %d does not match query id %d", ErrMalformed, h.id, x.id)
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
					return fmt.Errorf("%w: TSIG is not the last record", ErrMalformed)
				}
				t, _, err := dns.UnpackRR(msg, rr.start)
				if err != nil {
					return fmt.Errorf("%w: %v", ErrMalformed, err)
				}
				tsigOff, sig = rr.start, t.(*dns.TSIG)
			}
			off = rr.end
			continue
		}
		if x.soas == 2 {
			return fmt.Errorf("%w: records after the closing SOA", ErrMalformed)
		}
		switch {
		case rr.typ == dns.TypeSOA:
			x.soas++
			if x.soas == 1 {
				s, _, err := dns.UnpackRR(msg, rr.start)
				if err != nil {
					return fmt.Errorf("%w: %v", ErrMalformed, err)
				}
				soa, ok := s.(*dns.SOA)
				if !ok {
					return fmt.Errorf("%w: bad SOA record", ErrMalformed)
				}
				if dns.CanonicalName(soa.Hdr.Name) != x.zone {
					return fmt.Errorf("%w: first SOA is for %s", ErrMalformed, soa.Hdr.Name)
				}
				x.res.Serial, x.res.HasSerial = soa.Serial, true
				x.res.Seen++
			}
		case x.soas == 0:
			return fmt.Errorf("%w: the transfer does not start with the SOA", ErrMalformed)
		case rr.kms && rr.typ == dns.TypeSRV && rr.class == dns.ClassINET:
			s, _, err := dns.UnpackRR(msg, rr.start)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrMalformed, err)
			}
			srv, ok := s.(*dns.SRV)
			if !ok {
				return fmt.Errorf("%w: bad SRV record", ErrMalformed)
			}
			x.res.Seen++
			if err := x.keep.add(recordFromSRV(x.zone, srv)); err != nil {
				return err
			}
		case rr.typ == dns.TypeNS && rr.class == dns.ClassINET:
			owner, _, err := dns.UnpackDomainName(msg, rr.start)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrMalformed, err)
			}
			x.cuts.add(owner)
			x.res.Seen++
		case x.aliases && rr.typ == dns.TypeCNAME && rr.class == dns.ClassINET:
			c, _, err := dns.UnpackRR(msg, rr.start)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrMalformed, err)
			}
			if cn, ok := c.(*dns.CNAME); ok {
				x.res.addAlias(cn)
			}
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
	if x.messages > 0 {
		// Not a refusal: the transfer had begun.
		return fmt.Errorf("%w: message %d of the answer has rcode %s", ErrMalformed, x.messages+1, dnsx.RcodeName(rc))
	}
	return &RcodeError{Rcode: rc}
}
