package publish

import (
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/zone"
)

// TestPlanPublishKeep: fields in Record.Keep take the value of the host's
// record at the name; for a host new to the name, and for fields not
// kept, the Record's own value is used; records of the host that disagree
// on a kept field block the zone.
func TestPlanPublishKeep(t *testing.T) {
	const own = "_vlmcs._tcp.k.example."
	standby := zone.Record{Zone: "k.example.", Name: own, TTL: 300, Priority: 10, Port: 1689, Target: "kms1.k.example."}
	cur := map[string][]zone.Record{own: {standby}}
	all := FieldPort | FieldPriority | FieldWeight
	plan := func(rec Record, cur map[string][]zone.Record) *ZonePlan {
		t.Helper()
		return PlanPublishAll("k.example", "127.0.0.1:9", nil, []Record{rec}, cur)
	}

	p := plan(Record{Target: "kms1.k.example", Port: DefaultPort, Keep: all}, cur)
	if p.Action != ActionAlreadyPresent || !p.Empty() || p.Changes[0].Record != standby {
		t.Errorf("nothing given: %s %+v, note %q", p.Action, p.Changes, p.Note)
	}

	p = plan(Record{Target: "kms1.k.example", Port: DefaultPort, Priority: 5, Keep: FieldPort | FieldWeight}, cur)
	want := standby
	want.Priority = 5
	if p.Action != ActionReplaced || len(p.Add) != 1 || p.Add[0] != want || !strings.Contains(p.Note, "(priority 10 -> 5)") {
		t.Errorf("priority given: %s add %+v, note %q", p.Action, p.Add, p.Note)
	}

	p = plan(Record{Target: "kms2.k.example", Port: DefaultPort, Keep: all}, cur)
	if p.Action != ActionAdded || len(p.Add) != 1 || p.Add[0].Port != DefaultPort || p.Add[0].Priority != 0 || p.Add[0].Weight != 0 {
		t.Errorf("new host: %s add %+v", p.Action, p.Add)
	}

	// Keep zero: every field as given (kmsdns apply, a library caller).
	p = plan(Record{Target: "kms1.k.example", Port: DefaultPort}, cur)
	if p.Action != ActionReplaced || p.Add[0].Port != DefaultPort || !strings.Contains(p.Note, "(port 1689 -> 1688, priority 10 -> 0)") {
		t.Errorf("nothing kept: %s add %+v, note %q", p.Action, p.Add, p.Note)
	}

	// Two records of the host that disagree on the port: no guess.
	other := standby
	other.Port = 1688
	two := map[string][]zone.Record{own: {standby, other}}
	p = plan(Record{Target: "kms1.k.example", Port: DefaultPort, Keep: all}, two)
	if !p.Blocked || p.Action != ActionSkipped || !p.Empty() || !strings.Contains(p.Note, "differ in port (1689, 1688)") {
		t.Errorf("disagreeing records: blocked %v %s, note %q", p.Blocked, p.Action, p.Note)
	}
	p = plan(Record{Target: "kms1.k.example", Port: 1689, Keep: FieldPriority | FieldWeight}, two)
	// The port given names the record at that port: the other stays.
	if p.Blocked || p.Action != ActionAlreadyPresent || !p.Empty() || p.Changes[0].Record != standby {
		t.Errorf("port given over disagreeing records: blocked %v %s add %+v, note %q", p.Blocked, p.Action, p.Add, p.Note)
	}
}

// TestPlannedHeedPort: the host is checked on the port each zone
// publishes, and a check on another port does not warn about it.
func TestPlannedHeedPort(t *testing.T) {
	const own = "_vlmcs._tcp.k.example."
	keep := Record{Target: "kms1.k.example", Port: DefaultPort, Keep: FieldPort | FieldPriority | FieldWeight}
	kept := PlanPublishAll("k.example", "127.0.0.1:9", nil, []Record{keep},
		map[string][]zone.Record{own: {{Zone: "k.example.", Name: own, TTL: 300, Port: 1689, Target: "kms1.k.example."}}})
	fresh := PlanPublishAll("m.example", "127.0.0.1:9", nil, []Record{keep}, nil)
	plans := []*ZonePlan{kept, fresh}
	got := Planned(plans)
	if len(got) != 2 || got[0] != (Record{Target: "kms1.k.example.", Port: 1689}) || got[1] != (Record{Target: "kms1.k.example.", Port: 1688}) {
		t.Fatalf("Planned: %+v", got)
	}
	dead := HostCheck{Host: "kms1.k.example.", Port: 1688, Resolution: resolve.Resolution{Status: resolve.Resolved}, Probed: true, Probe: probe.Result{Status: probe.StatusRefused}}
	Heed(plans, []HostCheck{dead}, true)
	if len(kept.Warnings) != 0 || kept.Blocked {
		t.Errorf("a check on 1688 warned about the record on 1689: %v", kept.Warnings)
	}
	if len(fresh.Warnings) != 1 || !fresh.Blocked {
		t.Errorf("the record on 1688: warnings %v, blocked %v", fresh.Warnings, fresh.Blocked)
	}
}

// TestPlanPublishPortNamesRecords: with --port given, the host's record
// at that port is the one the command names: it is already present when
// the given fields match, replaced alone when they do not, and the host's
// record at another port is never deleted (REVIEW3 item 7).
func TestPlanPublishPortNamesRecords(t *testing.T) {
	const own = "_vlmcs._tcp.two.k.example."
	work := zone.Record{Zone: "k.example.", Name: own, TTL: 3600, Priority: 0, Port: 1688, Target: "kms1.k.example."}
	other := zone.Record{Zone: "k.example.", Name: own, TTL: 3600, Priority: 5, Port: 1689, Target: "kms1.k.example."}
	cur := map[string][]zone.Record{own: {work, other}}
	plan := func(rec Record) *ZonePlan {
		t.Helper()
		return PlanPublishAll("k.example", "127.0.0.1:9", []string{"two"}, []Record{rec}, cur)
	}
	for _, keep := range []Fields{FieldPriority | FieldWeight, 0} {
		p := plan(Record{Target: "kms1.k.example", Port: 1688, Keep: keep})
		if p.Blocked || p.Action != ActionAlreadyPresent || !p.Empty() || p.Changes[0].Record != work {
			t.Errorf("keep %b: --port 1688: blocked %v %s del %+v add %+v, note %q", keep, p.Blocked, p.Action, p.Delete, p.Add, p.Note)
		}
	}
	p := plan(Record{Target: "kms1.k.example", Port: 1688, Priority: 3, Keep: FieldWeight})
	want := work
	want.Priority = 3
	if p.Blocked || p.Action != ActionReplaced || len(p.Delete) != 1 || p.Delete[0] != work || len(p.Add) != 1 || p.Add[0] != want {
		t.Errorf("--port 1688 --priority 3: blocked %v %s del %+v add %+v, note %q", p.Blocked, p.Action, p.Delete, p.Add, p.Note)
	}
	// A port the host has no record at: the record moves (one record per
	// host), as port-mismatch's fix relies on.
	one := map[string][]zone.Record{own: {other}}
	p = PlanPublishAll("k.example", "127.0.0.1:9", []string{"two"}, []Record{{Target: "kms1.k.example", Port: 1688, Keep: FieldPriority | FieldWeight}}, one)
	moved := other
	moved.Port = 1688
	if p.Action != ActionReplaced || len(p.Delete) != 1 || p.Delete[0] != other || len(p.Add) != 1 || p.Add[0] != moved {
		t.Errorf("move: %s del %+v add %+v", p.Action, p.Delete, p.Add)
	}
}
