package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/audit"
)

// WriteHTML writes rep as one self-contained HTML page: inline CSS and an
// inline SVG chart of the error and warning counts over opts.History and
// this run, a health status per zone, the findings, the resolved
// findings and the KMS hosts with their probe results. The page loads
// nothing: no external URL, no script.
func WriteHTML(w io.Writer, rep *audit.Report, opts Options) error {
	pts := append(append([]Point{}, opts.History...), Point{Time: rep.GeneratedAt, Errors: rep.Summary.Errors, Warnings: rep.Summary.Warnings})
	news, baseline := changes(rep)
	data := struct {
		Rep      *audit.Report
		Time     string
		Zones    []zoneHealth
		Groups   []findingGroup
		Chart    chart
		Baseline bool
		New      int
		Unread   string
	}{rep, rep.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"), health(rep), groups(rep), newChart(pts), baseline, news, unreadNote(rep)}
	return pageTemplate.Execute(w, data)
}

type findingGroup struct {
	Heading  string
	Severity string
	Findings []audit.Finding
}

func groups(rep *audit.Report) []findingGroup {
	var out []findingGroup
	for _, sv := range severities {
		g := findingGroup{Heading: sv.heading, Severity: string(sv.sev)}
		for _, f := range rep.Findings {
			if f.Severity == sv.sev {
				g.Findings = append(g.Findings, f)
			}
		}
		if len(g.Findings) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// chart is the SVG chart's geometry, computed here so the template only
// places it.
type chart struct {
	Width, Height    int
	Errors, Warnings string // polyline points
	Dots             []dot
	Labels           []axisLabel
	Max              int
	Runs             int
}

type dot struct {
	X, Y  int
	Class string
	Title string
}

type axisLabel struct {
	X    int
	Text string
}

func newChart(pts []Point) chart {
	const w, h, left, right, top, bottom = 640, 180, 40, 20, 15, 30
	c := chart{Width: w, Height: h, Runs: len(pts)}
	for _, p := range pts {
		c.Max = max(c.Max, p.Errors, p.Warnings)
	}
	scale := max(c.Max, 1)
	x := func(i int) int {
		if len(pts) == 1 {
			return left + (w-left-right)/2
		}
		return left + i*(w-left-right)/(len(pts)-1)
	}
	y := func(n int) int { return h - bottom - n*(h-top-bottom)/scale }
	var e, wa []string
	for i, p := range pts {
		e = append(e, fmt.Sprintf("%d,%d", x(i), y(p.Errors)))
		wa = append(wa, fmt.Sprintf("%d,%d", x(i), y(p.Warnings)))
		day := p.Time.UTC().Format("2006-01-02")
		c.Dots = append(c.Dots,
			dot{x(i), y(p.Errors), "err", fmt.Sprintf("%s: %s", day, count(p.Errors, "error"))},
			dot{x(i), y(p.Warnings), "warn", fmt.Sprintf("%s: %s", day, count(p.Warnings, "warning"))})
	}
	c.Errors, c.Warnings = strings.Join(e, " "), strings.Join(wa, " ")
	// Dates under the first, the last and a few runs between.
	step := max(1, (len(pts)+5)/6)
	for i := 0; i < len(pts); i += step {
		if len(pts)-1-i < step/2+1 && i != len(pts)-1 && i != 0 {
			continue
		}
		c.Labels = append(c.Labels, axisLabel{x(i), pts[i].Time.UTC().Format("Jan 2")})
	}
	if last := len(pts) - 1; last > 0 && (last%step != 0) {
		c.Labels = append(c.Labels, axisLabel{x(last), pts[last].Time.UTC().Format("Jan 2")})
	}
	return c
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"bare":    bare,
	"subject": subject,
	"upper":   strings.ToUpper,
	"join":    strings.Join,
	"ms": func(ms int64) string {
		return (time.Duration(ms) * time.Millisecond).String()
	},
	"count": count,
}).Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>KMS DNS audit {{.Time}}</title>
<style>
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;margin:1.5em auto;max-width:72em;padding:0 1em;color:#1d2125;background:#fff;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}
h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ccd;padding-bottom:.2em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #ccd;padding:.3em .5em;text-align:left;vertical-align:top;font-size:.92em}
th{background:#eef0f4}
td.num{text-align:right}
code{font-family:"DejaVu Sans Mono",Consolas,monospace;font-size:.92em;word-break:break-all}
.badge{display:inline-block;padding:.05em .5em;border-radius:.3em;font-weight:bold;font-size:.85em;color:#fff}
.b-error{background:#b3261e}.b-warning{background:#a15c00}.b-info,.b-ok{background:#2e6b30}.b-info{background:#3d5a80}
.b-new{background:#6a1b9a}.b-persisting{background:#777}
.finding{border:1px solid #ccd;border-left:6px solid #999;border-radius:4px;padding:.5em .8em;margin:.6em 0}
.finding.error{border-left-color:#b3261e}.finding.warning{border-left-color:#a15c00}.finding.info{border-left-color:#3d5a80}
.finding .head{font-weight:bold}
.finding p{margin:.3em 0}
.muted{color:#5a6270}
svg text{font-family:"DejaVu Sans",Arial,sans-serif;font-size:11px;fill:#333}
svg .grid{stroke:#dde;stroke-width:1}
svg .err{stroke:#b3261e;fill:#b3261e}svg .warn{stroke:#a15c00;fill:#a15c00}
svg polyline.err,svg polyline.warn{fill:none;stroke-width:2}
</style>
</head>
<body>
<h1>KMS DNS audit</h1>
<p class="muted">Run {{.Time}}. {{count .Rep.Summary.Zones "zone"}}, {{count .Rep.Summary.Records "KMS record"}}:
<span class="badge b-error">{{count .Rep.Summary.Errors "error"}}</span>
<span class="badge b-warning">{{count .Rep.Summary.Warnings "warning"}}</span>
<span class="badge b-info">{{.Rep.Summary.Info}} info</span>
{{- if .Baseline}} Since the baseline: {{.New}} new, {{len .Rep.Resolved}} resolved.{{.Unread}}{{end}}</p>

<h2 id="zones">Zones</h2>
<table>
<tr><th>Zone</th><th>Health</th><th>KMS records</th><th>Errors</th><th>Warnings</th><th>Info</th><th>Read</th></tr>
{{- range .Zones}}
<tr><td><code>{{.Zone}}</code></td><td><span class="badge b-{{.Status}}">{{upper .Status}}</span></td><td class="num">{{.Records}}</td><td class="num">{{.Errors}}</td><td class="num">{{.Warnings}}</td><td class="num">{{.Info}}</td><td>{{if .ReadError}}failed: {{.ReadError}}{{else}}{{.Source}}{{if .Note}}: {{.Note}}{{end}}{{end}}</td></tr>
{{- end}}
</table>

<h2 id="trend">Errors and warnings over {{count .Chart.Runs "run"}}</h2>
<svg width="{{.Chart.Width}}" height="{{.Chart.Height}}" viewBox="0 0 {{.Chart.Width}} {{.Chart.Height}}" role="img" aria-label="errors and warnings per run">
<line class="grid" x1="40" y1="150" x2="620" y2="150"/>
<line class="grid" x1="40" y1="15" x2="620" y2="15"/>
<text x="34" y="154" text-anchor="end">0</text>
<text x="34" y="19" text-anchor="end">{{.Chart.Max}}</text>
<polyline class="err" points="{{.Chart.Errors}}"/>
<polyline class="warn" points="{{.Chart.Warnings}}"/>
{{- range .Chart.Dots}}
<circle class="{{.Class}}" cx="{{.X}}" cy="{{.Y}}" r="3.5"><title>{{.Title}}</title></circle>
{{- end}}
{{- range .Chart.Labels}}
<text x="{{.X}}" y="168" text-anchor="middle">{{.Text}}</text>
{{- end}}
<rect class="err" x="460" y="0" width="10" height="10"/><text x="474" y="9">errors</text>
<rect class="warn" x="530" y="0" width="10" height="10"/><text x="544" y="9">warnings</text>
</svg>

<h2 id="findings">Findings</h2>
{{- if not .Groups}}
<p>No findings.</p>
{{- end}}
{{- range .Groups}}
<h3>{{.Heading}} ({{len .Findings}})</h3>
{{- range .Findings}}
<div class="finding {{.Severity}}" id="f-{{.ID}}">
<div class="head"><span class="badge b-{{.Severity}}">{{upper (print .Severity)}}</span>{{if .Change}} <span class="badge b-{{.Change}}">{{upper .Change}}</span>{{end}} {{bare .Zone}}: <code>{{.Check}}</code> <code>{{subject .}}</code></div>
<p>{{.Message}}</p>
{{- if .ClientErrors}}
<p><b>Clients see:</b> {{join .ClientErrors ", "}}</p>
{{- end}}
<p><b>Fix:</b> {{.Fix}}</p>
</div>
{{- end}}
{{- end}}
{{- if .Rep.Resolved}}

<h2 id="resolved">Resolved since the baseline ({{len .Rep.Resolved}})</h2>
<ul>
{{- range .Rep.Resolved}}
<li>{{bare .Zone}}: <code>{{.Check}}</code> <code>{{subject .}}</code> (was {{.Severity}}): {{.Message}}</li>
{{- end}}
</ul>
{{- end}}

<h2 id="hosts">KMS hosts</h2>
<table>
<tr><th>Target</th><th>Port</th><th>Resolves to</th><th>Probe</th><th>Detail</th><th>Time</th></tr>
{{- range .Rep.Targets}}
<tr><td><code>{{bare .Target}}</code></td><td class="num">{{.Port}}</td><td>{{if .CNAME}}alias of <code>{{bare .CNAME}}</code>: {{end}}{{if .Addresses}}{{join .Addresses " "}}{{else}}{{.Resolution}}{{end}}</td><td>{{if .Probe}}<span class="badge b-{{if eq .Probe "kms"}}ok{{else}}error{{end}}">{{.Probe}}</span>{{else}}not probed{{end}}</td><td>{{.ProbeDetail}}</td><td class="num">{{if .Probe}}{{ms .ProbeMillis}}{{end}}</td></tr>
{{- end}}
</table>
<p class="muted">Written by kmsdns audit (report schema version {{.Rep.Version}}).</p>
</body>
</html>
`
