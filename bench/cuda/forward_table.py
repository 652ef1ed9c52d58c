"""forward.jsonl (run_benchmarks.sh) -> the markdown table of bench/RESULTS.md's cuda section."""
import json
import sys

print("| model | mix | ours prefill 512 | torch prefill (logits on GPU / to host) | ratio (host) "
      "| ours decode | torch decode | ratio | ours TF32 prefill | HF vs ours rel. diff (argmax agree /4) |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for line in open(sys.argv[1]):
    r = json.loads(line)
    o, t, tf = r["ours"], r.get("torch", {}), r.get("ours_tf32", {})
    tp_gpu, tp_host, td = t.get("prefill_ms_logits_on_gpu"), t.get("prefill_ms_logits_to_host"), t.get("decode_ms_per_token")
    fmt = lambda v, unit="ms": f"{v:.2f} {unit}" if isinstance(v, (int, float)) else "n/a"
    ratio = lambda a, b: f"{a / b:.2f}x" if isinstance(a, (int, float)) and isinstance(b, (int, float)) else "n/a"
    print(f"| {r['preset']} | {r['mix']} | {fmt(o['prefill_ms'])} | {fmt(tp_gpu)} / {fmt(tp_host)} | "
          f"{ratio(o['prefill_ms'], tp_host)} | {fmt(o['decode_ms_per_token'], 'ms/tok')} | {fmt(td, 'ms/tok')} | "
          f"{ratio(o['decode_ms_per_token'], td)} | {fmt(tf.get('prefill_ms'))} | "
          f"{t.get('max_rel_diff_vs_ours', float('nan')):.2g} ({t.get('argmax_agree_last4', 'n/a')}) |")
print("\nratio = ours / torch (below 1: gguf-doctor faster)")
