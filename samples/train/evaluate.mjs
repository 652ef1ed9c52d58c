// Measures the sample model with llama.cpp itself (node-llama-cpp, CPU): whether llama.cpp tokenizes
// the held-out documents exactly as the model was trained on them (SentencePiece's ids from train.py),
// and the perplexity of the held-out text, scored the way train.py scores it.
//
//   node samples/train/evaluate.mjs REFERENCE_DIR MODEL.gguf TEST_DOCS.json [SENTENCEPIECE_IDS.json] [CTX]
//
// REFERENCE_DIR is where tests/reference/install.sh put node-llama-cpp (.cache/reference). The text is the
// documents, each led by <s>, one stream cut into windows of CTX tokens (default: the model's training
// context); every window is evaluated from an empty cache and its tokens 1..CTX-1 are scored from the
// tokens before them. Prints one JSON object.
import fs from "node:fs";
import path from "node:path";
import {pathToFileURL} from "node:url";

const [referenceDir, modelPath, docsPath, idsPath, ctxArg] = process.argv.slice(2);
if (!referenceDir || !modelPath || !docsPath) {
  console.error("usage: node evaluate.mjs REFERENCE_DIR MODEL.gguf TEST_DOCS.json [SENTENCEPIECE_IDS.json] [CTX]");
  process.exit(2);
}
const entry = path.join(path.resolve(referenceDir), "node_modules/node-llama-cpp/dist/index.js");
const {getLlama, LlamaLogLevel} = await import(pathToFileURL(entry).href);

const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath});
const docs = JSON.parse(fs.readFileSync(docsPath, "utf8"));

// llama_tokenize(text, add_special = false, parse_special = false): SentencePiece's encode().
const ids = docs.map((d) => Array.from(model.tokenize(d, false)));
let equal = null;
const mismatches = [];
if (idsPath) {
  const expected = JSON.parse(fs.readFileSync(idsPath, "utf8")).test;
  equal = 0;
  ids.forEach((got, i) => {
    if (JSON.stringify(got) === JSON.stringify(expected[i])) equal++;
    else if (mismatches.length < 3) mismatches.push({doc: i, text: docs[i].slice(0, 80), llama: got.slice(0, 20), sentencepiece: expected[i].slice(0, 20)});
  });
}

const bos = model.tokens.bos;
const stream = ids.flatMap((d) => [bos, ...d]);
const ctx = Number(ctxArg ?? model.trainContextSize);
const context = await model.createContext({contextSize: ctx, batchSize: ctx, threads: 2});
const sequence = context.getSequence();
let nll = 0, scored = 0, nVocab = 0;
for (let start = 0; start + 1 < stream.length; start += ctx) {
  const window = stream.slice(start, start + ctx);
  await sequence.clearHistory();
  const results = await sequence.controlledEvaluate(window.map((t) => [t, {generateNext: {logits: true}}]));
  for (let i = 0; i + 1 < window.length; i++) {
    const logits = results[i].next.logits;
    let max = -Infinity;
    for (const v of logits.values()) max = Math.max(max, v);
    let sum = 0;
    for (const v of logits.values()) sum += Math.exp(v - max);
    nVocab = Math.max(nVocab, logits.size);
    nll += Math.log(sum) + max - logits.get(window[i + 1]);
    scored++;
  }
}
const mean = nll / scored;
console.log(JSON.stringify({
  model: path.basename(modelPath), documents: docs.length,
  tokenization_equal: equal, tokenization_mismatches: mismatches,
  tokens: stream.length, context: ctx, scored_tokens: scored, mean_nll: mean, perplexity: Math.exp(mean),
  n_vocab: nVocab, random_model_perplexity: nVocab,
}));
process.exit(0);
