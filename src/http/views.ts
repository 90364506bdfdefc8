import { CATEGORIES, type Category } from '../config/schema';
import type { OmbudsmanState } from '../core/ombudsman-states';
import type { CaseStatus } from '../core/types';
import type { CaseDetail, CaseFilter, CaseSummary, OmbudsmanCase, TimelineEntry } from './console-port';
import { html, type SafeHtml } from './html';

/**
 * Server-rendered pages of the case console. No script at all (the CSP forbids it), no inline
 * style; every value goes through `html`, which escapes it.
 */

export const CASE_STATES: readonly CaseStatus[] = ['held', 'forwarded', 'review', 'suppressed', 'replied', 'closed'];

export interface PageContext {
  user: string | null;
  csrf: string | null;
  path: string;
}

const NAV: Array<[string, string]> = [
  ['/cases', 'Cases'],
  ['/review', 'Review'],
  ['/ombudsman', 'Ombudsman'],
  ['/admin/queues', 'Queues'],
];

export function layout(ctx: PageContext, title: string, body: SafeHtml, flash?: { kind: 'ok' | 'error'; text: string }): string {
  return html`<!doctype html>
<html lang="pt">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · Triage</title>
<link rel="stylesheet" href="/static/console.css">
</head>
<body>
<header class="top">
  <span class="brand">Médico Online · triage</span>
  ${ctx.user
    ? html`<nav>${NAV.map(([href, label]) => html`<a href="${href}"${ctx.path.startsWith(href) ? html` class="on"` : ''}>${label}</a>`)}</nav>
  <form method="post" action="/logout" class="logout"><input type="hidden" name="_csrf" value="${ctx.csrf}"><span>${ctx.user}</span> <button type="submit">Sign out</button></form>`
    : ''}
</header>
<main>
${flash ? html`<p class="flash ${flash.kind}" role="status">${flash.text}</p>` : ''}
${body}
</main>
</body>
</html>`.value;
}

export function loginPage(nonce: string, next: string, error: string | null): SafeHtml {
  return html`<section class="login">
<h1>Sign in</h1>
${error ? html`<p class="flash error" role="alert">${error}</p>` : ''}
<form method="post" action="/login">
  <input type="hidden" name="_login" value="${nonce}">
  <input type="hidden" name="next" value="${next}">
  <label>User <input name="username" autocomplete="username" required autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>
</section>`;
}

function categoryList(categories: readonly Category[]): SafeHtml {
  if (categories.length === 0) return html`<span class="muted">none</span>`;
  return html`${categories.map((c) => html`<span class="tag cat-${c}">${c}</span> `)}`;
}

function status(s: CaseStatus): SafeHtml {
  return html`<span class="status st-${s}">${s}</span>`;
}

function when(iso: string | null): SafeHtml {
  if (!iso) return html``;
  return html`<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 16)} UTC</time>`;
}

function caseLink(reference: string): SafeHtml {
  return html`<a href="/cases/${encodeURIComponent(reference)}">${reference}</a>`;
}

function caseRows(cases: readonly CaseSummary[]): SafeHtml {
  if (cases.length === 0) return html`<p class="muted">No cases.</p>`;
  return html`<table class="cases">
<thead><tr><th>Case</th><th>State</th><th>Categories</th><th>Customer</th><th>Nome</th><th>NIF</th><th>Subject</th><th>Updated</th></tr></thead>
<tbody>
${cases.map(
  (c) => html`<tr>
<td>${caseLink(c.reference)}</td><td>${status(c.status)}</td><td>${categoryList(c.categories)}</td>
<td>${c.customer}</td><td>${c.nome ?? ''}</td><td class="mono">${c.nif ?? ''}</td>
<td>${c.subject ?? html`<span class="muted">withheld</span>`}</td><td>${when(c.updatedAt)}</td>
</tr>`,
)}
</tbody></table>`;
}

export function casesPage(cases: readonly CaseSummary[], filter: CaseFilter): SafeHtml {
  return html`<h1>Cases</h1>
<form method="get" action="/cases" class="filters">
  <label>State <select name="state"><option value="">any</option>${CASE_STATES.map(
    (s) => html`<option value="${s}"${filter.state === s ? html` selected` : ''}>${s}</option>`,
  )}</select></label>
  <label>Category <select name="category"><option value="">any</option>${CATEGORIES.map(
    (c) => html`<option value="${c}"${filter.category === c ? html` selected` : ''}>${c}</option>`,
  )}</select></label>
  <label>Search <input name="q" value="${filter.query ?? ''}" placeholder="reference, NIF or address"></label>
  <button type="submit">Filter</button>
</form>
${caseRows(cases)}`;
}

export function reviewPage(cases: readonly CaseSummary[]): SafeHtml {
  return html`<h1>Review queue</h1>
<p class="muted">Cases the service could not decide. Open one to set its categories and identity and release it.</p>
${cases.length === 0
  ? html`<p class="muted">Nothing to review.</p>`
  : html`<table class="cases"><thead><tr><th>Case</th><th>Why</th><th>Customer</th><th>Subject</th><th>Since</th></tr></thead><tbody>
${cases.map((c) => html`<tr><td>${caseLink(c.reference)}</td><td>${c.reviewReason ?? ''}</td><td>${c.customer}</td><td>${c.subject ?? html`<span class="muted">withheld</span>`}</td><td>${when(c.openedAt)}</td></tr>`)}
</tbody></table>`}`;
}

export function ombudsmanPage(cases: readonly OmbudsmanCase[]): SafeHtml {
  return html`<h1>Ombudsman</h1>
${cases.length === 0
  ? html`<p class="muted">No ombudsman cases.</p>`
  : html`<table class="cases"><thead><tr><th>Protocol</th><th>Case</th><th>Manifestation</th><th>Deadline</th><th>Ombudsman state</th><th>Case state</th><th>Customer</th></tr></thead><tbody>
${cases.map(
  (c) => html`<tr${c.overdue ? html` class="overdue"` : ''}><td class="mono">${c.protocol}</td><td>${caseLink(c.reference)}</td><td>${c.manifestation ?? ''}</td>
<td>${when(c.deadline)}${c.overdue ? html` <strong class="late">overdue</strong>` : ''}${c.complex ? html` <span class="tag">complex</span>` : ''}</td>
<td>${ombudsmanStateLabel(c.state)}</td><td>${status(c.status)}</td><td>${c.customer}</td></tr>`,
)}
</tbody></table>`}`;
}

function timelineEntry(e: TimelineEntry): SafeHtml {
  switch (e.kind) {
    case 'message':
      return html`<li class="ev message"><div class="meta">${when(e.at)} · message from <b>${e.from}</b>${e.messageId ? html` · <span class="mono small">${e.messageId}</span>` : ''}</div>
${e.subject !== null ? html`<div class="subject">${e.subject}</div>` : ''}
${e.text !== null ? html`<pre class="body">${e.text}</pre>` : html`<p class="withheld">${e.withheld ?? 'content withheld'}</p>`}
${e.attachments.length ? html`<div class="small">Attachments: ${e.attachments.join(', ')}</div>` : ''}</li>`;
    case 'decision':
      return html`<li class="ev decision"><div class="meta">${when(e.at)} · decision <b>${e.action}</b>${e.by ? html` by ${e.by}` : ''}</div>
<div>${categoryList(e.categories)}${e.missing.length ? html` · missing: ${e.missing.join(', ')}` : ''}</div>
${e.reasons.length ? html`<ul class="reasons">${e.reasons.map((r) => html`<li>${r}</li>`)}</ul>` : ''}</li>`;
    case 'mail':
      return html`<li class="ev mail mail-${e.status}"><div class="meta">${when(e.at)} · ${e.mailKind} <b>${e.status}</b></div>
<div>to ${e.to.join(', ')}${e.cc.length ? html` · cc ${e.cc.join(', ')}` : ''}</div>${e.detail ? html`<div class="small">${e.detail}</div>` : ''}</li>`;
    case 'note':
      return html`<li class="ev note"><div class="meta">${when(e.at)} · ${e.by}</div><div>${e.text}</div></li>`;
  }
}

export function casePage(c: CaseDetail, csrf: string): SafeHtml {
  return html`<h1>Case <span class="mono">${c.reference}</span> ${status(c.status)}</h1>
<dl class="facts">
  <dt>Customer</dt><dd>${c.customer}</dd>
  <dt>Nome</dt><dd>${c.nome ?? html`<span class="muted">missing</span>`}</dd>
  <dt>NIF</dt><dd class="mono">${c.nif ?? html`<span class="muted">missing</span>`}</dd>
  <dt>Categories</dt><dd>${categoryList(c.categories)}</dd>
  <dt>Language</dt><dd>${c.language}</dd>
  ${c.reviewReason ? html`<dt>Review reason</dt><dd>${c.reviewReason}</dd>` : ''}
  ${c.ombudsman
    ? html`<dt>Protocol</dt><dd class="mono">${c.ombudsman.protocol}</dd><dt>Ombudsman state</dt><dd class="ombudsman-state">${ombudsmanStateLabel(c.ombudsman.state)}</dd><dt>Deadline</dt><dd>${when(c.ombudsman.deadline)}${c.ombudsman.overdue ? html` <strong class="late">overdue</strong>` : ''}${c.ombudsman.complex ? html` (complex: ${c.ombudsman.complexReason ?? ''})` : ''}</dd>`
    : ''}
</dl>
${c.status === 'review' ? releaseForm(c, csrf) : ''}
${c.ombudsman && c.ombudsman.nextStates.length > 0 ? ombudsmanStateForm(c.reference, c.ombudsman.nextStates, csrf) : ''}
${c.ombudsman && !c.ombudsman.complex && (c.ombudsman.state === 'received' || c.ombudsman.state === 'in_analysis') ? complexForm(c, csrf) : ''}
<h2>Timeline</h2>
<ol class="timeline">${c.timeline.map(timelineEntry)}</ol>`;
}

function releaseForm(c: CaseDetail, csrf: string): SafeHtml {
  return html`<form method="post" action="/cases/${encodeURIComponent(c.reference)}/release" class="panel release">
<h2>Release</h2>
<input type="hidden" name="_csrf" value="${csrf}">
<fieldset><legend>Categories</legend>
${CATEGORIES.map((cat) => html`<label class="check"><input type="checkbox" name="categories" value="${cat}"${c.categories.includes(cat) ? html` checked` : ''}> ${cat}</label>`)}
</fieldset>
<label>Nome <input name="nome" value="${c.nome ?? ''}" required minlength="3"></label>
<label>NIF <input name="nif" value="${c.nif ?? ''}" required pattern="[0-9 .]{9,11}" inputmode="numeric"></label>
<button type="submit">Release to routes</button>
</form>`;
}

const OMBUDSMAN_STATE_LABELS: Record<OmbudsmanState, string> = {
  received: 'received',
  in_analysis: 'in analysis',
  answered: 'answered',
  closed: 'closed',
};

function ombudsmanStateLabel(state: OmbudsmanState): string {
  return OMBUDSMAN_STATE_LABELS[state];
}

/** One button per allowed next state: the customer is told of each change (policy §4). */
function ombudsmanStateForm(reference: string, next: readonly OmbudsmanState[], csrf: string): SafeHtml {
  return html`<form method="post" action="/cases/${encodeURIComponent(reference)}/ombudsman-state" class="panel ombudsman-state">
<h2>Ombudsman state</h2>
<input type="hidden" name="_csrf" value="${csrf}">
<p class="small">The customer gets a notice of the change.</p>
${next.map((state) => html`<button type="submit" name="state" value="${state}">Mark ${ombudsmanStateLabel(state)}</button> `)}
</form>`;
}

function complexForm(c: CaseDetail, csrf: string): SafeHtml {
  return html`<form method="post" action="/cases/${encodeURIComponent(c.reference)}/complex" class="panel">
<h2>Complex case</h2>
<input type="hidden" name="_csrf" value="${csrf}">
<label>Reason <input name="reason" required minlength="5"></label>
<p class="small">The deadline becomes the complex-case one; the customer is told the new deadline, the reason stays internal.</p>
<button type="submit">Extend deadline</button>
</form>`;
}

export function notFoundPage(what: string): SafeHtml {
  return html`<h1>Not found</h1><p>${what}</p><p><a href="/cases">Back to cases</a></p>`;
}

export const CONSOLE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;background:#f5f6f8}
header.top{display:flex;align-items:center;gap:24px;padding:10px 20px;background:#17324d;color:#fff}
header.top .brand{font-weight:600}
header.top nav a{color:#cfe0f3;margin-right:14px;text-decoration:none}
header.top nav a.on,header.top nav a:hover{color:#fff;text-decoration:underline}
header.top .logout{margin-left:auto;display:flex;gap:8px;align-items:center}
main{padding:20px;max-width:1200px}
h1{font-size:20px;margin:0 0 14px}h2{font-size:16px;margin:18px 0 8px}
table.cases{border-collapse:collapse;width:100%;background:#fff}
table.cases th,table.cases td{border-bottom:1px solid #e2e5ea;padding:6px 8px;text-align:left;vertical-align:top}
table.cases th{background:#eef1f5;font-weight:600}
tr.overdue{background:#fff1f0}
.late{color:#b3261e}
.muted{color:#6b7480}.small{font-size:12px}.mono{font-family:ui-monospace,Menlo,Consolas,monospace}
.tag{display:inline-block;padding:1px 6px;border-radius:10px;background:#e4ecf7;font-size:12px}
.tag.cat-clinical{background:#fde2e1}.tag.cat-ombudsman{background:#fff0c2}
.status{display:inline-block;padding:1px 6px;border-radius:4px;background:#e9ecef;font-size:12px}
.st-review{background:#ffe8b3}.st-forwarded{background:#d3f2dc}.st-held{background:#e3e1fb}.st-suppressed{background:#eee}
.filters{display:flex;gap:12px;align-items:end;margin-bottom:14px;flex-wrap:wrap}
label{display:flex;flex-direction:column;gap:2px;font-size:12px;color:#444}
label.check{flex-direction:row;align-items:center;gap:4px;display:inline-flex;margin-right:10px;font-size:14px}
input,select,button{font:inherit;padding:5px 8px;border:1px solid #b8c0cc;border-radius:4px}
button{background:#17324d;color:#fff;border-color:#17324d;cursor:pointer}
.flash{padding:8px 12px;border-radius:4px}.flash.ok{background:#d3f2dc}.flash.error{background:#fde2e1}
.panel{background:#fff;border:1px solid #e2e5ea;padding:12px 16px;margin:14px 0;display:flex;flex-direction:column;gap:10px;max-width:640px}
fieldset{border:1px solid #e2e5ea}
dl.facts{display:grid;grid-template-columns:140px 1fr;gap:4px 12px;background:#fff;padding:12px 16px;border:1px solid #e2e5ea;max-width:800px}
dl.facts dt{color:#6b7480}dl.facts dd{margin:0}
ol.timeline{list-style:none;padding:0}
ol.timeline li.ev{background:#fff;border-left:4px solid #9fb3c8;margin:8px 0;padding:8px 12px}
li.decision{border-color:#6c8ebf!important}li.mail{border-color:#3f9e5a!important}li.mail-failed{border-color:#b3261e!important}li.note{border-color:#c9a227!important}
.meta{font-size:12px;color:#6b7480}.subject{font-weight:600}
pre.body{white-space:pre-wrap;background:#f8f9fb;padding:8px;margin:6px 0;max-height:320px;overflow:auto}
.withheld{font-style:italic;color:#6b7480}
section.login{max-width:320px;margin:60px auto;background:#fff;padding:20px;border:1px solid #e2e5ea}
section.login form{display:flex;flex-direction:column;gap:12px}
`;
