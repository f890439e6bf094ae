package cleanup_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/zone"
)

// Select takes exactly what is asked: the records of a named host, and a
// typo is an error that names the closest targets seen.
func ExampleSelect() {
	res := &zone.Snapshot{Zone: "contoso.com.", Records: []zone.Record{
		{Zone: "contoso.com.", Name: "_vlmcs._tcp.contoso.com.", TTL: 3600, Port: 1688, Target: "kms1.contoso.com."},
		{Zone: "contoso.com.", Name: "_vlmcs._tcp.contoso.com.", TTL: 3600, Port: 1688, Target: "kms-old.contoso.com."},
	}}
	rep := audit.Run(context.Background(), []*zone.Snapshot{res}, audit.Options{})
	rms, _ := cleanup.Select([]*zone.Snapshot{res}, rep, cleanup.Selection{Hosts: []string{"kms-old.contoso.com"}})
	for _, r := range rms {
		fmt.Println(r.Check(), r.Record.Target)
	}
	_, err := cleanup.Select([]*zone.Snapshot{res}, rep, cleanup.Selection{Hosts: []string{"kms-lod.contoso.com"}})
	var uh *cleanup.UnknownHostError
	fmt.Println(errors.As(err, &uh), uh.Closest[0])
	// Output:
	// host kms-old.contoso.com.
	// true kms-old.contoso.com.
}
