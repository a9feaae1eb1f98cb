// The staff review desk: sign in; the sessions with their counts; captures found by session,
// status and capture code; a large view with every check, the original frame and the liveness
// report; decisions by keyboard (A approve, R reject with the chosen reason, N / → next, ← back)
// that name the version they saw; a bulk approval; the export of a session's approved photos.
// The session is an HttpOnly cookie; photos load through it.
const $ = (id) => document.getElementById(id);

// zh-CN first; English with ?lang=en (the header's English / 中文 switches). Every text is
// written in Chinese here and looked up in EN, with {0}, {1} … for what is filled in.
const LANG = new URLSearchParams(location.search).get('lang')?.toLowerCase().startsWith('en') ? 'en' : 'zh';
const EN = {
  '毕业生学历图像审核': 'Graduate portrait review', '退出': 'Sign out', '工作人员登录': 'Staff sign-in',
  '账号': 'Account', '密码': 'Password', '登录': 'Sign in', '场次': 'Session', '状态': 'Status', '采集码': 'Capture code',
  '上传日期': 'Upload date', '查找': 'Find', '批量通过所选（': 'Approve selected (', '导出照片命名': 'Name exported photos',
  '按采集码': 'by capture code', '按学号（名单）': 'by student number (roster)', '导出已通过照片（ZIP）': 'Export approved photos (ZIP)',
  '全部场次': 'All sessions', '待审核': 'Pending', '已通过': 'Approved', '未通过': 'Rejected', '已重拍': 'Retaken',
  '全部': 'All', '已删除': 'Purged', '合计': 'Total', '名单': 'Roster', '导入': 'Import',
  '导入名单（CSV：采集码、学号、姓名、院系）': 'Import a roster (CSV: 采集码, 学号, 姓名, 院系)', '没有记录。': 'Nothing here.',
  '加载更多': 'Load more', '管理：场次与账号': 'Manage: sessions and accounts', '场次码': 'Session code',
  '名称（学生确认时看到）': 'Name (the student confirms it)', '学校': 'School', '添加场次': 'Add session',
  '角色': 'Role', '审核': 'Reviewer', '只读': 'Viewer', '管理': 'Admin', '初始密码（至少 10 个字符）': 'First password (10+ characters)',
  '添加账号': 'Add account', '修改我的密码': 'Change my password', '原密码': 'Current password',
  '新密码（至少 10 个字符）': 'New password (10+ characters)', '修改密码': 'Change password',
  '审核记录（谁、何时、结论、原因）': 'Decisions (who, when, what, why)', '时间': 'Time', '审核人': 'Reviewer',
  '结论': 'Decision', '原因': 'Reason', '关闭': 'Close', '标准照片（原尺寸 480×640）': 'Standard photo (actual size, 480×640)',
  '不通过原因（学生会看到）': 'Reason for rejecting (the student reads it)', '选择常见原因…': 'Choose a common reason…',
  '或填写原因': 'or write one', '通过': 'Approve', '不通过': 'Reject', '上一张': 'Previous', '下一张': 'Next',
  '拍摄原图': 'Original frame', '各场次审核进度': 'Progress per session', '名单中未通过的学生': 'Students without an approved photo',
  '审核记录': 'Decisions', '采集记录': 'Captures', '标准照片 480×640': 'Standard photo 480×640',
  '照片中找不到人脸': 'no face in the photo', '背景不均匀': 'background not even', '背景残留原环境': 'leftovers of the room',
  '人像边缘有杂边': 'fringe around the person', '头顶被裁切': 'top of the head cut off', '头像位置或大小不合规格': 'head position or size off',
  '照片有拉伸的条纹': 'stretched streaks on the photo', '人像不完整': 'part of the person missing',
  '{0}（{1}）': '{0} ({1})', '未完成：{0}': 'Not done: {0}', '采集中': 'open', '已关闭': 'closed', '改名': 'Rename',
  '场次名称': 'Session name', '场次 {0} 已改名': 'Session {0} renamed', '关闭采集': 'Close', '重新开放': 'Reopen',
  '场次 {0} 已关闭': 'Session {0} closed', '场次 {0} 已开放': 'Session {0} reopened', '{0} 的角色': 'Role of {0}',
  '{0} 现为「{1}」': '{0} is now {1}', '重设密码': 'Reset password',
  '{0} 的新密码（至少 10 个字符；其登录会失效）': 'New password for {0} (10+ characters; their sessions end)',
  '{0} 的密码已重设': 'Password of {0} reset', '删除': 'Remove', '删除账号 {0}？': 'Remove the account {0}?',
  '账号 {0} 已删除': 'Account {0} removed', '，已关闭': ', closed', '未登记场次': 'unknown session', '（已关闭）': ' (closed)',
  '未指定场次': 'no session', '未提交': 'Not submitted',
  '名单：应到 {0} 人 · 未提交 {1} · 待审核 {2} · 未通过 {3} · 已通过 {4}': 'Roster: {0} expected · {1} not submitted · {2} pending · {3} rejected · {4} approved',
  '名单：未导入（导入后可查看谁还没有提交）': 'Roster: none imported (import one to see who has not submitted)',
  '学号': 'Student number', '姓名': 'Name', '院系': 'Department', '无法读取：{0}': 'Cannot read: {0}',
  '同一采集码有多张已通过照片：导出时只取最后通过的一张': 'This capture code has several approved photos: the export takes the last one approved',
  '采集码 {0}': 'Capture code {0}', '照片已删除（{0}）': 'Photo purged ({0})', '查看大图：采集码 {0}': 'Open large: capture code {0}',
  '采集码 {0} · 场次 {1}': 'Capture code {0} · session {1}', '{0} · {1} {2}': '{0} · {1} {2}',
  '自动检查：通过': 'Automatic checks: passed', '自动检查：未通过': 'Automatic checks: failed', '自动检查：未通过（{0}）': 'Automatic checks: failed ({0})',
  '上传于 {0}': 'Uploaded {0}', ' · 客户端未声明实时拍摄': ' · not declared a live capture by the client',
  '重拍，取代了之前的一张（{0}…）': 'A retake, replacing an earlier one ({0}…)', '已被重拍取代（{0}…）': 'Replaced by a retake ({0}…)',
  ' 选择（批量通过）': ' Select (bulk approval)', '采集码 {0} · 场次 {1}（{2} / {3}）': 'Capture code {0} · session {1} ({2} / {3})',
  '（文件大小不合规格）': ' (file size out of bounds)', '自动检查通过': 'automatic checks passed', '自动检查未通过': 'automatic checks failed',
  '成片自检：{0}': 'Self-check of the photo: {0}', '无问题': 'no fault', '、': ', ',
  '客户端实拍检查：观察 {0} 秒 · 立体转动 {1} 次 · 平面转动 {2} 次 · 反光滑动 {3} 次': "Client's liveness report: watched {0} s · {1} turns with depth · {2} flat turns · {3} sliding reflections",
  ' · {0} 秒前眨眼': ' · blinked {0} s before',
  '这张照片已是「{0}」（{1}），确定改为「{2}」？学生可能已看到之前的结果。': 'This photo is already {0} ({1}). Change it to {2}? The student may have seen the earlier result.',
  '不通过需要原因：请选择常见原因或填写': 'A rejection needs a reason: choose or write one', '采集码 {0}：{1}': 'Capture code {0}: {1}',
  '未保存：{0} 已于 {1} 审核为「{2}」，请查看后再决定': 'Not saved: {0} decided {2} at {1}; look again before deciding',
  '未保存：{0}': 'Not saved: {0}', '尝试次数过多，请一分钟后再试': 'Too many attempts; try again in a minute',
  '账号或密码不正确': 'Wrong account or password', '场次 {0} 已添加': 'Session {0} added', '账号 {0} 已添加': 'Account {0} added',
  '密码已修改；其他设备上的登录已失效': 'Password changed; other sessions of the account ended',
  '请选择名单文件（CSV）': 'Choose the roster file (CSV)', '名单已导入：{0} 人': 'Roster imported: {0} students',
  '确定通过所选的 {0} 张照片？': 'Approve the {0} selected photos?', '已通过 {0} / {1} 张': 'Approved {0} of {1}',
  '）': ')', '（': ' (',
};

/** `zh` in the desk's language, with {0}, {1} … filled in by `args`. */
function t(zh, ...args) {
  const text = LANG === 'en' ? (EN[zh] ?? zh) : zh;
  return text.replace(/\{(\d)\}/g, (_, i) => String(args[i] ?? ''));
}

/** The page's own words in the desk's language. */
function translatePage() {
  if (LANG !== 'en') return;
  document.documentElement.lang = 'en';
  $('lang').textContent = '中文';
  $('lang').lang = 'zh-CN';
  $('lang').href = '?';
  document.title = 'Photo review · gradcap';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.trim();
    if (EN[text]) n.textContent = n.textContent.replace(text, EN[text]);
  }
  for (const el of document.querySelectorAll('[aria-label], [alt]')) {
    for (const a of ['aria-label', 'alt']) if (EN[el.getAttribute(a)]) el.setAttribute(a, EN[el.getAttribute(a)]);
  }
}

const STATUS = { pending: t('待审核'), approved: t('已通过'), rejected: t('未通过'), replaced: t('已重拍') };
const FAULTS = {
  'photo.no_face': t('照片中找不到人脸'), 'photo.background': t('背景不均匀'), 'photo.leftover': t('背景残留原环境'),
  'photo.fringe': t('人像边缘有杂边'), 'photo.head_cut': t('头顶被裁切'), 'photo.layout': t('头像位置或大小不合规格'),
  'photo.streaks': t('照片有拉伸的条纹'), 'photo.incomplete': t('人像不完整'),
};
const ROLES = { admin: t('管理'), reviewer: t('审核'), viewer: t('只读') };
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
    return new Intl.DateTimeFormat(LANG === 'en' ? 'en-GB' : 'zh-CN', { timeZone: config.timeZone, dateStyle: 'short', timeStyle: 'short' }).format(new Date(iso));
  } catch {
    return new Intl.DateTimeFormat(LANG === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'short' }).format(new Date(iso));
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
  $('who').textContent = me ? t('{0}（{1}）', me.name, ROLES[me.role] ?? me.role) : '';
  if (!me) { $('name').focus(); return; }
  const got = await api('/review/config.json');
  if (got.ok) config = await got.json();
  $('preset').replaceChildren(new Option(t('选择常见原因…'), ''), ...config.reasons.map((r) => new Option(r, r)));
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
  say(t('未完成：{0}', body.error?.message ?? res.status));
}

/** The admin's panel: sessions to rename, open or close; accounts to change or remove. */
async function manage() {
  const got = await api('/api/sessions');
  if (got.ok) {
    const rows = (await got.json()).items.filter((s) => s.code).map((s) => {
      const row = document.createElement('div');
      const label = document.createElement('span');
      label.textContent = `${s.code} · ${s.name}${s.school ? ` · ${s.school}` : ''} · ${s.open ? t('采集中') : t('已关闭')}`;
      row.append(label,
        button(t('改名'), async () => {
          const name = prompt(t('场次名称'), s.name);
          if (!name) return;
          const res = await api(`/api/sessions/${encodeURIComponent(s.code)}`, json({ name }));
          if (res.ok) { say(t('场次 {0} 已改名', s.code)); manage(); sessions(); } else failed(res);
        }),
        button(s.open ? t('关闭采集') : t('重新开放'), async () => {
          const res = await api(`/api/sessions/${encodeURIComponent(s.code)}`, json({ open: !s.open }));
          if (res.ok) { say(t(s.open ? '场次 {0} 已关闭' : '场次 {0} 已开放', s.code)); manage(); sessions(); } else failed(res);
        }));
      return row;
    });
    $('manage-sessions').replaceChildren(...rows);
  }
  const accounts = await api('/api/accounts');
  if (accounts.ok) {
    const roles = ROLES;
    const rows = (await accounts.json()).items.map((a) => {
      const row = document.createElement('div');
      const label = document.createElement('span');
      label.textContent = `${a.name} · ${roles[a.role] ?? a.role}`;
      row.append(label);
      if (a.name !== me.name) {
        const role = document.createElement('select');
        role.setAttribute('aria-label', t('{0} 的角色', a.name));
        role.append(...Object.entries(roles).map(([v, t]) => new Option(t, v, false, v === a.role)));
        role.onchange = async () => {
          const res = await api(`/api/accounts/${encodeURIComponent(a.name)}`, json({ role: role.value }));
          if (res.ok) { say(t('{0} 现为「{1}」', a.name, roles[role.value])); manage(); } else failed(res);
        };
        row.append(role,
          button(t('重设密码'), async () => {
            const password = prompt(t('{0} 的新密码（至少 10 个字符；其登录会失效）', a.name));
            if (!password) return;
            const res = await api(`/api/accounts/${encodeURIComponent(a.name)}`, json({ password }));
            if (res.ok) say(t('{0} 的密码已重设', a.name)); else failed(res);
          }),
          button(t('删除'), async () => {
            if (!confirm(t('删除账号 {0}？', a.name))) return;
            const res = await api(`/api/accounts/${encodeURIComponent(a.name)}`, json({ remove: true }));
            if (res.ok) { say(t('账号 {0} 已删除', a.name)); manage(); } else failed(res);
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
  picker.replaceChildren(new Option(t('全部场次'), ''), ...items.filter((s) => s.code).map((s) => new Option(t('{0}（{1}）', s.name, `${s.code}${s.open ? '' : t('，已关闭')}`), s.code)));
  picker.value = chosen;
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const heading of ['场次', '待审核', '已通过', '未通过', '已重拍', '已删除', '合计']) {
    const th = document.createElement('th');
    th.textContent = t(heading);
    th.scope = 'col';
    head.append(th);
  }
  const body = table.createTBody();
  for (const s of items) {
    const tr = body.insertRow();
    if (s.code === chosen) tr.className = 'chosen';
    const c = s.counts;
    const name = s.code ? `${s.name ?? t('未登记场次')} ${s.code}${s.open === false ? t('（已关闭）') : ''}` : t('未指定场次');
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

const STANDING = { missing: t('未提交'), pending: t('待审核'), rejected: t('未通过'), approved: t('已通过') };

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
    ? t('名单：应到 {0} 人 · 未提交 {1} · 待审核 {2} · 未通过 {3} · 已通过 {4}', counts.total, counts.missing, counts.pending, counts.rejected, counts.approved)
    : t('名单：未导入（导入后可查看谁还没有提交）');
  const order = { missing: 0, rejected: 1, pending: 2 };
  const waiting = items.filter((s) => s.status !== 'approved').sort((a, b) => order[a.status] - order[b.status]);
  const table = $('roster-table');
  table.replaceChildren();
  if (!waiting.length) return;
  const head = table.createTHead().insertRow();
  for (const heading of ['状态', '学号', '姓名', '院系', '采集码']) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = t(heading);
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
  if (!res.ok) { say(t('无法读取：{0}', res.status)); return; }
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
    if (c && approved.get(c.captureCode) > 1) el.append(line(t('同一采集码有多张已通过照片：导出时只取最后通过的一张'), 'flag'));
  }
}

function line(text, cls) {
  const p = document.createElement('p');
  p.textContent = text;
  if (cls) p.className = cls;
  return p;
}

function checkName(id) {
  return config.checks[id]?.[LANG] ?? FAULTS[id] ?? id;
}

function card(c) {
  const el = document.createElement('section');
  el.className = 'card';
  el.dataset.id = c.id;
  el.setAttribute('aria-label', t('采集码 {0}', c.captureCode ?? '—'));
  if (c.purgedAt) {
    const gone = document.createElement('div');
    gone.className = 'gone';
    gone.textContent = t('照片已删除（{0}）', when(c.purgedAt));
    el.append(gone);
  } else {
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'photo';
    open.setAttribute('aria-label', t('查看大图：采集码 {0}', c.captureCode ?? c.id));
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
    line(t('采集码 {0} · 场次 {1}', c.captureCode ?? '—', c.sessionCode ?? '—')),
    line(`${STATUS[c.status] ?? c.status}${c.reason ? `：${c.reason}` : ''}${decided}`, c.status === 'rejected' ? 'fail' : ''),
  );
  if (!c.purgedAt) {
    el.append(line(v.pass ? t('自动检查：通过') : v.firstFailure ? t('自动检查：未通过（{0}）', checkName(v.firstFailure)) : t('自动检查：未通过'), v.pass ? 'pass' : 'fail'));
    el.append(line(t('上传于 {0}', when(c.createdAt)) + (v.live === false ? t(' · 客户端未声明实时拍摄') : ''), 'note'));
  }
  if (c.replaces) el.append(line(t('重拍，取代了之前的一张（{0}…）', c.replaces.slice(0, 8)), 'note'));
  if (c.replacedBy) el.append(line(t('已被重拍取代（{0}…）', c.replacedBy.slice(0, 8)), 'note'));
  if (canDecide() && open(c)) {
    const pick = document.createElement('label');
    pick.className = 'pick';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.className = 'picked';
    box.onchange = picked;
    pick.append(box, t(' 选择（批量通过）'));
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
  $('view-title').textContent = t('采集码 {0} · 场次 {1}（{2} / {3}）', c.captureCode ?? '—', c.sessionCode ?? '—', i + 1, shown.length);
  $('view-status').textContent = `${STATUS[c.status] ?? c.status}${c.reason ? `：${c.reason}` : ''}${c.reviewedBy ? ` · ${c.reviewedBy} ${when(c.reviewedAt)}` : ''}`;
  $('view-photo').src = c.purgedAt ? '' : `/api/captures/${encodeURIComponent(c.id)}/photo`;
  $('view-original-box').hidden = !c.originalSha256 || !!c.purgedAt;
  if (c.originalSha256 && !c.purgedAt) $('view-original').src = `/api/files/${c.originalSha256}`;
  $('view-summary').textContent = v.width ? `${v.width}×${v.height} · ${(v.bytes / 1024).toFixed(1)} KB${v.sizeOk === false ? t('（文件大小不合规格）') : ''} · ${v.pass ? t('自动检查通过') : t('自动检查未通过')}` : '';
  $('view-checks').replaceChildren(...(v.checks ?? []).map((k) => {
    const li = document.createElement('li');
    li.className = k.pass ? 'pass' : 'fail';
    li.textContent = `${k.pass ? '✓' : '✗'} ${t('{0}（{1}）', checkName(k.id), k.score)}`;
    return li;
  }));
  const self = v.selfCheck;
  $('view-self').textContent = self ? t('成片自检：{0}', self.faults?.length ? self.faults.map(checkName).join(t('、')) : t('无问题')) : '';
  const l = v.liveness;
  $('view-liveness').textContent = l && v.live
    ? t('客户端实拍检查：观察 {0} 秒 · 立体转动 {1} 次 · 平面转动 {2} 次 · 反光滑动 {3} 次', (l.watchedMs / 1000).toFixed(1), l.deepTurns, l.flatTurns, l.glareSlides)
      + (l.blinkAgeMs == null ? '' : t(' · {0} 秒前眨眼', (l.blinkAgeMs / 1000).toFixed(1)))
    : '';
  $('preset').value = '';
  $('reason').value = '';
  for (const id of ['approve', 'reject']) $(id).disabled = !open(c);
  if (!$('view').open) $('view').showModal();
}

/** Decides on capture `c`; the card is redrawn in place, and a decision someone made since is shown, not overwritten. */
async function decide(c, status, reason) {
  if (!open(c)) return false;
  if (c.status !== 'pending' && c.status !== status && !confirm(t('这张照片已是「{0}」（{1}），确定改为「{2}」？学生可能已看到之前的结果。', STATUS[c.status], c.reviewedBy ?? '', STATUS[status]))) return false;
  if (status === 'rejected' && !reason) { say(t('不通过需要原因：请选择常见原因或填写')); $('preset').focus(); return false; }
  const res = await api(`/api/captures/${encodeURIComponent(c.id)}/review`, json({ status, reason: reason || null, version: c.version }));
  const body = await res.json().catch(() => ({}));
  if (res.status === 401) { start(); return false; }
  const now = res.ok ? body : body.capture;
  if (now) replace(now);
  if (res.ok) {
    say(t('采集码 {0}：{1}', c.captureCode ?? c.id, STATUS[status]));
    return true;
  }
  say(res.status === 409 && body.capture
    ? t('未保存：{0} 已于 {1} 审核为「{2}」，请查看后再决定', body.capture.reviewedBy, when(body.capture.reviewedAt), STATUS[body.capture.status])
    : t('未保存：{0}', body.error?.message ?? res.status));
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
  $('signin-error').textContent = res.status === 429 ? t('尝试次数过多，请一分钟后再试') : t('账号或密码不正确');
});
$('add-session').addEventListener('submit', async (e) => {
  e.preventDefault();
  const session = { code: $('new-code').value.trim(), name: $('new-name').value.trim(), school: $('new-school').value.trim(), open: true };
  const res = await api('/api/sessions', json(session));
  if (res.ok) { say(t('场次 {0} 已添加', session.code)); e.target.reset(); manage(); sessions(); } else failed(res);
});
$('add-account').addEventListener('submit', async (e) => {
  e.preventDefault();
  const account = { name: $('acc-name').value.trim(), role: $('acc-role').value, password: $('acc-password').value };
  const res = await api('/api/accounts', json(account));
  if (res.ok) { say(t('账号 {0} 已添加', account.name)); e.target.reset(); manage(); } else failed(res);
});
$('password-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const res = await api('/api/staff/password', json({ old: $('old-password').value, new: $('new-password').value }));
  e.target.reset();
  if (res.ok) say(t('密码已修改；其他设备上的登录已失效')); else failed(res);
});
$('day').addEventListener('change', () => load(true));
$('naming').addEventListener('change', exportLink);
$('roster-import').addEventListener('submit', async (e) => {
  e.preventDefault();
  const file = $('roster-file').files[0];
  if (!file) { say(t('请选择名单文件（CSV）')); return; }
  const res = await api(`/api/sessions/${encodeURIComponent($('session').value)}/roster`, {
    method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: await file.text(),
  });
  if (res.ok) { say(t('名单已导入：{0} 人', (await res.json()).imported)); e.target.reset(); roster(); } else failed(res);
});
$('signout').addEventListener('click', async () => { await api('/api/staff/sign-out', { method: 'POST' }); start(); });
$('tools').addEventListener('submit', (e) => { e.preventDefault(); load(true); });
$('filter').addEventListener('change', () => load(true));
$('session').addEventListener('change', () => { sessions(); load(true); });
$('more').addEventListener('click', () => load(false));
$('bulk').addEventListener('click', async () => {
  const ids = [...$('list').querySelectorAll('input.picked:checked')].map((b) => b.closest('.card').dataset.id);
  if (!ids.length || !confirm(t('确定通过所选的 {0} 张照片？', ids.length))) return;
  let done = 0;
  for (const id of ids) {
    const c = shown.find((x) => x.id === id);
    if (c && await decide(c, 'approved', null)) done += 1;
  }
  say(t('已通过 {0} / {1} 张', done, ids.length));
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
translatePage();
start();
