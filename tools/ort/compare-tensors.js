#!/usr/bin/env node
// compare-tensors.js [--atol T] A.pb B.pb [A2.pb B2.pb ...] — compares pairs of FLOAT
// TensorProto files: same dims, every |a - b| <= T (absolute, default 1e-4), no NaN or
// Inf. Prints one line per pair with the largest difference; exit status 0 if every pair
// is within tolerance, 1 otherwise, 2 on bad usage.
'use strict';
const { readTensorProto } = require('./tensorproto');

function compare(fa, fb, atol) {
  const a = readTensorProto(fa);
  const b = readTensorProto(fb);
  if (a.dims.join(',') !== b.dims.join(','))
    return [false, `dims differ: [${a.dims}] vs [${b.dims}]`];
  let max = 0, where = -1;
  for (let i = 0; i < a.data.length; i++) {
    const x = Number(a.data[i]), y = Number(b.data[i]);
    if (!Number.isFinite(x) || !Number.isFinite(y))
      return [false, `element ${i} not finite: ${x} vs ${y}`];
    const d = Math.abs(x - y);
    if (d > max) { max = d; where = i; }
  }
  const ok = max <= atol;
  return [ok, `[${a.dims}] max |a - b| = ${max.toExponential(3)}` +
              (where >= 0 ? ` at element ${where}` : '') + ` (atol ${atol})${ok ? '' : ' TOO LARGE'}`];
}

const args = process.argv.slice(2);
let atol = 1e-4;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--atol') atol = parseFloat(args[++i]);
  else files.push(args[i]);
}
if (files.length < 2 || files.length % 2 || !(atol >= 0)) {
  process.stderr.write('usage: compare-tensors.js [--atol T] A.pb B.pb [A2.pb B2.pb ...]\n');
  process.exit(2);
}
let allOk = true;
for (let i = 0; i < files.length; i += 2) {
  const [ok, msg] = compare(files[i], files[i + 1], atol);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${files[i]} vs ${files[i + 1]}: ${msg}`);
  allOk = allOk && ok;
}
process.exit(allOk ? 0 : 1);
