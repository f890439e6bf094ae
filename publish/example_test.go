package publish_test

import (
	"fmt"

	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
)

// A host already published on another port is replaced in one message;
// the prerequisite guards the RRset as read. Text renders the message Msg
// builds and Apply sends; TestPrintedIsWhatTheServerApplies proves on BIND
// that the server then holds exactly what the text says.
func ExamplePlanPublish() {
	current := []zone.Record{
		{Zone: "contoso.com.", Name: "_vlmcs._tcp.contoso.com.", TTL: 3600, Port: 1689, Target: "kms1.contoso.com."},
		{Zone: "contoso.com.", Name: "_vlmcs._tcp.contoso.com.", TTL: 3600, Port: 1688, Target: "kms2.contoso.com."},
	}
	p := publish.PlanPublish("contoso.com", "192.0.2.53:53", "", publish.Record{Target: "kms1.contoso.com", Port: 1688, TTL: 3600}, current)
	fmt.Println(p.Action)
	fmt.Print(p.Text())
	// Output:
	// replaced
	// ; UPDATE for zone contoso.com. to 192.0.2.53:53
	// ;; ZONE
	// contoso.com.	IN	SOA
	// ;; PREREQUISITES (the RRset must be exactly as read)
	// _vlmcs._tcp.contoso.com.	0	IN	SRV	0 0 1689 kms1.contoso.com.
	// _vlmcs._tcp.contoso.com.	0	IN	SRV	0 0 1688 kms2.contoso.com.
	// ;; DELETE
	// _vlmcs._tcp.contoso.com.	0	NONE	SRV	0 0 1689 kms1.contoso.com.
	// ;; ADD
	// _vlmcs._tcp.contoso.com.	3600	IN	SRV	0 0 1688 kms1.contoso.com.
}
