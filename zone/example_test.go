package zone_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/kmsdns/kmsdns/zone"
)

func ExampleParseFile() {
	text := `$ORIGIN contoso.com.
$TTL 3600
@               IN SOA ns1 hostmaster 2026112101 3600 900 1209600 300
_vlmcs._tcp     IN SRV 0 0 1688 kms1
_VLMCS._TCP.Emea IN SRV 0 0 1688 kms-emea
www             IN A   192.0.2.80
`
	res, err := zone.ParseFile(strings.NewReader(text), "", "contoso.com.zone")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Zone, res.Serial, res.Seen)
	for _, r := range res.Records {
		fmt.Println(r.Name, r.Port, r.Target)
	}
	// Output:
	// contoso.com. 2026112101 4
	// _vlmcs._tcp.contoso.com. 1688 kms1.contoso.com.
	// _vlmcs._tcp.emea.contoso.com. 1688 kms-emea.contoso.com.
}

func ExampleParseFileContext() {
	// As named reads it: no $TTL (the SOA minimum is used), a quoted
	// $GENERATE right-hand side, a record type kmsdns skips.
	text := `$ORIGIN contoso.com.
@    IN SOA ns1 hostmaster 1 3600 900 1209600 300
$GENERATE 1-2 _vlmcs._tcp.site$ SRV "0 0 1688 kms$"
wks  IN WKS 192.0.2.1 tcp smtp
`
	res, err := zone.ParseFileContext(context.Background(), strings.NewReader(text), "", "contoso.com.zone", zone.FileOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res.Records {
		fmt.Println(r.Name, r.TTL, r.Target)
	}
	for _, w := range res.Warnings {
		fmt.Println(w)
	}
	// Output:
	// _vlmcs._tcp.site1.contoso.com. 300 kms1.contoso.com.
	// _vlmcs._tcp.site2.contoso.com. 300 kms2.contoso.com.
	// contoso.com.zone:2: no $TTL and no TTL on the SOA: records without a TTL get the SOA minimum, 300 s, as named does
	// contoso.com.zone:4: skipped a record: unknown type "WKS"
}

func ExampleParseKeys() {
	keys, err := zone.ParseKeys(strings.NewReader(`key "xfr" {
	algorithm hmac-sha256;
	secret "c2VjcmV0LXNlY3JldC1zZWNyZXQ=";
};`), "xfr.key")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(keys[0]) // the secret is never printed
	// Output:
	// xfr (hmac-sha256)
}
