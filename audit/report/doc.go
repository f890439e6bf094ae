// Package report turns an audit report (the data of the JSON schema 1
// output) into files for people and for monitoring, and tells what
// changed since an earlier run.
//
// Formats, chosen by a file's extension (see FormatOf):
//
//	.json  the schema-1 JSON report, with finding ids and changes
//	.md    Markdown: a summary per zone, findings grouped by severity
//	.html  one self-contained page: inline CSS and SVG, no external URL
//	.prom  Prometheus text exposition format (node_exporter textfile collector)
//
// Every file is written atomically: to a temporary file in the same
// directory, synced, then renamed over the target, so a reader (the
// textfile collector, a web server) never sees half a file.
//
// Each finding gets a stable ID, a digest of its check, zone, owner name,
// target and port (never of its message text), so that findings can be
// matched across runs. Against a baseline (an earlier JSON report, given
// or the latest one in a history directory) each finding is marked
// ChangeNew or ChangePersisting, and the baseline's findings that are gone
// are listed in Report.Resolved.
package report
