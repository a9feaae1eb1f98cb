// The staff review desk: sign in; the sessions with their counts; captures found by session,
// status and capture code; a large view with every check, the original frame and the liveness
// report; decisions by keyboard (A approve, R reject with the chosen reason, N / → next, ← back)
// that name the version they saw; a bulk approval; the export of a session's approved photos.
// The session is an HttpOnly cookie; photos load through it.
const $ = (id) => document.getElementById(id);
const STATUS = { pending: '待审核', approved: '已通过', rejected: '未通过', replaced: '已重拍' };
const FAULTS = {
  'photo.no_face': '照片中找不到人脸', 'photo.background': '背景不均匀', 'photo.leftover': '背景残留原环境',
  'photo.fringe': '人像边缘有杂边', 'photo.head_cut': '头顶被裁切', 'photo.layout': '头像位置或大小不合规格',
};
let me = null;
let config = { checks: {}, reasons: [], timeZone: 'Asia/Shanghai' };
let next = null;
let shown = []; // the captures on the page, in order
let viewing = -1; // the one in the large view

const api = (path, init = {}) => fetch(path, { credentials: 'same-origin', ...init });
const json = (body) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const canDecide = () => me?.role === 'reviewer' || me?.role === 'admin';

/** A time in the school's time zone, e.g. 2026/12/07 14:05. */
function when(iso) {
  if (!iso) return '—';
  try {
    return new Intl.DateTimeFormat('zh-CN', { timeZone: config.timeZone, dateStyle: 'short', timeStyle: 'short' }).format(new Date(iso));
  } catch {
    return new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'short' }).format(new Date(iso));
  }
}

/** The start of day `date` (YYYY-MM-DD) in the desk's time zone and of the day after, as UTC RFC 3339. */
function dayBounds(date) {
  const start = (d) => {
    // The zone's offset on that day, from the browser's time zone data ("GMT+08:00").
    const probe = new Date(`${d}T12:00:00Z`);
    let offset = '+00:00';
    try {
      const name = new Intl.DateTimeFormat('en-US', { timeZone: config.timeZone, timeZoneName: 'longOffset' })
        .formatToParts(probe).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
      offset = name === 'GMT' ? '+00:00' : name.slice(3);
    } catch { offset = '+08:00'; }
    return new Date(`${d}T00:00:00${offset}`).toISOString().replace(/\.\d{3}Z$/, 'Z');
  };
  const after = new Date(`${date}T12:00:00Z`);
  after.setUTCDate(after.getUTCDate() + 1);
  return [start(date), start(after.toISOString().slice(0, 10))];
}

function say(text) {
  $('announce').textContent = text;
}

async function start() {
  const res = await api('/api/staff/me');
  me = res.ok ? await res.json() : null;
  $('signin').hidden = !!me;
  $('work').hidden = !me;
  $('signout').hidden = !me;
  $('bulk').hidden = !canDecide();
  $('view-decide').hidden = !canDecide();
  const roles = { admin: '管理', reviewer: '审核', viewer: '只读' };
  $('who').textContent = me ? `${me.name}（${roles[me.role] ?? me.role}）` : '';
  if (!me) { $('name').focus(); return; }
  const got = await api('/review/config.json');
  if (got.ok) config = await got.json();
  $('preset').replaceChildren(new Option('选择常见原因…', ''), ...config.reasons.map((r) => new Option(r, r)));
  $('manage').hidden = me.role !== 'admin';
  await sessions();
  await load(true);
  await audit();
  if (me.role === 'admin') await manage();
}

const button = (text, onclick, cls = 'plain') => {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.className = cls;
  b.onclick = onclick;
  return b;
};

/** Reports a failed change in words. */
async function failed(res) {
  const body = await res.json().catch(() => ({}));
  say(`未完成：${body.error?.message ?? res.status}`);
}

/** The admin's panel: sessions to rename, open or close; accounts to change or remove. */
async function manage() {
  const got = await api('/api/sessions');
  if (got.ok) {
    const rows = (await got.json()).items.filter((s) => s.code).map((s) => {
      const row = document.createElement('div');
      const label = document.createElement('span');
      label.textContent = `${s.code} · ${s.name}${s.school ? ` · ${s.school}` : ''} · ${s.open ? '采集中' : '已关闭'}`;
      row.append(label,
        button('改名', async () => {
          const name = prompt('场次名称', s.name);
          if (!name) return;
          const res = await api(`/api/sessions/${encodeURIComponent(s.code)}`, json({ name }));
          if (res.ok) { say(`场次 ${s.code} 已改名`); manage(); sessions(); } else failed(res);
        }),
        button(s.open ? '关闭采集' : '重新开放', async () => {
          const res = await api(`/api/sessions/${encodeURIComponent(s.code)}`, json({ open: !s.open }));
          if (res.ok) { say(`场次 ${s.code} ${s.open ? '已关闭' : '已开放'}`); manage(); sessions(); } else failed(res);
        }));
      return row;
    });
    $('manage-sessions').replaceChildren(...rows);
  }
  const accounts = await api('/api/accounts');
  if (accounts.ok) {
    const roles = { admin: '管理', reviewer: '审核', viewer: '只读' };
    const rows = (await accounts.json()).items.map((a) => {
      const row = document.createElement('div');
      const label = document.createElement('span');
      label.textContent = `${a.name} · ${roles[a.role] ?? a.role}`;
      row.append(label);
      if (a.name !== me.name) {
        const role = document.createElement('select');
        role.setAttribute('aria-label', `${a.name} 的角色`);
        role.append(...Object.entries(roles).map(([v, t]) => new Option(t, v, false, v === a.role)));
        role.onchange = async () => {
          const res = await api(`/api/accounts/${encodeURIComponent(a.name)}`, json({ role: role.value }));
          if (res.ok) { say(`${a.name} 现为「${roles[role.value]}」`); manage(); } else failed(res);
        };
        row.append(role,
          button('重设密码', async () => {
            const password = prompt(`${a.name} 的新密码（至少 10 个字符；其登录会失效）`);
            if (!password) return;
            const res = await api(`/api/accounts/${encodeURIComponent(a.name)}`, json({ password }));
            if (res.ok) say(`${a.name} 的密码已重设`); else failed(res);
          }),
          button('删除', async () => {
            if (!confirm(`删除账号 ${a.name}？`)) return;
            const res = await api(`/api/accounts/${encodeURIComponent(a.name)}`, json({ remove: true }));
            if (res.ok) { say(`账号 ${a.name} 已删除`); manage(); } else failed(res);
          }, 'reject'));
      }
      return row;
    });
    $('manage-accounts').replaceChildren(...rows);
  }
}

/** The sessions with their counts, and the session picker. */
async function sessions() {
  const res = await api('/api/sessions');
  if (!res.ok) return;
  const items = (await res.json()).items;
  const picker = $('session');
  const chosen = picker.value;
  picker.replaceChildren(new Option('全部场次', ''), ...items.filter((s) => s.code).map((s) => new Option(`${s.name}（${s.code}${s.open ? '' : '，已关闭'}）`, s.code)));
  picker.value = chosen;
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const t of ['场次', '待审核', '已通过', '未通过', '已重拍', '已删除', '合计']) {
    const th = document.createElement('th');
    th.textContent = t;
    th.scope = 'col';
    head.append(th);
  }
  const body = table.createTBody();
  for (const s of items) {
    const tr = body.insertRow();
    if (s.code === chosen) tr.className = 'chosen';
    const c = s.counts;
    const name = s.code ? `${s.name ?? '未登记场次'} ${s.code}${s.open === false ? '（已关闭）' : ''}` : '未指定场次';
    for (const v of [name, c.pending, c.approved, c.rejected, c.replaced, c.purged, c.total]) tr.insertCell().textContent = v;
  }
  $('counts').replaceChildren(table);
  $('export').hidden = !chosen;
  $('naming-box').hidden = !chosen;
  exportLink();
  await roster();
}

function exportLink() {
  const chosen = $('session').value;
  if (!chosen) return;
  const query = new URLSearchParams({ session: chosen, nameBy: $('naming').value });
  $('export').href = `/api/export?${query}`;
  $('export').setAttribute('download', '');
}

const STANDING = { missing: '未提交', pending: '待审核', rejected: '未通过', approved: '已通过' };

/** The chosen session's roster: who is expected, and who has not got an approved photo yet. */
async function roster() {
  const chosen = $('session').value;
  $('roster').hidden = !chosen;
  $('roster-import').hidden = me?.role !== 'admin';
  if (!chosen) return;
  const res = await api(`/api/sessions/${encodeURIComponent(chosen)}/roster`);
  if (!res.ok) return;
  const { items, counts } = await res.json();
  $('roster-summary').textContent = counts.total
    ? `名单：应到 ${counts.total} 人 · 未提交 ${counts.missing} · 待审核 ${counts.pending} · 未通过 ${counts.rejected} · 已通过 ${counts.approved}`
    : '名单：未导入（导入后可查看谁还没有提交）';
  const order = { missing: 0, rejected: 1, pending: 2 };
  const waiting = items.filter((s) => s.status !== 'approved').sort((a, b) => order[a.status] - order[b.status]);
  const table = $('roster-table');
  table.replaceChildren();
  if (!waiting.length) return;
  const head = table.createTHead().insertRow();
  for (const t of ['状态', '学号', '姓名', '院系', '采集码']) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = t;
    head.append(th);
  }
  const body = table.createTBody();
  for (const s of waiting) {
    const tr = body.insertRow();
    for (const v of [STANDING[s.status], s.studentNumber ?? '—', s.name ?? '—', s.department ?? '—', s.captureCode]) tr.insertCell().textContent = v;
  }
}

async function load(fresh) {
  const query = new URLSearchParams({ limit: '48' });
  const status = $('filter').value;
  const code = $('search').value.trim();
  if (status && !code) query.set('status', status);
  if (code) query.set('captureCode', code);
  if ($('day').value) {
    const [from, until] = dayBounds($('day').value);
    query.set('from', from);
    query.set('until', until);
  }
  if ($('session').value) query.set('session', $('session').value);
  if (!fresh && next) query.set('before', next);
  const res = await api(`/api/captures?${query}`);
  if (res.status === 401) return start();
  const list = $('list');
  if (fresh) { list.replaceChildren(); shown = []; }
  if (!res.ok) { say(`无法读取：${res.status}`); return; }
  const page = await res.json();
  next = page.next;
  shown.push(...page.items);
  for (const c of page.items) list.append(card(c));
  markDuplicates();
  $('empty').hidden = shown.length > 0;
  $('more').hidden = !next;
  picked();
}

/** Flags a capture code approved more than once among those shown (two phones, one student). */
function markDuplicates() {
  const approved = new Map();
  for (const c of shown) if (c.status === 'approved' && c.captureCode) approved.set(c.captureCode, (approved.get(c.captureCode) ?? 0) + 1);
  for (const el of $('list').children) {
    const c = shown.find((x) => x.id === el.dataset.id);
    el.querySelector('.flag')?.remove();
    if (c && approved.get(c.captureCode) > 1) el.append(line('同一采集码有多张已通过照片：导出时只取最后通过的一张', 'flag'));
  }
}

function line(text, cls) {
  const p = document.createElement('p');
  p.textContent = text;
  if (cls) p.className = cls;
  return p;
}

function checkName(id) {
  return config.checks[id]?.zh ?? FAULTS[id] ?? id;
}

function card(c) {
  const el = document.createElement('section');
  el.className = 'card';
  el.dataset.id = c.id;
  el.setAttribute('aria-label', `采集码 ${c.captureCode ?? '—'}`);
  if (c.purgedAt) {
    const gone = document.createElement('div');
    gone.className = 'gone';
    gone.textContent = `照片已删除（${when(c.purgedAt)}）`;
    el.append(gone);
  } else {
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'photo';
    open.setAttribute('aria-label', `查看大图：采集码 ${c.captureCode ?? c.id}`);
    const img = document.createElement('img');
    img.alt = '';
    img.loading = 'lazy';
    img.src = `/api/captures/${encodeURIComponent(c.id)}/photo`;
    open.append(img);
    open.onclick = () => view(shown.findIndex((x) => x.id === c.id));
    el.append(open);
  }
  const v = c.verdict ?? {};
  const decided = c.reviewedBy ? ` · ${c.reviewedBy} ${when(c.reviewedAt)}` : '';
  el.append(
    line(`采集码 ${c.captureCode ?? '—'} · 场次 ${c.sessionCode ?? '—'}`),
    line(`${STATUS[c.status] ?? c.status}${c.reason ? `：${c.reason}` : ''}${decided}`, c.status === 'rejected' ? 'fail' : ''),
  );
  if (!c.purgedAt) {
    el.append(line(v.pass ? '自动检查：通过' : `自动检查：未通过${v.firstFailure ? `（${checkName(v.firstFailure)}）` : ''}`, v.pass ? 'pass' : 'fail'));
    el.append(line(`上传于 ${when(c.createdAt)}${v.live === false ? ' · 客户端未声明实时拍摄' : ''}`, 'note'));
  }
  if (c.replaces) el.append(line(`重拍，取代了之前的一张（${c.replaces.slice(0, 8)}…）`, 'note'));
  if (c.replacedBy) el.append(line(`已被重拍取代（${c.replacedBy.slice(0, 8)}…）`, 'note'));
  if (canDecide() && open(c)) {
    const pick = document.createElement('label');
    pick.className = 'pick';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.className = 'picked';
    box.onchange = picked;
    pick.append(box, ' 选择（批量通过）');
    el.append(pick);
  }
  return el;
}

/** Whether a capture can still be decided on. */
const open = (c) => !c.replacedBy && !c.purgedAt;

function picked() {
  const n = $('list').querySelectorAll('input.picked:checked').length;
  $('picked').textContent = n;
  $('bulk').disabled = n === 0;
}

/** Shows capture `i` of the page in the large view. */
function view(i) {
  if (i < 0 || i >= shown.length) return;
  viewing = i;
  const c = shown[i];
  const v = c.verdict ?? {};
  $('view-title').textContent = `采集码 ${c.captureCode ?? '—'} · 场次 ${c.sessionCode ?? '—'}（${i + 1} / ${shown.length}）`;
  $('view-status').textContent = `${STATUS[c.status] ?? c.status}${c.reason ? `：${c.reason}` : ''}${c.reviewedBy ? ` · ${c.reviewedBy} ${when(c.reviewedAt)}` : ''}`;
  $('view-photo').src = c.purgedAt ? '' : `/api/captures/${encodeURIComponent(c.id)}/photo`;
  $('view-original-box').hidden = !c.originalSha256 || !!c.purgedAt;
  if (c.originalSha256 && !c.purgedAt) $('view-original').src = `/api/files/${c.originalSha256}`;
  $('view-summary').textContent = v.width ? `${v.width}×${v.height} · ${(v.bytes / 1024).toFixed(1)} KB${v.sizeOk === false ? '（文件大小不合规格）' : ''} · 自动检查${v.pass ? '通过' : '未通过'}` : '';
  $('view-checks').replaceChildren(...(v.checks ?? []).map((k) => {
    const li = document.createElement('li');
    li.className = k.pass ? 'pass' : 'fail';
    li.textContent = `${k.pass ? '✓' : '✗'} ${checkName(k.id)}（${k.score}）`;
    return li;
  }));
  const self = v.selfCheck;
  $('view-self').textContent = self ? `成片自检：${self.faults?.length ? self.faults.map(checkName).join('、') : '无问题'}` : '';
  const l = v.liveness;
  $('view-liveness').textContent = l && v.live
    ? `客户端实拍检查：观察 ${(l.watchedMs / 1000).toFixed(1)} 秒 · 立体转动 ${l.deepTurns} 次 · 平面转动 ${l.flatTurns} 次 · 反光滑动 ${l.glareSlides} 次${l.blinkAgeMs == null ? '' : ` · ${(l.blinkAgeMs / 1000).toFixed(1)} 秒前眨眼`}`
    : '';
  $('preset').value = '';
  $('reason').value = '';
  for (const id of ['approve', 'reject']) $(id).disabled = !open(c);
  if (!$('view').open) $('view').showModal();
}

/** Decides on capture `c`; the card is redrawn in place, and a decision someone made since is shown, not overwritten. */
async function decide(c, status, reason) {
  if (!open(c)) return false;
  if (c.status !== 'pending' && c.status !== status && !confirm(`这张照片已是「${STATUS[c.status]}」（${c.reviewedBy ?? ''}），确定改为「${STATUS[status]}」？学生可能已看到之前的结果。`)) return false;
  if (status === 'rejected' && !reason) { say('不通过需要原因：请选择常见原因或填写'); $('preset').focus(); return false; }
  const res = await api(`/api/captures/${encodeURIComponent(c.id)}/review`, json({ status, reason: reason || null, version: c.version }));
  const body = await res.json().catch(() => ({}));
  if (res.status === 401) { start(); return false; }
  const now = res.ok ? body : body.capture;
  if (now) replace(now);
  if (res.ok) {
    say(`采集码 ${c.captureCode ?? c.id}：${STATUS[status]}`);
    return true;
  }
  say(res.status === 409 && body.capture
    ? `未保存：${body.capture.reviewedBy} 已于 ${when(body.capture.reviewedAt)} 审核为「${STATUS[body.capture.status]}」，请查看后再决定`
    : `未保存：${body.error?.message ?? res.status}`);
  return false;
}

/** Puts the capture as it is now in place of the shown one. */
function replace(c) {
  const i = shown.findIndex((x) => x.id === c.id);
  if (i < 0) return;
  shown[i] = c;
  const old = $('list').querySelector(`[data-id="${CSS.escape(c.id)}"]`);
  old?.replaceWith(card(c));
  markDuplicates();
  picked();
  if (viewing === i && $('view').open) view(i);
}

async function decideViewed(status) {
  const c = shown[viewing];
  if (!c) return;
  const reason = status === 'rejected' ? ($('reason').value.trim() || $('preset').value) : null;
  if (await decide(c, status, reason)) {
    sessions();
    audit();
    if (viewing + 1 < shown.length) view(viewing + 1);
  }
}

async function audit() {
  const res = await api('/api/audit?limit=50');
  if (!res.ok) return;
  const code = new Map(shown.map((c) => [c.id, c.captureCode]));
  const rows = (await res.json()).items.map((d) => {
    const tr = document.createElement('tr');
    for (const text of [when(d.decidedAt), d.staff, code.get(d.captureId) ?? d.captureId.slice(0, 8), STATUS[d.status] ?? d.status, d.reason ?? '']) {
      tr.insertCell().textContent = text;
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
$('add-session').addEventListener('submit', async (e) => {
  e.preventDefault();
  const session = { code: $('new-code').value.trim(), name: $('new-name').value.trim(), school: $('new-school').value.trim(), open: true };
  const res = await api('/api/sessions', json(session));
  if (res.ok) { say(`场次 ${session.code} 已添加`); e.target.reset(); manage(); sessions(); } else failed(res);
});
$('add-account').addEventListener('submit', async (e) => {
  e.preventDefault();
  const account = { name: $('acc-name').value.trim(), role: $('acc-role').value, password: $('acc-password').value };
  const res = await api('/api/accounts', json(account));
  if (res.ok) { say(`账号 ${account.name} 已添加`); e.target.reset(); manage(); } else failed(res);
});
$('password-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const res = await api('/api/staff/password', json({ old: $('old-password').value, new: $('new-password').value }));
  e.target.reset();
  if (res.ok) say('密码已修改；其他设备上的登录已失效'); else failed(res);
});
$('day').addEventListener('change', () => load(true));
$('naming').addEventListener('change', exportLink);
$('roster-import').addEventListener('submit', async (e) => {
  e.preventDefault();
  const file = $('roster-file').files[0];
  if (!file) { say('请选择名单文件（CSV）'); return; }
  const res = await api(`/api/sessions/${encodeURIComponent($('session').value)}/roster`, {
    method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: await file.text(),
  });
  if (res.ok) { say(`名单已导入：${(await res.json()).imported} 人`); e.target.reset(); roster(); } else failed(res);
});
$('signout').addEventListener('click', async () => { await api('/api/staff/sign-out', { method: 'POST' }); start(); });
$('tools').addEventListener('submit', (e) => { e.preventDefault(); load(true); });
$('filter').addEventListener('change', () => load(true));
$('session').addEventListener('change', () => { sessions(); load(true); });
$('more').addEventListener('click', () => load(false));
$('bulk').addEventListener('click', async () => {
  const ids = [...$('list').querySelectorAll('input.picked:checked')].map((b) => b.closest('.card').dataset.id);
  if (!ids.length || !confirm(`确定通过所选的 ${ids.length} 张照片？`)) return;
  let done = 0;
  for (const id of ids) {
    const c = shown.find((x) => x.id === id);
    if (c && await decide(c, 'approved', null)) done += 1;
  }
  say(`已通过 ${done} / ${ids.length} 张`);
  sessions();
  audit();
});
$('view-close').addEventListener('click', () => $('view').close());
$('approve').addEventListener('click', () => decideViewed('approved'));
$('reject').addEventListener('click', () => decideViewed('rejected'));
$('next').addEventListener('click', () => view(viewing + 1));
$('prev').addEventListener('click', () => view(viewing - 1));
$('view').addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.ctrlKey || e.metaKey || e.altKey) return;
  const key = e.key.toLowerCase();
  if (key === 'a' && canDecide()) decideViewed('approved');
  else if (key === 'r' && canDecide()) decideViewed('rejected');
  else if (key === 'n' || key === 'arrowright') view(viewing + 1);
  else if (key === 'p' || key === 'arrowleft') view(viewing - 1);
  else return;
  e.preventDefault();
});
start();
