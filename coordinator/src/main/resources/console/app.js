// The Basalt console: a page per hash route, built with DOM calls (never innerHTML, so no name from the
// store is ever read as markup). The session lives in an HttpOnly cookie: this script never holds the secret
// past the sign-in request.
const CSRF = { 'X-Basalt-Console': '1' };
const page = document.getElementById('page');
let session = null;
let refresh = null;

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'style') Object.assign(el.style, v); // through the CSSOM: the page's CSP refuses style attributes
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

async function api(method, path, body) {
  const opts = { method, headers: method === 'GET' ? {} : { ...CSRF }, credentials: 'same-origin' };
  if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers['Content-Type'] = 'application/json'; }
  const r = await fetch(path, opts);
  const data = await r.json().catch(() => ({}));
  if (r.status === 401 && path !== '/api/login') { signedOut(); throw new Error('signed out'); }
  if (!r.ok) throw new Error(data.error || `${r.status}`);
  return data;
}

const q = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== '')).toString();

function bytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let u = 0; let v = n;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}
const rate = (n) => (n === null || n === undefined ? '–' : `${bytes(Math.round(n))}/s`);
const num = (n, digits = 1) => (n === null || n === undefined ? '–' : Number(n).toFixed(digits));

function stat(id, label, value, cls) {
  return h('div', { class: 'stat' }, h('div', { class: 'label' }, label), h('div', { class: `value ${cls || ''}`, id }, value));
}

function show(content) {
  page.replaceChildren(...[content].flat());
  page.hidden = false;
}

function errorLine(e) { return h('p', { class: 'error', role: 'alert' }, e.message || String(e)); }

// ---- sign in / out ----
function signedOut() {
  session = null;
  if (refresh) clearInterval(refresh);
  document.getElementById('login-page').hidden = false;
  for (const id of ['nav', 'who', 'logout']) document.getElementById(id).hidden = true;
  page.hidden = true;
}

function signedIn(s) {
  session = s;
  document.getElementById('login-page').hidden = true;
  for (const id of ['nav', 'who', 'logout']) document.getElementById(id).hidden = false;
  document.getElementById('who').textContent = `${s.access_key}${s.root ? ' (root)' : ''}`;
  document.getElementById('nav-overview').hidden = !s.root;
  document.getElementById('nav-operations').hidden = !s.root;
  if (!location.hash || location.hash === '#/') location.hash = s.root ? '#/overview' : '#/buckets';
  route();
}

document.getElementById('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const access = document.getElementById('login-access');
  const secret = document.getElementById('login-secret');
  const err = document.getElementById('login-error');
  err.textContent = '';
  try {
    const s = await api('POST', '/api/login', { access_key: access.value, secret_key: secret.value });
    secret.value = '';
    signedIn(s);
  } catch (e) {
    secret.value = '';
    err.textContent = e.message;
  }
});

document.getElementById('logout').addEventListener('click', async () => {
  await api('POST', '/api/logout').catch(() => {});
  location.hash = '';
  signedOut();
});

// ---- overview ----
async function overview() {
  const body = h('div', { id: 'overview' }, h('p', { class: 'muted' }, 'Loading…'));
  show(body);
  const draw = async () => {
    try {
      const o = await api('GET', '/api/overview');
      if (!document.body.contains(body)) return;
      body.replaceChildren(...overviewContent(o));
    } catch (e) {
      body.replaceChildren(errorLine(e));
    }
  };
  await draw();
  refresh = setInterval(draw, 2000);
}

function overviewContent(o) {
  const s = o.status;
  const live = s.nodes.filter((n) => n.state === 'live').length;
  const down = s.nodes.filter((n) => n.state === 'down').length;
  const draining = s.nodes.filter((n) => n.drain).length;
  const zones = new Set(s.nodes.map((n) => n.zone).filter((z) => z)).size;
  const failedDirs = s.nodes.reduce((a, n) => a + n.failed_dirs.length, 0);
  const t = o.throughput;
  const r = s.rebalance;
  return [
    h('div', { class: 'stats' },
      stat('stat-nodes-live', 'Nodes live', live, 'ok'),
      stat('stat-nodes-down', 'Nodes down', down, down ? 'bad' : 'ok'),
      stat('stat-nodes-draining', 'Nodes draining', draining),
      stat('stat-zones', 'Zones', zones || '–'),
      stat('stat-failed-dirs', 'Failed data dirs', failedDirs, failedDirs ? 'bad' : 'ok'),
      stat('stat-objects-total', 'Objects', s.objects_total),
      stat('stat-objects-degraded', 'Objects degraded', s.objects_degraded, s.objects_degraded ? 'bad' : 'ok'),
      stat('stat-leader', 'Leading coordinator', s.leader || 'none', s.leader ? 'small' : 'bad')),
    h('div', { class: 'stats' },
      stat('stat-heal-queue', 'Heal queue', s.heal.queued),
      stat('stat-healed', 'Healed segments', s.heal.healed),
      stat('stat-heal-rate', 'Heal rate limit', s.heal.rate_bytes_per_second ? rate(s.heal.rate_bytes_per_second) : 'unlimited'),
      stat('stat-gc', 'GC pending', s.gc.pending),
      stat('stat-rebalance', 'Rebalance', `${r.state}${r.planned ? ` ${r.moved}/${r.planned}` : ''}`),
      stat('stat-requests', 'S3 requests/s', num(t.requests_per_second)),
      stat('stat-in', 'Received', rate(t.received_bytes_per_second)),
      stat('stat-out', 'Sent', rate(t.sent_bytes_per_second)),
      stat('stat-latency', 'Mean latency', t.mean_latency_ms === null ? '–' : `${num(t.mean_latency_ms)} ms`)),
    h('div', { class: 'card' },
      h('h2', {}, 'Storage nodes'),
      h('table', { id: 'nodes' },
        h('thead', {}, h('tr', {}, ['Node', 'Address', 'Zone', 'State', 'Free / total', 'Data dirs', 'Shards', 'Drain', 'Suspected by'].map((c) => h('th', {}, c)))),
        h('tbody', {}, s.nodes.map((n) => h('tr', { 'data-node': n.id },
          h('td', {}, n.id), h('td', {}, n.address || '–'), h('td', {}, n.zone || '–'),
          h('td', { class: `state state-${n.state}` }, n.state),
          h('td', {}, n.total_bytes ? [h('span', { class: 'bar' }, h('span', { style: { width: `${Math.round(100 * (1 - n.free_bytes / n.total_bytes))}%` } })), ` ${bytes(n.free_bytes)} / ${bytes(n.total_bytes)}`] : '–'),
          h('td', { class: 'dirs' }, n.data_dirs.map((d) => h('div', { class: n.state === 'live' ? 'healthy' : 'muted' }, d)),
            n.failed_dirs.map((d) => h('div', { class: 'unhealthy failed-dir' }, `${d} (failed)`)),
            n.data_dirs.length || n.failed_dirs.length ? null : '–'),
          h('td', {}, `${n.shards} (${bytes(n.used_bytes)})`),
          h('td', {}, n.drain ? `${n.drain.state}: ${n.drain.moved_shards} moved, ${n.drain.remaining_shards} left${n.drain.safe_to_remove ? ' — safe to remove' : ''}` : '–'),
          h('td', {}, n.suspected_by.join('; ') || '–')))))),
    h('p', { class: 'muted' }, `Throughput from ${t.gateways_scraped} of ${t.gateways_configured} gateway metrics endpoints; refreshed every 2 s.`),
  ];
}

// ---- buckets ----
async function buckets() {
  const err = h('p', { class: 'error', role: 'alert' });
  const name = h('input', { type: 'text', id: 'new-bucket-name', placeholder: 'new-bucket-name' });
  const list = h('tbody', {});
  const create = h('button', { id: 'create-bucket', onclick: async () => {
    err.textContent = '';
    try { await api('POST', '/api/buckets', { name: name.value.trim() }); name.value = ''; await load(); } catch (e) { err.textContent = e.message; }
  } }, 'Create bucket');
  show(h('div', { class: 'card' }, h('h1', {}, 'Buckets'), h('div', { class: 'toolbar' }, name, create), err,
    h('table', { id: 'buckets' }, h('thead', {}, h('tr', {}, h('th', {}, 'Bucket'), h('th', {}, 'Created'), h('th', {}, ''))), list)));
  async function load() {
    try {
      const r = await api('GET', '/api/buckets');
      list.replaceChildren(...r.buckets.map((b) => h('tr', { 'data-bucket': b.name },
        h('td', {}, h('a', { href: `#/browse?${q({ bucket: b.name })}`, class: 'bucket-link' }, b.name)),
        h('td', {}, b.created || ''),
        h('td', {}, h('button', { class: 'danger', onclick: async () => {
          if (!confirm(`Delete bucket ${b.name}? It must be empty.`)) return;
          try { await api('DELETE', `/api/buckets?${q({ bucket: b.name })}`); await load(); } catch (e) { err.textContent = e.message; }
        } }, 'Delete')))));
      if (!r.buckets.length) list.replaceChildren(h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'No buckets.')));
    } catch (e) { err.textContent = e.message; }
  }
  await load();
}

async function browse(params) {
  const bucket = params.get('bucket');
  const prefix = params.get('prefix') || '';
  const tokens = [null]; // the token of each page seen, to go back
  let at = 0;
  const err = h('p', { class: 'error', role: 'alert' });
  const rows = h('tbody', {});
  const prev = h('button', { class: 'secondary', id: 'page-prev', onclick: () => { at--; load(); } }, '‹ Previous');
  const next = h('button', { class: 'secondary', id: 'page-next', onclick: () => { at++; load(); } }, 'Next ›');
  const file = h('input', { type: 'file', id: 'upload-input' });
  const progress = h('progress', { id: 'upload-progress', max: 100, value: 0 });
  const status = h('span', { id: 'upload-status', class: 'muted' });
  const upload = h('button', { id: 'upload-button', onclick: () => send() }, 'Upload');
  const crumbs = [h('a', { href: '#/buckets' }, 'buckets'), ' / ', h('a', { href: `#/browse?${q({ bucket })}` }, bucket), ' / '];
  let acc = '';
  for (const part of prefix.split('/').filter((p) => p)) {
    acc += `${part}/`;
    crumbs.push(h('a', { href: `#/browse?${q({ bucket, prefix: acc })}` }, part), ' / ');
  }
  show(h('div', { class: 'card' }, h('h1', { class: 'crumbs' }, crumbs),
    h('div', { class: 'toolbar' }, file, upload, progress, status), err,
    h('table', { id: 'objects' }, h('thead', {}, h('tr', {}, ['Name', 'Size', 'Modified', 'ETag', ''].map((c) => h('th', {}, c)))), rows),
    h('div', { class: 'toolbar' }, prev, next)));

  function send() {
    const f = file.files[0];
    if (!f) { err.textContent = 'Choose a file first.'; return; }
    err.textContent = '';
    upload.disabled = true;
    const xhr = new XMLHttpRequest(); // fetch reports no upload progress
    xhr.open('PUT', `/api/object?${q({ bucket, key: prefix + f.name })}`);
    xhr.setRequestHeader('X-Basalt-Console', '1');
    xhr.setRequestHeader('Content-Type', f.type || 'application/octet-stream');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) { progress.value = Math.round(100 * e.loaded / e.total); status.textContent = `${bytes(e.loaded)} of ${bytes(e.total)}`; } };
    xhr.onload = () => {
      upload.disabled = false;
      if (xhr.status === 200) { progress.value = 100; status.textContent = `uploaded ${f.name}`; load(); } else {
        let m = `${xhr.status}`; try { m = JSON.parse(xhr.responseText).error; } catch (_) { /* keep the status */ }
        err.textContent = m;
      }
    };
    xhr.onerror = () => { upload.disabled = false; err.textContent = 'upload failed: the connection broke'; };
    xhr.send(f);
  }

  async function load() {
    try {
      const r = await api('GET', `/api/objects?${q({ bucket, prefix, token: tokens[at] })}`);
      tokens[at + 1] = r.next_token;
      prev.disabled = at === 0;
      next.disabled = !r.next_token;
      const out = r.prefixes.map((p) => h('tr', { class: 'prefix-row', 'data-prefix': p },
        h('td', {}, h('a', { href: `#/browse?${q({ bucket, prefix: p })}` }, `${p.slice(prefix.length)}`)), h('td', {}, '–'), h('td', {}, ''), h('td', {}, ''), h('td', {}, '')));
      for (const o of r.objects) {
        out.push(h('tr', { class: 'object-row', 'data-key': o.key },
          h('td', {}, h('a', { href: `#/object?${q({ bucket, key: o.key })}`, class: 'details-link' }, o.key.slice(prefix.length))),
          h('td', { class: 'size' }, bytes(o.size)), h('td', {}, o.last_modified || ''), h('td', { class: 'etag' }, o.etag || ''),
          h('td', {}, h('a', { href: `/api/object?${q({ bucket, key: o.key })}`, download: o.key.split('/').pop(), class: 'download-link' }, 'Download'), ' ',
            h('button', { class: 'danger', onclick: async () => {
              if (!confirm(`Delete ${o.key}?`)) return;
              try { await api('DELETE', `/api/object?${q({ bucket, key: o.key })}`); await load(); } catch (e) { err.textContent = e.message; }
            } }, 'Delete'))));
      }
      rows.replaceChildren(...(out.length ? out : [h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'Empty.'))]));
    } catch (e) { err.textContent = e.message; }
  }
  await load();
}

async function objectDetails(params) {
  const bucket = params.get('bucket');
  const key = params.get('key');
  const box = h('div', { class: 'card', id: 'object-details' }, h('p', { class: 'muted' }, 'Loading…'));
  show(box);
  try {
    const d = await api('GET', `/api/object/details?${q({ bucket, key })}`);
    const p = d.placement;
    const up = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
    box.replaceChildren(
      h('h1', { class: 'crumbs' }, h('a', { href: `#/browse?${q({ bucket, prefix: up })}` }, bucket), ` / ${key}`),
      h('table', {}, h('tbody', {},
        h('tr', {}, h('th', {}, 'Size'), h('td', { id: 'detail-size' }, `${bytes(d.head.size)} (${d.head.size} bytes)`)),
        h('tr', {}, h('th', {}, 'ETag'), h('td', { id: 'detail-etag' }, d.head.etag)),
        h('tr', {}, h('th', {}, 'Content type'), h('td', {}, d.head.content_type)),
        h('tr', {}, h('th', {}, 'Modified'), h('td', {}, d.head.last_modified)),
        h('tr', {}, h('th', {}, 'Health'), h('td', { id: 'detail-health', class: p && p.degraded ? 'unhealthy' : 'healthy' }, p ? (p.degraded ? 'degraded: healing will rebuild the missing shards' : 'healthy') : 'no record')))),
      h('p', {}, h('a', { href: `/api/object?${q({ bucket, key })}`, download: key.split('/').pop(), class: 'download-link' }, 'Download')),
      ...(p ? p.segments.map((s, i) => h('div', {},
        h('h2', {}, `Segment ${i + 1}: ${bytes(s.size)}, layout ${s.k}+${s.m}`),
        h('table', { class: 'shards', 'data-layout': `${s.k}+${s.m}` },
          h('thead', {}, h('tr', {}, ['Shard', 'Kind', 'Node', 'Node state', 'Shard'].map((c) => h('th', {}, c)))),
          h('tbody', {}, s.shards.map((x) => h('tr', { 'data-shard': x.index },
            h('td', {}, x.index), h('td', {}, x.parity ? 'parity' : 'data'), h('td', {}, x.node || '–'),
            h('td', { class: `state-${x.node_state}` }, x.node_state),
            h('td', { class: x.healthy ? 'healthy' : 'unhealthy' }, x.healthy ? 'healthy' : 'missing'))))))) : []));
  } catch (e) { box.replaceChildren(errorLine(e)); }
}

// ---- operations ----
async function operations() {
  const err = h('p', { class: 'error', role: 'alert' });
  const note = h('p', { class: 'muted', id: 'ops-note' });
  const nodes = h('tbody', {});
  const rateInput = h('input', { type: 'number', id: 'heal-rate-input', min: 0, step: 'any', placeholder: 'MB/s (0: unlimited)' });
  const act = async (what, path, body) => {
    err.textContent = '';
    try { await api('POST', path, body); note.textContent = `${what}: asked of the leading coordinator.`; await load(); } catch (e) { err.textContent = e.message; }
  };
  show(h('div', {},
    h('div', { class: 'card' }, h('h1', {}, 'Operations'),
      h('div', { class: 'toolbar' },
        h('button', { id: 'heal-now', onclick: () => act('Full heal scan', '/api/ops/heal') }, 'Heal now'),
        h('span', { id: 'heal-state', class: 'muted' })),
      h('div', { class: 'toolbar' }, h('label', {}, 'Heal rate (MB/s, 0 = unlimited) ', rateInput),
        h('button', { id: 'heal-rate-set', onclick: () => act('Heal rate', '/api/ops/heal-rate', { mbps: rateInput.value }) }, 'Set')),
      note, err),
    h('div', { class: 'card' }, h('h2', {}, 'Drain a node'),
      h('p', { class: 'muted' }, 'A draining node takes no new shards; the coordinator moves its shards away. Undrain cancels.'),
      h('table', { id: 'ops-nodes' }, h('thead', {}, h('tr', {}, ['Node', 'State', 'Shards', 'Drain', ''].map((c) => h('th', {}, c)))), nodes))));
  async function load() {
    try {
      const o = await api('GET', '/api/overview');
      const hs = o.status.heal;
      document.getElementById('heal-state').textContent = `queue ${hs.queued}, healed ${hs.healed}${hs.request_pending ? ', full scan pending' : ''}; rate ${o.heal_rate_mbps === null ? 'from the coordinator flag' : `${o.heal_rate_mbps} MB/s (set at run time)`}`;
      nodes.replaceChildren(...o.status.nodes.map((n) => h('tr', { 'data-node': n.id },
        h('td', {}, n.id), h('td', { class: `state-${n.state}` }, n.state), h('td', {}, n.shards),
        h('td', {}, n.drain ? `${n.drain.state}, ${n.drain.remaining_shards} left${n.drain.safe_to_remove ? ' — safe to remove' : ''}` : '–'),
        h('td', {}, n.drain
          ? h('button', { class: 'secondary undrain', onclick: () => act(`Undrain ${n.id}`, '/api/ops/undrain', { node: n.id }) }, 'Undrain')
          : h('button', { class: 'danger drain', onclick: () => { if (confirm(`Drain ${n.id}?`)) act(`Drain ${n.id}`, '/api/ops/drain', { node: n.id }); } }, 'Drain')))));
    } catch (e) { err.textContent = e.message; }
  }
  await load();
  refresh = setInterval(load, 3000);
}

// ---- routing ----
async function route() {
  if (!session) return;
  if (refresh) { clearInterval(refresh); refresh = null; }
  const [path, query] = (location.hash.slice(1) || '/').split('?');
  const params = new URLSearchParams(query || '');
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', path.startsWith(a.getAttribute('href').slice(1)));
  switch (path) {
    case '/overview': return overview();
    case '/buckets': return buckets();
    case '/browse': return browse(params);
    case '/object': return objectDetails(params);
    case '/operations': return operations();
    default: location.hash = session.root ? '#/overview' : '#/buckets';
  }
}

window.addEventListener('hashchange', route);
api('GET', '/api/session').then((s) => (s.signed_in ? signedIn(s) : signedOut())).catch(() => signedOut());
