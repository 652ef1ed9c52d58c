// llama.cpp's side of bench/forward: the time node-llama-cpp (CPU) takes to evaluate a prompt of token
// ids, median of REPEATS runs after one warm-up, in a fresh sequence each time.
//   node llama_time.mjs MODEL IDS_JSON THREADS REPEATS   -> prints {"median_s": ..., "runs_s": [...]}
// CMake copies this file next to the installed node_modules (ES modules resolve packages from there).
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import fs from "node:fs";

const [modelPath, idsPath, threads, repeats] = process.argv.slice(2);
const ids = JSON.parse(fs.readFileSync(idsPath, "utf8"));
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath});
const size = Math.max(64, ids.length + 8);
const context = await model.createContext({contextSize: size, batchSize: size, threads: Number(threads)});

async function once() {
  const sequence = context.getSequence();
  const start = process.hrtime.bigint();
  await sequence.evaluateWithoutGeneratingNewTokens(ids);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  sequence.dispose();
  return seconds;
}

await once();
const runs = [];
for (let i = 0; i < Number(repeats); ++i) runs.push(await once());
const sorted = [...runs].sort((a, b) => a - b);
console.log(JSON.stringify({median_s: sorted[Math.floor(sorted.length / 2)], runs_s: runs}));
process.exit(0);
