package zone_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/kmsdns/kmsdns/zone"
)

const (
	mutKeyName   = "xfr-key."
	mutSecret    = "c2VjcmV0LWtleS1mb3ItdHJhbnNmZXItdGVzdHMtMTI="
	mutBadSecret = "b3RoZXIta2V5LW5vdC10aGUtb25lLXdlLWFncmVlZC0x"
)

// signedMsg says how the server signs one message of its answer.
type signedMsg struct {
	rrs    []string
	secret string        // mutSecret unless set
	skew   time.Duration // added to the time signed
	name   string        // key name, mutKeyName unless set
	alg    string        // algorithm, hmac-sha256 unless set
}

// tsigAXFRServer answers a signed AXFR with msgs, each signed with TSIG as
// RFC 8945 5.3.1 says: the first over the request MAC and all variables,
// the others over the previous MAC and the timers only.
func tsigAXFRServer(t *testing.T, msgs []signedMsg) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		var lb [2]byte
		if _, err := io.ReadFull(c, lb[:]); err != nil {
			return
		}
		b := make([]byte, binary.BigEndian.Uint16(lb[:]))
		q := new(dns.Msg)
		if _, err := io.ReadFull(c, b); err != nil || q.Unpack(b) != nil || q.IsTsig() == nil {
			return
		}
		prev := q.IsTsig().MAC
		for i, sm := range msgs {
			m := new(dns.Msg)
			m.SetReply(q)
			m.Extra = nil
			for _, s := range sm.rrs {
				rr, err := dns.NewRR(s)
				if err != nil {
					panic(err)
				}
				m.Answer = append(m.Answer, rr)
			}
			name, alg := sm.name, sm.alg
			if name == "" {
				name = mutKeyName
			}
			if alg == "" {
				alg = dns.HmacSHA256
			}
			m.SetTsig(name, alg, 300, time.Now().Add(sm.skew).Unix())
			secret := sm.secret
			if secret == "" {
				secret = mutSecret
			}
			wire, mac, err := dns.TsigGenerate(m, secret, prev, i > 0)
			if err != nil {
				panic(err)
			}
			prev = mac
			c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(wire))), wire...))
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String()
}

// TestTransferTSIGEveryMessage: every message of a signed answer is
// verified, MAC and time, not only the first (issue 12).
func TestTransferTSIGEveryMessage(t *testing.T) {
	key, err := zone.NewKey(mutKeyName, "hmac-sha256", mutSecret)
	if err != nil {
		t.Fatal(err)
	}
	const (
		soa  = "s.example. 60 IN SOA ns hm 5 1 1 1 1"
		kms  = "_vlmcs._tcp.s.example. 60 IN SRV 0 0 1688 kms1.s.example."
		host = "www.s.example. 60 IN A 127.0.0.1"
	)
	tests := []struct {
		name string
		msgs []signedMsg
		ok   bool
	}{
		{"all signed", []signedMsg{{rrs: []string{soa, kms}}, {rrs: []string{host}}, {rrs: []string{host, soa}}}, true},
		{"second message signed with another secret", []signedMsg{{rrs: []string{soa, kms}}, {rrs: []string{host}, secret: mutBadSecret}, {rrs: []string{soa}}}, false},
		{"last message signed with another secret", []signedMsg{{rrs: []string{soa, kms}}, {rrs: []string{host}}, {rrs: []string{soa}, secret: mutBadSecret}}, false},
		{"second message signed outside the fudge", []signedMsg{{rrs: []string{soa, kms}}, {rrs: []string{host}, skew: -20 * time.Minute}, {rrs: []string{soa}}}, false},
		{"second message under another key name", []signedMsg{{rrs: []string{soa, kms}}, {rrs: []string{host}, name: "other-key."}, {rrs: []string{soa}}}, false},
		{"second message with another algorithm", []signedMsg{{rrs: []string{soa, kms}}, {rrs: []string{host}, alg: dns.HmacSHA512}, {rrs: []string{soa}}}, false},
		{"first message signed outside the fudge", []signedMsg{{rrs: []string{soa, kms}, skew: 20 * time.Minute}, {rrs: []string{soa}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := tsigAXFRServer(t, tc.msgs)
			res, err := zone.Transfer(t.Context(), zone.TransferConfig{Zone: "s.example", Server: addr, Key: key, Timeout: 2 * time.Second})
			var te *zone.TSIGError
			switch {
			case tc.ok && (err != nil || len(res.Records) != 1):
				t.Fatalf("got %v, %v; want one KMS record", res, err)
			case !tc.ok && !errors.As(err, &te):
				t.Fatalf("got %v (error %v); want a *zone.TSIGError", res, err)
			}
		})
	}
}
