#!/usr/bin/env python3
"""Mutation pass over publish / unpublish (issue 12): the multi-line
mutations tools/mutate cannot express (testdata/mutations.txt holds the
single-line ones, update-* / cli-publish-* / config-*).

Each entry plants one small bug (file, exact text, replacement), builds,
runs the tests that should catch it, and restores the file. Run from the
repository root with the real servers installed:

    python3 scripts/mutations-publish.py          # every mutation
    python3 scripts/mutations-publish.py M4 M15   # some

A mutation whose pattern no longer matches is reported SKIP: update it.
"""
import subprocess, sys, os
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
env=dict(os.environ, KMSDNS_REQUIRE_SERVERS='1', PATH=os.environ['PATH']+':/usr/sbin:/sbin')
muts=[
 ("M1 TTL not inherited","publish/plan.go","\t\tif len(cur) > 0 {\n\t\t\tttl = cur[0].TTL\n\t\t}","","./publish","TestManyNames"),
 ("M2 TTL change = already present","publish/plan.go","sameRR(same[0], want) && same[0].TTL == want.TTL","sameRR(same[0], want)","./publish","TestManyNames"),
 ("M3 only last name","publish/plan.go","\tvar out []string\n\tfor _, n := range names {","\tvar out []string\n\tnames = names[len(names)-1:]\n\tfor _, n := range names {","./publish","TestManyNames"),
 ("M4 unsigned answer accepted","publish/send.go",'res.sigErr = errors.New("the answer is not signed")',"","./publish","TestUpdateFaults"),
 ("M5 AnswerSigned always","publish/apply.go","r.AnswerSigned = s != nil && a.sigErr == nil","r.AnswerSigned = s != nil","./publish","TestUpdateFaults"),
 ("M6 no credentials in error","publish/send.go","\t\treturn e.Credentials + \": \" + msg","\t\treturn msg","./publish","TestCredentials"),
 ("M7 publish ignores --state","cmd/kmsdns/publish.go","\tif path = statePath(path); path == \"\" {\n\t\treturn\n\t}\n\tstate, err := audit.LoadState(path)\n\tif err != nil {\n\t\tfmt.Fprintln(e.stderr, \"kmsdns: warning:\", err)","\tif path = statePath(\"\"); path == \"\" {\n\t\treturn\n\t}\n\tstate, err := audit.LoadState(path)\n\tif err != nil {\n\t\tfmt.Fprintln(e.stderr, \"kmsdns: warning:\", err)","./cmd/kmsdns","TestPublishCLIState"),
 ("M8 --require-live ignored","publish/live.go","if refuse && len(bad) > 0 && p.Err == nil {","if false && refuse && len(bad) > 0 && p.Err == nil {","./cmd/kmsdns","TestPublishCLIProbe"),
 ("M9 never probed","cmd/kmsdns/publish.go","\t\tif !a.noProbe {\n\t\t\tprober = probe.Prober{}","\t\tif false {\n\t\t\tprober = probe.Prober{}","./cmd/kmsdns","TestPublishCLIProbe"),
 ("M10 --no-probe ignored","cmd/kmsdns/publish.go","\t\tif !a.noProbe {\n\t\t\tprober = probe.Prober{}","\t\tif true {\n\t\t\tprober = probe.Prober{}","./cmd/kmsdns","TestPublishCLIProbe"),
 ("M11 read-back ignores TTL","publish/apply.go","\t\t\tcase got[name][i].TTL != w.TTL:","\t\t\tcase false:","./publish","TestUpdateFaults"),
 ("M12 Expected keeps old TTL","publish/plan.go","\t\t\tout[r.Name][i].TTL = r.TTL","\t\t\t_ = i","./publish","TestManyNames|TestUpdateFaults"),
 ("M13 fake primary skips prerequisites","publish/fault_test.go","\t\t\t\t\tm.Rcode = f.prerequisites(r)","\t\t\t\t\t_ = f.prerequisites","./publish","TestFakePrimary"),
 ("M14 Text drops prerequisites","publish/plan.go","\t\tfor _, rr := range m.Answer {\n\t\t\tb.WriteString(rr.String() + \"\\n\")","\t\tfor _, rr := range m.Answer[:0] {\n\t\t\tb.WriteString(rr.String() + \"\\n\")","./publish","Example|TestPrinted"),
 ("M15 Locate ignores MNAME","publish/apply.go","\t\ttargets[i].Server = addr\n","\t\ttargets[i].Server = resolver\n","./publish","TestLocateBySOA"),
 ("M16 one message per name","cmd/kmsdns/publish.go","\t\tplans = cl.PlanPublishAll(c.Context, targets, names, recs)\n","\t\tfor _, n := range names {\n\t\t\tplans = append(plans, cl.PlanPublishAll(c.Context, targets, []string{n}, recs)...)\n\t\t}\n","./cmd/kmsdns","TestPublishCLIRepeated"),
 ("M17 unpublish only first host","publish/plan.go","\t\tfor _, h := range hosts {\n\t\t\thost := dns.CanonicalName(h)","\t\tfor _, h := range hosts[:1] {\n\t\t\thost := dns.CanonicalName(h)","./publish","TestManyNames"),
 ("M18 dry-run says added","cmd/kmsdns/publish.go","\t\t\taction := c.Action.Planned()","\t\t\taction := string(c.Action)","./cmd/kmsdns","TestPublishCLIRepeated"),
 ("M19 config origin wrong","internal/config/update.go",'t.Key, t.KeyOrigin = k, u.KeyFile+" ("+from("key-file")+")"','t.Key, t.KeyOrigin = k, u.KeyFile',"./cmd/kmsdns","TestPublishCLICredentials"),
 ("M20 TTL note missing","publish/plan.go","\t\t\tif len(others) > 0 {","\t\t\tif false {","./publish","TestManyNames"),
 ("M21 new conn per update","publish/apply.go","\tcl.conns[server] = c\n","","./publish","TestManySigned"),
 ("M22 zone read key origin","internal/config/update.go",'from = func(field string) string { return f.setting(z, field, "", z.KeyFile) }','from = func(field string) string { return f.setting(z, field, "", "") }',"./internal/config","TestKeyOrigin"),
 ("M23 env origin","internal/config/update.go",'t.Key, t.KeyOrigin = k, "$"+SecretEnv','t.Key, t.KeyOrigin = k, ""',"./internal/config","TestKeyOrigin"),
 ("M24 gss creds","internal/config/update.go",'targets[i].Credentials = gssCredentials(t.GSS)','',"./internal/config","TestKeyOrigin"),
]
only=sys.argv[1:]
for name,f,old,new,pkg,run in muts:
    if only and name.split()[0] not in only: continue
    src=open(f).read()
    if src.count(old)!=1:
        print("SKIP (pattern count %d):"%src.count(old),name); continue
    open(f,'w').write(src.replace(old,new))
    try:
        b=subprocess.run(['go','build','./...'],capture_output=True,text=True)
        if b.returncode!=0:
            print("BUILD FAIL:",name,b.stderr[:300]); continue
        r=subprocess.run(['go','test','-count=1',pkg,'-run',run],capture_output=True,text=True,env=env)
        print(("CAUGHT  " if r.returncode!=0 else "SURVIVED")+" "+name)
    finally:
        open(f,'w').write(src)
