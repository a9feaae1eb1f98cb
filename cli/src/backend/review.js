// The staff review page: lists captures, shows each photo, approves or rejects with a reason.
const tokenInput = document.getElementById('token');
tokenInput.value = new URLSearchParams(location.search).get('token') ?? sessionStorage.getItem('gradcap-token') ?? '';
const headers = () => tokenInput.value ? { Authorization: `Bearer ${tokenInput.value}` } : {};
const STATUS = { pending: '待审核', approved: '已通过', rejected: '未通过' };

async function load() {
  sessionStorage.setItem('gradcap-token', tokenInput.value);
  const status = document.getElementById('filter').value;
  const res = await fetch(`/api/captures${status ? `?status=${status}` : ''}`, { headers: headers() });
  const list = document.getElementById('list');
  list.replaceChildren();
  if (!res.ok) { list.textContent = `无法读取：${res.status}`; return; }
  const captures = await res.json();
  document.getElementById('empty').hidden = captures.length > 0;
  for (const c of captures) list.append(await card(c));
}

async function card(c) {
  const el = document.createElement('section');
  el.className = 'card';
  el.dataset.id = c.id;
  const img = document.createElement('img');
  img.alt = c.captureCode ?? c.id;
  const photo = await fetch(`/api/files/${c.photoSha256}`, { headers: headers() });
  if (photo.ok) img.src = URL.createObjectURL(await photo.blob());
  const v = c.verdict ?? {};
  const info = document.createElement('div');
  const line = (text, cls) => { const p = document.createElement('p'); p.textContent = text; if (cls) p.className = cls; return p; };
  info.append(
    line(`采集码 ${c.captureCode ?? '—'} · 场次 ${c.sessionCode ?? '—'}`),
    line(`${STATUS[c.status] ?? c.status}${c.reason ? `：${c.reason}` : ''}`, c.status === 'rejected' ? 'fail' : ''),
    line(v.pass ? '自动检查：通过' : `自动检查：未通过${v.firstFailure ? `（${v.firstFailure}）` : ''}`, v.pass ? 'pass' : 'fail'),
    line(`${v.width}×${v.height} · ${(v.bytes / 1024).toFixed(1)} KB · ${c.createdAt}`),
  );
  const reason = document.createElement('input');
  reason.type = 'text';
  reason.placeholder = '不通过原因';
  const approve = document.createElement('button');
  approve.textContent = '通过';
  approve.className = 'approve';
  const reject = document.createElement('button');
  reject.textContent = '不通过';
  reject.className = 'reject';
  const decide = async (status) => {
    const res = await fetch(`/api/captures/${c.id}/review`, {
      method: 'POST', headers: { ...headers(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ status, reason: reason.value || null }),
    });
    if (res.ok) load(); else alert((await res.json()).error?.message ?? res.status);
  };
  approve.onclick = () => decide('approved');
  reject.onclick = () => decide('rejected');
  const row = document.createElement('div');
  row.className = 'row';
  row.append(reason, approve, reject);
  el.append(img, info, row);
  return el;
}

tokenInput.addEventListener('change', load);
document.getElementById('filter').addEventListener('change', load);
load();
