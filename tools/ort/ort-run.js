#!/usr/bin/env node
// ort-run.js — runs an ONNX model with ONNX Runtime (CPU, onnxruntime-node) on inputs
// stored as ONNX TensorProto files, the reference for PruneLens' `prunelens-cli infer`.
//
//   node tools/ort/ort-run.js MODEL.onnx IN.pb... -o DIR [--threads N]
//       One IN.pb per model input, in the model's input order. Writes every output i as
//       DIR/output_<i>.pb (FLOAT TensorProto: dims, data_type, name, raw_data), the same
//       naming as `prunelens-cli infer`.
//   node tools/ort/ort-run.js --jobs FILE [--threads N]
//       Many runs in one process: FILE has one run per line, tab-separated fields
//       MODEL.onnx, IN.pb..., DIR (the last field is the output folder).
//   node tools/ort/ort-run.js MODEL.onnx --bench [--runs N] [--threads N] [--batches 1,64]
//       Prints the median ms per forward pass for each batch size, measured the way
//       `prunelens-cli bench forward` measures PruneLens: the same input values
//       ((37 i mod 256) / 255), one warm-up pass, one timed pass that sizes the runs
//       (about 0.1 s of passes each), the median over the runs of wall time per pass
//       (first dimension of the model's single input set to the batch size).
//
// Install once: npm ci --ignore-scripts --prefix tools/ort   (tools/install-deps does it).
'use strict';
const fs = require('fs');
const path = require('path');

function die(msg) {
  process.stderr.write(`ort-run: ${msg}\n`);
  process.exit(1);
}

let ort;
try {
  ort = require(path.join(__dirname, 'node_modules', 'onnxruntime-node'));
} catch (e) {
  die(`cannot load onnxruntime-node from ${path.join(__dirname, 'node_modules')} ` +
      `(${e.message.split('\n')[0]}); run tools/install-deps`);
}

const { readTensorProto, writeTensorProto } = require('./tensorproto');

// ---- command line ----
function parseArgs(argv) {
  const a = { positional: [], out: null, jobs: null, threads: 2, bench: false, runs: 20, batches: [1, 64] };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) die(`${s} needs a value`);
      return argv[++i];
    };
    if (s === '-o' || s === '--output') a.out = next();
    else if (s === '--threads') a.threads = parseInt(next(), 10);
    else if (s === '--runs') a.runs = parseInt(next(), 10);
    else if (s === '--batches') a.batches = next().split(',').map((x) => parseInt(x, 10));
    else if (s === '--bench') a.bench = true;
    else if (s === '--jobs') a.jobs = next();
    else if (s === '-h' || s === '--help') {
      process.stdout.write('usage: ort-run.js MODEL.onnx IN.pb... -o DIR [--threads N]\n' +
                           '       ort-run.js MODEL.onnx --bench [--runs N] [--threads N] [--batches 1,64]\n');
      process.exit(0);
    } else if (s.startsWith('-')) die(`unknown option ${s}`);
    else a.positional.push(s);
  }
  if (!(a.threads >= 1)) die('--threads must be a positive integer');
  if (!(a.runs >= 1)) die('--runs must be a positive integer');
  if (a.batches.some((b) => !(b >= 1))) die('--batches must be positive integers');
  return a;
}

function toFloat32(t) {
  if (t.type === 'float32') return t.data;
  die(`output of type ${t.type} cannot be written (FLOAT only)`);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  if (a.jobs) {
    let text;
    try { text = fs.readFileSync(a.jobs, 'utf8'); } catch (e) { die(`cannot read ${a.jobs}: ${e.message}`); }
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    for (const [i, line] of lines.entries()) {
      const f = line.split('\t');
      if (f.length < 3) die(`${a.jobs}:${i + 1}: expected MODEL, IN.pb... and DIR separated by tabs`);
      await runModel(f[0], f.slice(1, -1), f[f.length - 1], a);
    }
    return;
  }
  if (a.positional.length < 1) die('usage: ort-run.js MODEL.onnx IN.pb... -o DIR [--threads N] | --bench');
  if (!a.bench) {
    if (!a.out) die('-o DIR is required');
    await runModel(a.positional[0], a.positional.slice(1), a.out, a);
    return;
  }
  await bench(a.positional[0], a);
}

async function createSession(model, a) {
  const opts = { intraOpNumThreads: a.threads, interOpNumThreads: 1,
                 executionProviders: ['cpu'], graphOptimizationLevel: 'all',
                 logSeverityLevel: 3 };
  let session;
  try {
    session = await ort.InferenceSession.create(model, opts);
  } catch (e) {
    die(`${model}: ONNX Runtime cannot load the model: ${e.message}`);
  }
  return session;
}

async function bench(model, a) {
  const session = await createSession(model, a);
  {
    if (session.inputNames.length !== 1) die(`${model}: --bench needs a model with one input`);
    const meta = session.inputMetadata ? session.inputMetadata[0] : null;
    if (!meta || !meta.shape) die(`${model}: input shape unknown`);
    process.stdout.write(`ort-run: ONNX Runtime ${ort.env.versions ? ort.env.versions.common : ''} ` +
                         `CPU, ${a.threads} thread(s), median of ${a.runs} runs, measured as ` +
                         `prunelens-cli bench forward does (input x[i] = (37 i mod 256) / 255; ` +
                         `one warm-up pass, one timed pass to size the runs; each run ` +
                         `about 0.1 s of passes; median of the runs' wall time per pass)\n`);
    for (const batch of a.batches) {
      const dims = meta.shape.map((d, i) => (i === 0 ? batch : d));
      if (dims.some((d) => typeof d !== 'number' || d < 1))
        die(`${model}: input shape [${meta.shape}] has a symbolic dimension other than the first`);
      const n = dims.reduce((x, y) => x * y, 1);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = ((i * 37) % 256) / 255;
      const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
      // Warm-up and calibration exactly as bench_forward in src/cli/cli-bench.c: the
      // second pass is timed and sets the number of passes per run (about 0.1 s).
      let once = 0;
      for (let w = 0; w < 2; w++) {
        const t0 = process.hrtime.bigint();
        await session.run(feeds);
        once = Number(process.hrtime.bigint() - t0) / 1e3;   // microseconds
      }
      const passes = Math.min(100000, Math.max(1, Math.floor(100000 / Math.max(once, 1))));
      const times = [];
      const cpu0 = process.cpuUsage();
      for (let r = 0; r < a.runs; r++) {
        const t0 = process.hrtime.bigint();
        for (let p = 0; p < passes; p++) await session.run(feeds);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6 / passes);
      }
      const cpu = process.cpuUsage(cpu0);
      const ms = median(times);
      // CPU time of the whole process (all threads) per pass: less sensitive than wall
      // time to other work on the machine.
      const cpuMs = (cpu.user + cpu.system) / 1000 / (a.runs * passes);
      process.stdout.write(`batch ${batch}: ${ms.toFixed(3)} ms/run, ` +
                           `${(batch * 1000 / ms).toFixed(1)} images/s; ` +
                           `CPU ${cpuMs.toFixed(3)} ms/run (mean); ${passes} passes per run\n`);
    }
  }
}

async function runModel(model, inputs, out, a) {
  const session = await createSession(model, a);
  if (inputs.length !== session.inputNames.length)
    die(`${model} has ${session.inputNames.length} input(s) (${session.inputNames.join(', ')}) ` +
        `but ${inputs.length} IN.pb file(s) were given`);
  const feeds = {};
  inputs.forEach((file, i) => {
    const t = readTensorProto(file);
    feeds[session.inputNames[i]] = new ort.Tensor(t.type, t.data, t.dims);
  });
  let results;
  try {
    results = await session.run(feeds);
  } catch (e) {
    die(`${model}: ONNX Runtime failed to run: ${e.message}`);
  }
  fs.mkdirSync(out, { recursive: true });
  session.outputNames.forEach((name, i) => {
    const t = results[name];
    const file = path.join(out, `output_${i}.pb`);
    writeTensorProto(file, name, t.dims.map(Number), toFloat32(t));
    process.stdout.write(`output ${i} ${name} [${t.dims.join(', ')}] -> ${file}\n`);
  });
}

main().catch((e) => die(e.stack || String(e)));
