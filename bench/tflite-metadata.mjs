// Adds TFLite metadata (input normalization, RGB image) to a model that has none, so MediaPipe's
// tasks-vision can load the very same weights our engine runs. The weights and the graph are kept
// byte for byte: a new root table and the metadata are put in front of the original file, which
// follows unchanged (flatbuffer offsets are relative and point forward, so they stay valid).

/** Reads the vtable of the table at `pos`: `field(i)` is the absolute position of field i or null. */
function table(view, pos) {
  const vt = pos - view.getInt32(pos, true);
  const vtLen = view.getUint16(vt, true);
  return (i) => {
    if (4 + 2 * i >= vtLen) return null;
    const off = view.getUint16(vt + 4 + 2 * i, true);
    return off ? pos + off : null;
  };
}

const deref = (view, pos) => pos + view.getUint32(pos, true);

/** A forward flatbuffer writer: parents first, children after, offsets patched when placed. */
class Writer {
  constructor() { this.bytes = []; }
  get pos() { return this.bytes.length; }
  align(n) { while (this.bytes.length % n) this.bytes.push(0); }
  u8(v) { this.bytes.push(v & 255); }
  u16(v) { this.u8(v); this.u8(v >> 8); }
  u32(v) { this.u16(v & 0xffff); this.u16(v >>> 16); }
  f32(v) { const b = new Uint8Array(new Float32Array([v]).buffer); b.forEach((x) => this.u8(x)); }
  patch(at, target) {
    const v = target - at;
    for (let k = 0; k < 4; k++) this.bytes[at + k] = (v >>> (8 * k)) & 255;
  }
  /** Writes a node; returns its position. Nodes: {table: [[index, kind, value]]}, {vector: [nodes]},
   * {floats: [..]}, {string: '..'}, {bytes: Uint8Array}, {at: absolutePosition} (already written). */
  write(node) {
    if ('at' in node) return node.at;
    this.align(4);
    if ('string' in node) {
      const s = new TextEncoder().encode(node.string);
      const p = this.pos; this.u32(s.length); s.forEach((b) => this.u8(b)); this.u8(0);
      return p;
    }
    if ('bytes' in node) {
      while ((this.pos + 4) % 16) this.u8(0);
      const p = this.pos; this.u32(node.bytes.length); node.bytes.forEach((b) => this.u8(b));
      return p;
    }
    if ('floats' in node) {
      const p = this.pos; this.u32(node.floats.length); node.floats.forEach((f) => this.f32(f));
      return p;
    }
    if ('vector' in node) {
      const p = this.pos; this.u32(node.vector.length);
      const slots = node.vector.map(() => { const s = this.pos; this.u32(0); return s; });
      node.vector.forEach((child, k) => this.patch(slots[k], this.write(child)));
      return p;
    }
    const fields = node.table;
    const count = Math.max(...fields.map(([i]) => i)) + 1;
    const vt = this.pos;
    this.u16(4 + 2 * count); this.u16(4 + 4 * fields.length);
    const order = new Array(count).fill(0);
    fields.forEach(([i], k) => { order[i] = 4 + 4 * k; });
    order.forEach((o) => this.u16(o));
    this.align(4);
    const p = this.pos;
    this.u32(p - vt);
    const refs = [];
    for (const [, kind, value] of fields) {
      if (kind === 'ref') { refs.push([this.pos, value]); this.u32(0); } else if (kind === 'u8') { this.u32(value & 255); } else if (kind === 'f32') { this.f32(value); } else { this.u32(value); }
    }
    for (const [at, child] of refs) this.patch(at, this.write(child));
    return p;
  }
}

/** The metadata: one input, an RGB image normalised as (x − 127.5) / 127.5. */
function metadataBytes() {
  const w = new Writer();
  w.u32(0); ['M', '0', '0', '1'].forEach((c) => w.u8(c.charCodeAt(0)));
  const root = w.write({ table: [
    [0, 'ref', { string: 'face_detection_short_range' }],
    [3, 'ref', { vector: [{ table: [
      [2, 'ref', { vector: [{ table: [
        [0, 'ref', { string: 'input' }],
        [3, 'ref', { table: [[0, 'u8', 2], [1, 'ref', { table: [[0, 'u8', 1]] }]] }],
        [4, 'ref', { vector: [{ table: [[0, 'u8', 1], [1, 'ref', { table: [
          [0, 'ref', { floats: [127.5] }], [1, 'ref', { floats: [127.5] }]] }]] }] }],
      ] }] }],
    ] }] }],
    [7, 'ref', { string: '1.0.0' }],
  ] });
  w.patch(0, root);
  return new Uint8Array(w.bytes);
}

/** `model` (a .tflite without metadata) with the metadata added. */
export function withMetadata(model) {
  const view = new DataView(model.buffer, model.byteOffset, model.byteLength);
  const old = table(view, deref(view, 0));
  const oldBuffers = deref(view, old(4));
  const count = view.getUint32(oldBuffers, true);
  // The header and new tables come first; its size is only known once written, so write twice:
  // the first pass measures, the second points into the original file placed right after it.
  let shift = 0;
  for (let pass = 0; pass < 2; pass++) {
    const at = (p) => ({ at: shift + p });
    const w = new Writer();
    w.u32(0); ['T', 'F', 'L', '3'].forEach((c) => w.u8(c.charCodeAt(0)));
    const fields = [[0, 'u32', view.getUint32(old(0), true)]];
    for (const i of [1, 2, 3, 7]) if (old(i) !== null) fields.push([i, 'ref', at(deref(view, old(i)))]);
    const buffers = [];
    for (let k = 0; k < count; k++) buffers.push(at(deref(view, oldBuffers + 4 + 4 * k)));
    buffers.push({ table: [[0, 'ref', { bytes: metadataBytes() }]] });
    fields.push([4, 'ref', { vector: buffers }]);
    fields.push([6, 'ref', { vector: [{ table: [[0, 'ref', { string: 'TFLITE_METADATA' }], [1, 'u32', count]] }] }]);
    w.patch(0, w.write({ table: fields }));
    while (w.pos % 16) w.u8(0);
    if (pass === 1) {
      if (w.pos !== shift) throw new Error('the header changed size between passes');
      const out = new Uint8Array(w.pos + model.length);
      out.set(w.bytes, 0);
      out.set(model, w.pos);
      return out;
    }
    shift = w.pos; // the header's size does not depend on where the original lands
  }
  throw new Error('unreachable');
}
