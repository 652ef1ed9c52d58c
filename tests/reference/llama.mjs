// llama.cpp's answers through node-llama-cpp (CPU), for the differential tests. CMake copies this file
// into the build tree beside a link to the installed node_modules (ES modules resolve packages from the
// script's own folder).
//   node llama.mjs logits   MODEL IDS_JSON OUT.f32   -> float32 [n_tokens][n_vocab], every position; ids as given
//   node llama.mjs tokenize MODEL TEXTS_JSON OUT.json -> [[ids...], ...]; add_bos=false unless MODE=with-bos
//   node llama.mjs tokenize-raw MODEL TEXTS_JSON OUT.json -> {"plain": [[ids...], ...], "special": [...]}:
//                      llama_tokenize(add_special=false, parse_special=false|true) exactly, no leading-space
//                      workaround; loads vocabulary-only files too
//   node llama.mjs load     MODEL                     -> prints {"loaded": true, ...} if llama.cpp loads the model
//   node llama.mjs logits-many JOBS_JSON              -> the logits mode for many models in one process, jobs
//                                                      [{"model", "ids", "out", "kv_type", "flash_attention",
//                                                        "context"}]; "context": the context size (else
//                                                      max(64, tokens + 8))
// Environment: GGUF_DOCTOR_TOKENIZE_SPECIAL=1 parses special tokens in the text. The logits mode uses
// node-llama-cpp's defaults (F16 KV cache, flash attention "auto", which the CPU backend turns on) unless
// GGUF_DOCTOR_KV_TYPE (e.g. F32) or GGUF_DOCTOR_FLASH_ATTENTION (on/off/auto) say otherwise; jobs carry the
// same two settings as "kv_type" and "flash_attention".
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import fs from "node:fs";

const [mode, modelPath, arg, outPath, extra] = process.argv.slice(2);
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});

// Logits of every position of `ids` (used exactly as given) as float32 [n_tokens][n_vocab] in `out`.
async function writeLogits(model, ids, out, kvType, flashAttention, contextSize) {
  const size = Math.max(64, ids.length + 8);
  const options = {contextSize: contextSize || size, batchSize: size, threads: 2};
  if (kvType) Object.assign(options, {experimentalKvCacheKeyType: kvType, experimentalKvCacheValueType: kvType});
  if (flashAttention) options.flashAttention = flashAttention === "auto" ? "auto" : flashAttention === "on";
  const context = await model.createContext(options);
  const sequence = context.getSequence();
  const results = await sequence.controlledEvaluate(ids.map((t) => [t, {generateNext: {logits: true}}]));
  let nVocab = 0;
  const rows = results.map((r) => r?.next?.logits);
  for (const m of rows) for (const k of m.keys()) nVocab = Math.max(nVocab, k + 1);
  const values = new Float32Array(rows.length * nVocab);
  rows.forEach((m, r) => { for (const [k, v] of m) values[r * nVocab + k] = v; });
  fs.writeFileSync(out, Buffer.from(values.buffer));
  await context.dispose();
  return {positions: rows.length, n_vocab: nVocab};
}

if (mode === "logits-many") {
  const jobs = JSON.parse(fs.readFileSync(modelPath, "utf8"));
  const done = [];
  for (const job of jobs) {
    const model = await llama.loadModel({modelPath: job.model});
    done.push(await writeLogits(model, job.ids, job.out, job.kv_type, job.flash_attention, job.context));
    await model.dispose();
  }
  console.log(JSON.stringify(done));
  process.exit(0);
}
// tokenize-raw also serves vocabulary-only files (no tensors), which a full load rejects.
const model = await llama.loadModel({modelPath, vocabOnly: mode === "tokenize-raw"});

if (mode === "load") {
  console.log(JSON.stringify({loaded: true, train_context_size: model.trainContextSize}));
} else if (mode === "tokenize") {
  const texts = JSON.parse(fs.readFileSync(arg, "utf8"));
  const special = process.env.GGUF_DOCTOR_TOKENIZE_SPECIAL === "1";
  const ids = texts.map((t) => Array.from(model.tokenize(t, special, extra === "with-bos" ? undefined : "trimLeadingSpace")));
  fs.writeFileSync(outPath, JSON.stringify(ids));
} else if (mode === "tokenize-raw") {
  const texts = JSON.parse(fs.readFileSync(arg, "utf8"));
  const ids = (special) => texts.map((t) => Array.from(model.tokenize(t, special)));
  fs.writeFileSync(outPath, JSON.stringify({plain: ids(false), special: ids(true)}));
} else if (mode === "logits") {
  const ids = JSON.parse(fs.readFileSync(arg, "utf8"));
  console.log(JSON.stringify(await writeLogits(model, ids, outPath, process.env.GGUF_DOCTOR_KV_TYPE,
                                              process.env.GGUF_DOCTOR_FLASH_ATTENTION)));
} else {
  console.error("usage: node llama.mjs logits|logits-many|tokenize|tokenize-raw|load MODEL ...");
  process.exit(2);
}
process.exit(0);
