package publish

import (
	"errors"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

func TestExplainRefusal(t *testing.T) {
	existing := map[string][]zone.Record{"_vlmcs._tcp.site2.corp.example.": {{Name: "_vlmcs._tcp.site2.corp.example.", Target: "kms1.corp.example."}}}
	gss := &GSS{Principal: "KMS2$@CORP.EXAMPLE", Password: "x"}
	for _, tc := range []struct {
		name    string
		signer  Signer
		current map[string][]zone.Record
		rcode   int
		tsigErr int
		owned   bool
	}{
		{"GSS, SERVFAIL on an existing name (Samba)", gss, existing, dns.RcodeServerFailure, 0, true},
		{"GSS, REFUSED on an existing name (Windows)", gss, existing, dns.RcodeRefused, 0, true},
		{"GSS, REFUSED on a new name", gss, map[string][]zone.Record{"_vlmcs._tcp.corp.example.": nil}, dns.RcodeRefused, 0, false},
		{"GSS, NOTAUTH", gss, existing, dns.RcodeNotAuth, 0, false},
		{"GSS, TSIG error", gss, existing, dns.RcodeNotAuth, dns.RcodeBadTime, false},
		{"TSIG key, REFUSED on an existing name", TSIG{}, existing, dns.RcodeRefused, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ue := &UpdateError{Rcode: tc.rcode, TSIGError: tc.tsigErr, Server: "127.0.0.1:53", Zone: "corp.example."}
			err := explainRefusal(&ZonePlan{Zone: "corp.example.", Current: tc.current}, tc.signer, ue)
			var oe *OwnershipError
			if errors.As(err, &oe) != tc.owned {
				t.Fatalf("ownership explanation %v, want %v: %v", !tc.owned, tc.owned, err)
			}
			var got *UpdateError
			if !errors.As(err, &got) || got != ue {
				t.Errorf("the server's refusal is not kept: %v", err)
			}
			if tc.owned && !strings.Contains(err.Error(), "signed as KMS2$@CORP.EXAMPLE:") {
				t.Errorf("the account is not named: %v", err)
			}
		})
	}
}

func TestOwnershipNodeDN(t *testing.T) {
	for _, tc := range []struct{ account, zone, name, want string }{
		{"KMS2$@CORP.CONTOSO.TEST", "corp.contoso.test.", "_vlmcs._tcp.site2.corp.contoso.test.",
			"DC=_vlmcs._tcp.site2,DC=corp.contoso.test,CN=MicrosoftDNS,DC=DomainDnsZones,DC=corp,DC=contoso,DC=test"},
		{"kmsdns@CORP.CONTOSO.COM", "emea.corp.contoso.com.", "_vlmcs._tcp.emea.corp.contoso.com",
			"DC=_vlmcs._tcp,DC=emea.corp.contoso.com,CN=MicrosoftDNS,DC=DomainDnsZones,DC=corp,DC=contoso,DC=com"},
	} {
		e := &OwnershipError{UpdateError: &UpdateError{Zone: tc.zone}, Account: tc.account}
		if got := e.NodeDN(tc.name); got != tc.want {
			t.Errorf("NodeDN(%s) in %s as %s = %s, want %s", tc.name, tc.zone, tc.account, got, tc.want)
		}
	}
}
