package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// TestPublishGSSCLI: kmsdns publish and unpublish with GSS-TSIG from a
// keytab, against an MIT KDC and a BIND with tkey-gssapi-keytab, the
// server given by address and its name taken from --server-name or from
// the zone's SOA MNAME.
func TestPublishGSSCLI(t *testing.T) {
	kdc := testserver.StartKDC(t, "corp.example")
	dnsKeytab := kdc.AddPrincipal(t, "DNS/ns1.corp.example")
	adminKeytab := kdc.AddPrincipal(t, "kmsdns")
	bind := testserver.StartBIND(t, testserver.BINDConfig{
		Env:     append(kdc.Env(), "KRB5RCACHEDIR="+t.TempDir()),
		Options: fmt.Sprintf("tkey-gssapi-keytab %q;", dnsKeytab),
		Zones: []testserver.Zone{{Name: "corp.example", Transfer: "any;", Extra: "update-policy { grant kmsdns@CORP.EXAMPLE zonesub SRV; };",
			Content: "$ORIGIN corp.example.\n$TTL 300\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n"}},
	})
	gss := []string{"--zone", "corp.example", "--server", bind.Addr, "--keytab", adminKeytab, "--principal", "kmsdns", "--krb5-conf", kdc.Krb5Conf}

	out, errOut, code := run(t, append([]string{"publish", "--host", "kms1.corp.example", "--server-name", "ns1.corp.example"}, gss...)...)
	if code != exitClean || !strings.Contains(out, "added") {
		t.Fatalf("publish: exit %d\n%s%s", code, out, errOut)
	}
	if got := kmsRecords(t, bind.Addr, "corp.example"); len(got) != 1 || !strings.Contains(got[0], "kms1.corp.example.") {
		t.Fatalf("zone holds %v", got)
	}
	// Without --server-name: the SOA MNAME (ns1) has the address given.
	out, errOut, code = run(t, append([]string{"unpublish", "--host", "kms1.corp.example", "--force", "--resolver", bind.Addr}, gss...)...)
	if code != exitClean || !strings.Contains(out, "removed") {
		t.Fatalf("unpublish: exit %d\n%s%s", code, out, errOut)
	}
	if got := kmsRecords(t, bind.Addr, "corp.example"); len(got) != 0 {
		t.Fatalf("zone holds %v", got)
	}
	// A wrong server name: the error names the principal and the fix.
	out, _, code = run(t, append([]string{"publish", "--host", "kms1.corp.example", "--server-name", "dc9.corp.example"}, gss...)...)
	if code != exitErrors || !strings.Contains(out, "DNS/dc9.corp.example@CORP.EXAMPLE") || !strings.Contains(out, "--server-name") {
		t.Fatalf("wrong name: exit %d\n%s", code, out)
	}
}
