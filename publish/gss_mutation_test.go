package publish_test

import (
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/miekg/dns"
)

// tkeyRecorder is a TCP proxy in front of a real server that notes every
// TKEY query and answer passing through (an observer, not a fault).
type tkeyRecorder struct {
	addr string
	// corruptUpdateMAC flips a bit of the MAC of every answer to an
	// UPDATE: a fault, to show the answer's MIC is verified.
	corruptUpdateMAC bool
	mu               sync.Mutex
	seen             []tkeySeen
}

type tkeySeen struct {
	answer bool
	name   string
	mode   uint16
	rcode  int
	err    uint16
}

func startTKEYRecorder(t *testing.T, upstream string, corrupt bool) *tkeyRecorder {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &tkeyRecorder{addr: l.Addr().String(), corruptUpdateMAC: corrupt}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); r.pipe(u, c, false); u.Close() }()
			go func() { defer wg.Done(); r.pipe(c, u, true); c.Close() }()
		}
	}()
	return r
}

// pipe copies framed DNS messages from src to dst, noting TKEY records.
func (r *tkeyRecorder) pipe(dst, src net.Conn, answers bool) {
	for {
		var lb [2]byte
		if _, err := io.ReadFull(src, lb[:]); err != nil {
			return
		}
		msg := make([]byte, binary.BigEndian.Uint16(lb[:]))
		if _, err := io.ReadFull(src, msg); err != nil {
			return
		}
		m := new(dns.Msg)
		if m.Unpack(msg) == nil {
			for _, rr := range append(append(m.Answer, m.Extra...), m.Ns...) {
				if tk, ok := rr.(*dns.TKEY); ok {
					r.mu.Lock()
					r.seen = append(r.seen, tkeySeen{answer: answers, name: tk.Hdr.Name, mode: tk.Mode, rcode: m.Rcode, err: tk.Error})
					r.mu.Unlock()
				}
			}
			if t := m.IsTsig(); answers && r.corruptUpdateMAC && m.Opcode == dns.OpcodeUpdate && t != nil && len(t.MAC) > 1 {
				last := t.MAC[len(t.MAC)-1:]
				if last == "0" {
					last = "1"
				} else {
					last = "0"
				}
				t.MAC = t.MAC[:len(t.MAC)-1] + last
				if b, err := m.Pack(); err == nil {
					msg = b
				}
			}
		}
		if _, err := dst.Write(append(lb[:], msg...)); err != nil {
			return
		}
	}
}

func (r *tkeyRecorder) all() []tkeySeen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]tkeySeen(nil), r.seen...)
}

// TestGSSContextReusedThenDeleted: one GSS-TSIG context per server,
// negotiated once (one TKEY negotiation for two Signs, the same key name)
// and deleted on the server by Close: a TKEY query in mode 5 (RFC 2930
// 4.2) for that key name, which BIND answers without error.
func TestGSSContextReusedThenDeleted(t *testing.T) {
	l := startGSSLab(t)
	rec := startTKEYRecorder(t, l.bind.Addr, false)
	ctx := t.Context()
	g := &publish.GSS{Principal: "admin", Keytab: l.admin, Krb5Conf: l.kdc.Krb5Conf,
		ServerNames: map[string]string{rec.addr: "ns1.gss.example"}}
	name1, _, _, err := g.Sign(ctx, rec.addr)
	if err != nil {
		t.Fatal(err)
	}
	name2, _, _, err := g.Sign(ctx, rec.addr)
	if err != nil {
		t.Fatal(err)
	}
	if name1 != name2 {
		t.Errorf("second Sign negotiated again: key %q then %q", name1, name2)
	}
	negotiations := 0
	for _, s := range rec.all() {
		if !s.answer && s.mode == 3 {
			negotiations++
		}
	}
	if negotiations == 0 || name1 != name2 {
		t.Errorf("%d TKEY negotiation messages for two Signs: %+v", negotiations, rec.all())
	}
	before := len(rec.all())
	if err := g.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	after := rec.all()[before:]
	if len(after) != 2 || after[0].answer || after[0].mode != 5 || dns.CanonicalName(after[0].name) != dns.CanonicalName(name1) ||
		!after[1].answer || after[1].rcode != dns.RcodeSuccess || after[1].err != 0 {
		t.Errorf("Close sent %+v; want a TKEY mode 5 query for %s and an answer without error", after, name1)
	}
}

// TestGSSAnswerMICVerified: the MIC of a GSS-TSIG signed answer is
// verified: an answer whose MAC was altered on the way is reported as
// unverifiable (the update itself applied: BIND got it intact, and the
// zone read back holds it).
func TestGSSAnswerMICVerified(t *testing.T) {
	l := startGSSLab(t)
	rec := startTKEYRecorder(t, l.bind.Addr, true)
	ctx := t.Context()
	g := &publish.GSS{Principal: "admin", Keytab: l.admin, Krb5Conf: l.kdc.Krb5Conf,
		ServerNames: map[string]string{rec.addr: "ns1.gss.example"}}
	cl := publish.NewClient(publish.Options{Signer: g})
	defer cl.Close()
	base := testserver.Records(t, l.bind.Addr, "gss.example")
	targets := []publish.Primary{{Zone: "gss.example", Server: rec.addr}}
	rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, "", publish.Record{Target: "kms1.gss.example", Port: 1688, TTL: 3600}))
	if rs[0].Err != nil || rs[0].AnswerSigned || rs[0].Unverifiable == nil || !strings.Contains(rs[0].Unverifiable.Error(), "does not verify") {
		t.Errorf("altered answer MAC: AnswerSigned %v, Unverifiable %v, Err %v", rs[0].AnswerSigned, rs[0].Unverifiable, rs[0].Err)
	}
	assertZone(t, l.bind.Addr, "gss.example", with(base, srvText("_vlmcs._tcp.gss.example.", 3600, 1688, "kms1.gss.example.")))
}
