// The staff review page: sign in, list captures a page at a time, approve or reject with a reason,
// and read the audit of every decision. The session is an HttpOnly cookie; photos load through it.
const $ = (id) => document.getElementById(id);
const STATUS = { pending: '待审核', approved: '已通过', rejected: '未通过', replaced: '已重拍' };
let me = null;
let next = null;

const api = (path, init = {}) => fetch(path, { credentials: 'same-origin', ...init });
const json = (body) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

async function start() {
  const res = await api('/api/staff/me');
  me = res.ok ? await res.json() : null;
  $('signin').hidden = !!me;
  $('work').hidden = !me;
  $('signout').hidden = !me;
  $('who').textContent = me ? `${me.name}（${me.role === 'reviewer' ? '审核' : '只读'}）` : '';
  if (me) { await load(true); await audit(); }
}

async function load(fresh) {
  const status = $('filter').value;
  const query = new URLSearchParams({ limit: '24' });
  if (status) query.set('status', status);
  if (!fresh && next) query.set('before', next);
  const res = await api(`/api/captures?${query}`);
  if (res.status === 401) return start();
  const list = $('list');
  if (fresh) list.replaceChildren();
  if (!res.ok) { list.textContent = `无法读取：${res.status}`; return; }
  const page = await res.json();
  next = page.next;
  for (const c of page.items) list.append(card(c));
  $('empty').hidden = list.children.length > 0;
  $('more').hidden = !next;
}

function line(text, cls) {
  const p = document.createElement('p');
  p.textContent = text;
  if (cls) p.className = cls;
  return p;
}

function card(c) {
  const el = document.createElement('section');
  el.className = 'card';
  el.dataset.id = c.id;
  const img = document.createElement('img');
  img.alt = c.captureCode ?? c.id;
  img.loading = 'lazy';
  if (!c.purgedAt) img.src = `/api/captures/${encodeURIComponent(c.id)}/photo`;
  const v = c.verdict ?? {};
  const decided = c.reviewedBy ? ` · ${c.reviewedBy} ${c.reviewedAt}` : '';
  el.append(
    img,
    line(`采集码 ${c.captureCode ?? '—'} · 场次 ${c.sessionCode ?? '—'}`),
    line(`${STATUS[c.status] ?? c.status}${c.reason ? `：${c.reason}` : ''}${decided}`, c.status === 'rejected' ? 'fail' : ''),
    line(v.pass ? '自动检查：通过' : `自动检查：未通过${v.firstFailure ? `（${v.firstFailure}）` : ''}`, v.pass ? 'pass' : 'fail'),
    line(`${v.width}×${v.height} · ${(v.bytes / 1024).toFixed(1)} KB · ${c.createdAt}${v.live ? '' : ' · 客户端未声明实时拍摄'}`),
  );
  const l = v.liveness;
  if (l && v.live) {
    // The component's own report of its recapture cues before the shutter.
    const blink = l.blinkAgeMs == null ? '' : ` · ${(l.blinkAgeMs / 1000).toFixed(1)} 秒前眨眼`;
    const relief = l.relief == null ? '' : ` · 近远立体 ${l.relief.toFixed(2)}`;
    el.append(line(`客户端实拍检查：观察 ${(l.watchedMs / 1000).toFixed(1)} 秒 · 立体转动 ${l.deepTurns} 次 · 平面转动 ${l.flatTurns} 次 · 反光滑动 ${l.glareSlides} 次${blink}${relief}`, 'note'));
  }
  if (me?.role === 'reviewer' && !c.replacedBy && !c.purgedAt) el.append(decision(c));
  return el;
}

function decision(c) {
  const reason = document.createElement('input');
  reason.type = 'text';
  reason.placeholder = '不通过原因（学生会看到）';
  const button = (text, cls, status) => {
    const b = document.createElement('button');
    b.textContent = text;
    b.className = cls;
    b.onclick = async () => {
      const res = await api(`/api/captures/${encodeURIComponent(c.id)}/review`, json({ status, reason: reason.value || null }));
      if (res.ok) { await load(true); await audit(); } else alert((await res.json()).error?.message ?? res.status);
    };
    return b;
  };
  const row = document.createElement('div');
  row.className = 'row';
  row.append(reason, button('通过', 'approve', 'approved'), button('不通过', 'reject', 'rejected'));
  return row;
}

async function audit() {
  const res = await api('/api/audit?limit=50');
  if (!res.ok) return;
  const rows = (await res.json()).items.map((d) => {
    const tr = document.createElement('tr');
    for (const text of [d.decidedAt, d.staff, d.captureId, STATUS[d.status] ?? d.status, d.reason ?? '']) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  });
  $('audit-rows').replaceChildren(...rows);
}

$('signin').addEventListener('submit', async (e) => {
  e.preventDefault();
  const res = await api('/api/staff/sign-in', json({ name: $('name').value, password: $('password').value }));
  $('password').value = '';
  if (res.ok) { $('signin-error').textContent = ''; return start(); }
  $('signin-error').textContent = res.status === 429 ? '尝试次数过多，请一分钟后再试' : '账号或密码不正确';
});
$('signout').addEventListener('click', async () => { await api('/api/staff/sign-out', { method: 'POST' }); start(); });
$('filter').addEventListener('change', () => load(true));
$('more').addEventListener('click', () => load(false));
start();
