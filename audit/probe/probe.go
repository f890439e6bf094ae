// Package probe checks whether a KMS host answers: it connects to the
// host's port and sends one DCE/RPC bind for the KMS activation interface
// (UUID 51c82175-844e-4750-b0d8-ec255555bc06 v1.0, NDR v2). A bind_ack that
// accepts the context means a KMS service answers. No activation request
// is ever sent.
package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// Status is the outcome of a probe.
type Status string

// Outcomes.
const (
	// StatusKMS: the port accepted a bind for the KMS interface.
	StatusKMS Status = "kms"
	// StatusRefused: nothing listens on the port (TCP RST).
	StatusRefused Status = "refused"
	// StatusTimeout: no TCP connection within the timeout.
	StatusTimeout Status = "timeout"
	// StatusUnreachable: no route to the host, or another network error.
	StatusUnreachable Status = "unreachable"
	// StatusNotKMS: TCP connects, but the bind was rejected, answered with
	// something that is not DCE/RPC, or not answered.
	StatusNotKMS Status = "not-kms"
	// StatusCancelled: the caller's context ended (Ctrl-C, SIGTERM, its
	// own deadline) before the probe had an answer: nothing is known
	// about the host, and this is no finding about it.
	StatusCancelled Status = "cancelled"
)

// Result of one probe.
type Result struct {
	Addr    netip.AddrPort
	Status  Status
	Detail  string
	Elapsed time.Duration
}

// Prober probes KMS hosts.
type Prober struct {
	// Timeout bounds the whole probe: connecting and the bind's answer.
	Timeout time.Duration
}

// DefaultTimeout is used when Prober.Timeout is zero.
const DefaultTimeout = 3 * time.Second

// Probe connects to addr and asks for the KMS interface.
func (p Prober) Probe(ctx context.Context, addr netip.AddrPort) Result {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	start := time.Now()
	res := Result{Addr: addr}
	parent := ctx
	done := func(s Status, format string, args ...any) Result {
		res.Status, res.Detail, res.Elapsed = s, fmt.Sprintf(format, args...), time.Since(start)
		if s != StatusKMS && parent.Err() != nil {
			// The caller gave up, not the host: whatever the connection
			// saw (a deadline, a closed socket) says nothing about it.
			res.Status, res.Detail = StatusCancelled, fmt.Sprintf("interrupted after %v, before the host answered", res.Elapsed.Round(time.Millisecond))
		}
		return res
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			return done(StatusRefused, "connection refused: nothing listens on port %d", addr.Port())
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
			return done(StatusTimeout, "no TCP connection within %v (filtered, or the host is down)", timeout)
		}
		return done(StatusUnreachable, "%v", err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	callID := rand.Uint32()
	if _, err := conn.Write(BindPDU(callID, KMS)); err != nil {
		return done(StatusNotKMS, "connected, but the bind could not be sent: %v", err)
	}
	hdr := make([]byte, headerLen)
	if n, err := io.ReadFull(conn, hdr); err != nil {
		switch {
		case isTimeout(err):
			return done(StatusNotKMS, "connected, but no answer to the RPC bind within %v", timeout)
		case n == 0:
			return done(StatusNotKMS, "connected, but the connection was closed without an answer to the RPC bind")
		}
		return done(StatusNotKMS, "answered %d bytes that are not a DCE/RPC PDU", n)
	}
	n, err := FragLength(hdr)
	if err != nil {
		return done(StatusNotKMS, "answered something that is not DCE/RPC (%x...)", hdr[:8])
	}
	pdu := make([]byte, n)
	copy(pdu, hdr)
	if _, err := io.ReadFull(conn, pdu[headerLen:]); err != nil {
		return done(StatusNotKMS, "answered a truncated DCE/RPC PDU: %v", err)
	}
	r, err := ParseBindReply(pdu)
	switch {
	case err != nil:
		return done(StatusNotKMS, "answered a malformed DCE/RPC PDU: %v", err)
	case r.CallID != callID:
		return done(StatusNotKMS, "answered a DCE/RPC PDU for another call")
	case r.Type == ptypeBindNak:
		return done(StatusNotKMS, "an RPC server rejected the bind (bind_nak, reason %d): not a KMS host", r.Reason)
	case r.Type != ptypeBindAck:
		return done(StatusNotKMS, "an RPC server answered PDU type %d instead of bind_ack", r.Type)
	case !r.Accepted:
		return done(StatusNotKMS, "an RPC server does not offer the KMS interface (result %d, reason %d)", r.Result, r.Reason)
	}
	return done(StatusKMS, "KMS interface accepted")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
