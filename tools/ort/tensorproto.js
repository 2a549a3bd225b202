// tensorproto.js — a minimal protobuf wire-format reader and writer for onnx.TensorProto
// (dims, data_type FLOAT / INT64, float_data, int64_data, raw_data, name), independent
// of PruneLens' own reader, for tools/ort/ort-run.js and tools/ort/compare-tensors.js.
'use strict';
const fs = require('fs');

function die(msg) {
  process.stderr.write(`${require('path').basename(process.argv[1] || 'node')}: ${msg}\n`);
  process.exit(1);
}

// ---- minimal protobuf wire format for onnx.TensorProto ----
// Fields (onnx.proto): 1 dims (repeated int64), 2 data_type (int32), 4 float_data
// (repeated float, packed), 7 int64_data (repeated int64, packed), 5 int32_data,
// 8 name (string), 9 raw_data (bytes), 13 external_data, 14 data_location.
const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9 };

class Reader {
  constructor(buf, file) { this.buf = buf; this.pos = 0; this.file = file; }
  eof() { return this.pos >= this.buf.length; }
  fail(what) { die(`${this.file}: ${what} at byte ${this.pos}`); }
  varint() {
    let result = 0n, shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) this.fail('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) this.fail('varint longer than 10 bytes');
    }
    return result;
  }
  bytes() {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length)
      this.fail(`length-delimited field of ${n} bytes runs past the end (${this.buf.length} bytes)`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(wire) {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else this.fail(`unsupported wire type ${wire}`);
    if (this.pos > this.buf.length) this.fail('truncated field');
  }
}

function toSigned64(v) { return BigInt.asIntN(64, v); }

function readTensorProto(file) {
  let buf;
  try { buf = fs.readFileSync(file); } catch (e) { die(`cannot read ${file}: ${e.message}`); }
  const r = new Reader(buf, file);
  const t = { dims: [], dataType: 0, name: '', floatData: [], int64Data: [], int32Data: [],
              raw: null, external: false };
  while (!r.eof()) {
    const key = Number(r.varint());
    const field = key >>> 3, wire = key & 7;
    if (field === 1 && wire === 0) t.dims.push(Number(toSigned64(r.varint())));
    else if (field === 1 && wire === 2) {
      const sub = new Reader(r.bytes(), file);
      while (!sub.eof()) t.dims.push(Number(toSigned64(sub.varint())));
    } else if (field === 2 && wire === 0) t.dataType = Number(r.varint());
    else if (field === 4 && wire === 2) {
      const b = r.bytes();
      if (b.length % 4) r.fail('float_data length not a multiple of 4');
      for (let i = 0; i < b.length; i += 4) t.floatData.push(b.readFloatLE(i));
    } else if (field === 4 && wire === 5) {
      if (r.pos + 4 > buf.length) r.fail('truncated float');
      t.floatData.push(buf.readFloatLE(r.pos)); r.pos += 4;
    } else if ((field === 7 || field === 5) && wire === 0) {
      (field === 7 ? t.int64Data : t.int32Data).push(toSigned64(r.varint()));
    } else if ((field === 7 || field === 5) && wire === 2) {
      const sub = new Reader(r.bytes(), file);
      while (!sub.eof()) (field === 7 ? t.int64Data : t.int32Data).push(toSigned64(sub.varint()));
    } else if (field === 8 && wire === 2) t.name = r.bytes().toString('utf8');
    else if (field === 9 && wire === 2) t.raw = Buffer.from(r.bytes());
    else if (field === 13) { t.external = true; r.skip(wire); }
    else if (field === 14 && wire === 0) { if (Number(r.varint()) === 1) t.external = true; }
    else r.skip(wire);
  }
  if (t.external) die(`${file}: external data is not supported`);
  for (const d of t.dims) if (d < 0) die(`${file}: negative dimension ${d}`);
  const count = t.dims.reduce((a, b) => a * b, 1);
  let data, type;
  if (t.dataType === DT.FLOAT) {
    type = 'float32';
    if (t.raw) {
      if (t.raw.length !== count * 4)
        die(`${file}: raw_data has ${t.raw.length} bytes, dims [${t.dims}] need ${count * 4}`);
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = t.raw.readFloatLE(i * 4);
    } else {
      if (t.floatData.length !== count)
        die(`${file}: float_data has ${t.floatData.length} values, dims [${t.dims}] need ${count}`);
      data = Float32Array.from(t.floatData);
    }
  } else if (t.dataType === DT.INT64) {
    type = 'int64';
    data = new BigInt64Array(count);
    if (t.raw) {
      if (t.raw.length !== count * 8) die(`${file}: raw_data size does not match dims [${t.dims}]`);
      for (let i = 0; i < count; i++) data[i] = t.raw.readBigInt64LE(i * 8);
    } else {
      if (t.int64Data.length !== count) die(`${file}: int64_data size does not match dims [${t.dims}]`);
      for (let i = 0; i < count; i++) data[i] = t.int64Data[i];
    }
  } else {
    die(`${file}: data_type ${t.dataType} is not supported (FLOAT or INT64 expected)`);
  }
  return { name: t.name, dims: t.dims, type, data };
}

function varintBytes(v) {
  let x = BigInt.asUintN(64, BigInt(v));
  const out = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x !== 0n) b |= 0x80;
    out.push(b);
  } while (x !== 0n);
  return Buffer.from(out);
}

function field(num, wire) { return varintBytes((num << 3) | wire); }

function lengthDelimited(num, payload) {
  return Buffer.concat([field(num, 2), varintBytes(payload.length), payload]);
}

function writeTensorProto(file, name, dims, f32) {
  const parts = [];
  if (dims.length) parts.push(lengthDelimited(1, Buffer.concat(dims.map(varintBytes))));
  parts.push(field(2, 0), varintBytes(DT.FLOAT));
  if (name) parts.push(lengthDelimited(8, Buffer.from(name, 'utf8')));
  const raw = Buffer.alloc(f32.length * 4);
  for (let i = 0; i < f32.length; i++) raw.writeFloatLE(f32[i], i * 4);
  parts.push(lengthDelimited(9, raw));
  fs.writeFileSync(file, Buffer.concat(parts));
}

module.exports = { readTensorProto, writeTensorProto, DT };
