/**
 * @module server/ui/page
 * The console's HTML shell and stylesheet, served as they are: no inline script or style (the
 * Content-Security-Policy forbids both), one module script (`app.js`) that renders everything.
 */

export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tspilot console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="./app.css">
<script type="module" src="./app.js"></script>
</head>
<body>
<div id="app"><p class="muted">Loading the tspilot console…</p></div>
<noscript>The tspilot console needs JavaScript; the same data is under /debug (JSON).</noscript>
</body>
</html>
`;

export const APP_CSS = `
:root { --fg: #1d2330; --muted: #6b7280; --line: #e2e5ea; --bg: #f7f8fa; --card: #fff; --ok: #157f3b; --warn: #a15c00; --bad: #b42318; --accent: #2559c7; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 18px; padding: 10px 20px; background: #111827; color: #e5e7eb; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
header nav a { color: #cbd5e1; text-decoration: none; margin-right: 14px; }
header nav a.active { color: #fff; border-bottom: 2px solid #60a5fa; }
header .replica { margin-left: auto; font-size: 12px; color: #9ca3af; }
main { padding: 16px 20px; }
h2 { font-size: 15px; margin: 18px 0 8px; }
table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; font-size: 12px; color: var(--muted); background: #fafbfc; }
td.mono, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; word-break: break-all; }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 11px; font-weight: 600; }
.SYNCED { background: #dcfce7; color: var(--ok); } .STALE { background: #fef3c7; color: var(--warn); }
.NACKED { background: #fee2e2; color: var(--bad); } .NOT_SENT { background: #eef0f3; color: var(--muted); }
.nack { color: var(--bad); font-size: 12px; white-space: pre-wrap; }
.muted { color: var(--muted); } .error { color: var(--bad); }
a { color: var(--accent); cursor: pointer; }
button { font: inherit; font-size: 12px; padding: 1px 8px; border: 1px solid var(--line); background: #fff; border-radius: 3px; cursor: pointer; }
.tabs button.on { background: var(--accent); color: #fff; border-color: var(--accent); }
.prov { font-size: 12px; }
.explain { background: #f3f4f6; padding: 6px 8px; font-size: 12px; white-space: pre-wrap; margin: 4px 0; }
.bar { height: 10px; background: #93c5fd; display: inline-block; vertical-align: middle; }
.bar.debounce { background: #e5e7eb; }
svg text { font: 12px system-ui, sans-serif; fill: var(--fg); }
svg .node rect { fill: #fff; stroke: #94a3b8; } svg .node.route rect { fill: #eff6ff; } svg .node.subset rect { fill: #f0fdf4; }
svg .edge { stroke: #64748b; fill: none; } svg .weight { fill: var(--accent); font-weight: 600; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; }
.card { background: var(--card); border: 1px solid var(--line); padding: 8px 10px; }
.card b { font-size: 18px; display: block; }
select { font: inherit; }
`;
