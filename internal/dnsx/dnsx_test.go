package dnsx

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestCheckHost(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"kms1.contoso.com", "kms1.contoso.com.", true},
		{" KMS1.Contoso.COM. ", "kms1.contoso.com.", true},
		{"a-b.c9.example", "a-b.c9.example.", true},
		{"kms1", "", false}, // a single label is not an SRV target
		{"kms1.", "", false},
		{"", "", false},
		{"kms_1.contoso.com", "", false},
		{"-kms.contoso.com", "", false},
		{"kms-.contoso.com", "", false},
		{"kms..contoso.com", "", false},
		{"k\u00e9ms.contoso.com", "", false},
		{string(make([]byte, 64)) + ".com", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := CheckHost(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("CheckHost(%q) = %q, %v", tc.in, got, err)
			}
			if err != nil && !errors.Is(err, ErrHostName) {
				t.Errorf("%v does not match ErrHostName", err)
			}
		})
	}
}

// serve answers on UDP and TCP of one loopback port with h.
func serve(t *testing.T, h dns.HandlerFunc) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		t.Skipf("no tcp port beside udp: %v", err)
	}
	for _, s := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: l, Handler: h}} {
		started := make(chan struct{})
		s.NotifyStartedFunc = func() { close(started) }
		go s.ActivateAndServe()
		<-started
		t.Cleanup(func() { s.Shutdown() })
	}
	return pc.LocalAddr().String()
}

// TestAskTruncated: a truncated UDP answer is asked again over TCP; with
// TCPOnNoAnswer a silent UDP side is too, without it the question times out.
func TestAskTruncated(t *testing.T) {
	addr := serve(t, func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		udp := w.LocalAddr().Network() == "udp"
		switch r.Question[0].Name {
		case "tc.example.":
			if udp {
				m.Truncated = true
			} else {
				m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "tc.example.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(127, 0, 0, 1)}}
			}
		case "tcponly.example.":
			if udp {
				return // no answer over UDP
			}
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})
	a, err := Query{Server: addr, Timeout: time.Second}.Ask(t.Context(), "tc.example.", dns.TypeA)
	if err != nil || a.Truncated || len(a.Answer) != 1 {
		t.Errorf("truncated: %v %v", a, err)
	}
	a, err = Query{Server: addr, Timeout: 300 * time.Millisecond, TCPOnNoAnswer: true}.Ask(t.Context(), "tcponly.example.", dns.TypeA)
	if err != nil || a.Rcode != dns.RcodeNameError {
		t.Errorf("tcp only, TCPOnNoAnswer: %v %v", a, err)
	}
	if _, err = (Query{Server: addr, Timeout: 300 * time.Millisecond}).Ask(t.Context(), "tcponly.example.", dns.TypeA); !errors.Is(err, ErrTimeout) {
		t.Errorf("tcp only: %v, want a timeout", err)
	}
}

func TestNames(t *testing.T) {
	if RcodeName(dns.RcodeRefused) != "REFUSED" || RcodeName(dns.RcodeBadSig) != "BADSIG" || RcodeName(4000) != "RCODE4000" {
		t.Error(RcodeName(dns.RcodeRefused), RcodeName(dns.RcodeBadSig), RcodeName(4000))
	}
	for _, c := range []int{dns.RcodeBadSig, dns.RcodeBadKey, dns.RcodeBadTime} {
		if TSIGProblem(c) == "" {
			t.Errorf("%s not explained", RcodeName(c))
		}
	}
	if Timeout(0) != DefaultTimeout || Timeout(time.Second) != time.Second {
		t.Error("defaults")
	}
}

func TestHostPort(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1":          "127.0.0.1:53",
		"127.0.0.1:5353":     "127.0.0.1:5353",
		"::1":                "[::1]:53",
		"[::1]":              "[::1]:53",
		"[::1]:5353":         "[::1]:5353",
		"ns1.contoso.com":    "ns1.contoso.com:53",
		"ns1.contoso.com:54": "ns1.contoso.com:54",
	} {
		if got := HostPort(in, ""); got != want {
			t.Errorf("HostPort(%q) = %q, want %q", in, got, want)
		}
	}
	if got := HostPort("::1", "5353"); got != "[::1]:5353" {
		t.Errorf("HostPort with a port: %q", got)
	}
}
