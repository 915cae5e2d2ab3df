"""The HTML report's stylesheet: screen and print (A4 and Letter), with nothing fetched."""

CSS = """
:root { --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
  color: #1f2328; margin: 0 auto; max-width: 186mm; padding: 12mm 6mm; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h2 { font-size: 12.5pt; margin: 7mm 0 2mm; padding-bottom: 1mm;
  border-bottom: 1px solid var(--line); break-after: avoid; page-break-after: avoid; }
h3 { font-size: 10.5pt; margin: 4mm 0 1mm; break-after: avoid; page-break-after: avoid; }
p { margin: 1mm 0 2mm; }
.meta, .muted, figcaption { color: var(--muted); font-size: 9pt; }
.verdict { border-radius: 4px; padding: 3mm 4mm; margin: 4mm 0; font-size: 11.5pt;
  border-left: 6px solid; }
.verdict.held { background: #dafbe1; border-color: var(--ok); }
.verdict.deviated { background: #ffebe9; border-color: var(--bad); }
.verdict.other { background: #fff8c5; border-color: var(--warn); }
.verdict.expected { background: #fff1e5; border-color: #bc4c00; }
.overrides { margin: 0 0 1mm; font-size: 9.5pt; color: #bc4c00; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(30mm, 1fr));
  gap: 2mm; margin: 1mm 0 2mm; }
.figure { border: 1px solid var(--line); border-radius: 3px; padding: 1.5mm 2.5mm;
  break-inside: avoid; page-break-inside: avoid; }
.figure .what { font-size: 8.5pt; color: var(--muted); }
.figure .value { font-size: 12pt; font-weight: 700; font-variant-numeric: tabular-nums; }
.figure .detail { font-size: 8.5pt; }
ol.brief { margin: 1mm 0 2mm; padding-left: 6mm; font-size: 9.5pt; }
ol.brief li { margin: 0 0 1mm; break-inside: avoid; }
ol.brief .verified { font-weight: 600; color: var(--warn); }
ol.brief .verified.held { color: var(--ok); }
ol.brief code { font-size: 8pt; }
table.events { font-size: 9pt; }
table.events td, table.events th { padding: 0.5mm 2mm; }
section.summary h2 { margin-top: 4mm; }
section.summary figure { margin-bottom: 2mm; }
.verdict b { letter-spacing: .04em; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; font-size: 9.5pt;
  break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { text-align: left; padding: 1.2mm 2mm; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.ok { color: var(--ok); font-weight: 600; }
.fail { color: var(--bad); font-weight: 700; }
.keep { break-inside: avoid; page-break-inside: avoid; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 4mm; }
.grid > table { margin: 0; }
.finding { border: 1px solid var(--line); border-left: 4px solid var(--bad); border-radius: 3px;
  padding: 2mm 3mm; margin: 0 0 3mm; break-inside: avoid; page-break-inside: avoid; }
.finding.note { border-left-color: var(--warn); }
.finding h3 { margin: 0 0 1mm; }
.finding .fix { margin: 1mm 0 0; }
.finding .verified { margin: 0 0 1mm; font-weight: 600; color: var(--warn); }
.finding .verified.held { color: var(--ok); }
figure { margin: 2mm 0 5mm; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; }
code { font: 9pt ui-monospace, "DejaVu Sans Mono", monospace; }
footer { margin-top: 8mm; font-size: 8.5pt; color: var(--muted); }
@page { margin: 13mm 12mm 14mm; }
@media print {
  body { padding: 0; max-width: none; font-size: 10pt; }
  .verdict, th, .finding { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section { break-inside: auto; }
  section.details { break-before: page; page-break-before: always; }
  section.summary { font-size: 9.5pt; line-height: 1.35; }
  section.summary h1 { font-size: 15pt; }
  section.summary h2 { margin: 3mm 0 1mm; font-size: 11.5pt; }
  section.summary .verdict { margin: 2mm 0; padding: 2mm 3mm; font-size: 9.5pt; }
  section.summary figure { margin: 1mm 0 0; }
  section.summary figure h3 { margin: 0; }
  section.summary figcaption { font-size: 8pt; }
  ol.brief { font-size: 9pt; }
  .figure .detail { font-size: 8pt; }
  a { color: inherit; text-decoration: none; }
}
"""
