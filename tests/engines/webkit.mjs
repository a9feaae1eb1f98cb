// What the engine tests share for WebKit (Safari's engine): WebKitGTK under Xvfb, driven through
// `webkit_driver.py` (its GI API, Debian's /usr/bin/python3) by JSON lines, as a 390×844 phone
// view, the camera answered by a canvas stream of a fixture's frame (camera.mjs).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { cameraScript } from './camera.mjs';

const PYTHON = '/usr/bin/python3';
const DRIVER = path.join(import.meta.dirname, 'webkit_driver.py');

/** Why the WebKit tests cannot run here, or false. */
export const noWebKit = (!existsSync('/usr/bin/Xvfb') && 'no Xvfb (scripts/setup installs xvfb)')
  || (!existsSync('/usr/lib/x86_64-linux-gnu/girepository-1.0/WebKit2-4.1.typelib')
    && !existsSync('/usr/lib/aarch64-linux-gnu/girepository-1.0/WebKit2-4.1.typelib')
    && 'no WebKitGTK (scripts/setup installs gir1.2-webkit2-4.1)');

/** Starts Xvfb on a free display; resolves to `{ display, stop }`. */
async function startXvfb() {
  for (let n = 90 + Math.floor(Math.random() * 100); ; n++) {
    if (existsSync(`/tmp/.X11-unix/X${n}`) || existsSync(`/tmp/.X${n}-lock`)) continue;
    const x = spawn('/usr/bin/Xvfb', [`:${n}`, '-screen', '0', '1024x900x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
    const up = await new Promise((resolve) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (existsSync(`/tmp/.X11-unix/X${n}`)) { clearInterval(poll); resolve(true); }
        if (x.exitCode !== null || Date.now() - started > 10000) { clearInterval(poll); resolve(false); }
      }, 50);
    });
    if (up) return { display: `:${n}`, stop: () => x.kill() };
    x.kill();
  }
}

/** WebKitGTK with its camera showing `frame` (from camera.mjs's `y4mFrame`), or with `deny`
 * the camera refused, and `script` run before the page's own; resolves to a page: `goto(url)`,
 * `evaluate(fn, ...args)`, `waitFor(fn, ms)`, `screenshot(path)`, `choose(files)`, `close()`. */
export async function launchWebKit(frame, { deny = false, script = '' } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'gradcap-webkit-'));
  const init = path.join(dir, 'init.js');
  writeFileSync(init, (frame ? cameraScript(frame) : '') + script);
  const x = await startXvfb();
  const child = spawn(PYTHON, [DRIVER], {
    env: { ...process.env, DISPLAY: x.display, INIT_JS: init, WEBKIT_DISABLE_COMPOSITING_MODE: '1', GRADCAP_DENY_CAMERA: deny ? '1' : '0' },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const waiting = new Map();
  let ready;
  const started = new Promise((resolve) => { ready = resolve; });
  let terminated = null;
  createInterface({ input: child.stdout }).on('line', (line) => {
    let message;
    try { message = JSON.parse(line); } catch { return; }
    if (message.event === 'ready') ready();
    if (message.event === 'terminated') terminated = `the web process ended (reason ${message.reason})`;
    const pending = waiting.get(message.id);
    if (pending) {
      waiting.delete(message.id);
      if (message.error) pending.reject(new Error(message.error)); else pending.resolve(message.value);
    }
  });
  let next = 0;
  const send = (command) => new Promise((resolve, reject) => {
    if (terminated) { reject(new Error(terminated)); return; }
    const id = ++next;
    waiting.set(id, { resolve, reject });
    child.stdin.write(`${JSON.stringify({ id, ...command })}\n`);
  });
  await Promise.race([started, new Promise((_, reject) => setTimeout(() => reject(new Error('WebKit did not start')), 30000))]);
  const evaluate = (fn, ...args) => send({ cmd: 'eval', js: `(${fn})(...${JSON.stringify(args)})` });
  return {
    goto: (url) => send({ cmd: 'load', url }),
    evaluate,
    /** Resolves to `fn(...args)`'s first truthy value (polled), or rejects after `ms`. */
    async waitFor(fn, ms, ...args) {
      const until = Date.now() + ms;
      let answered = Date.now();
      let failure = null;
      for (;;) {
        let value = null;
        try {
          value = await evaluate(fn, ...args);
          answered = Date.now();
        } catch (e) {
          failure = e;
        }
        if (value) return value;
        if (terminated) throw new Error(terminated);
        if (Date.now() > until) {
          // A page that stopped answering is the engine's trouble, told apart from a page that
          // answers but never gets there (the component's).
          const silent = (Date.now() - answered) / 1000;
          if (silent > 10) throw new Error(`web process not answering for ${silent.toFixed(0)} s (${failure?.message}): ${fn}`);
          throw new Error(`not within ${ms} ms: ${fn}`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    screenshot: (file) => send({ cmd: 'snapshot', path: file }),
    /** Answers the next file chooser the page opens with `files`. */
    choose: (files) => send({ cmd: 'choose', files }),
    async close() {
      child.stdin.end(`${JSON.stringify({ cmd: 'quit' })}\n`);
      await new Promise((r) => { child.on('exit', r); setTimeout(() => { child.kill('SIGKILL'); r(); }, 5000); });
      x.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
