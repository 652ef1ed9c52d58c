"""forward.jsonl (run_benchmarks.sh) -> the markdown table of bench/RESULTS.md's cuda section."""
import json
import sys

print("| model | mix | ours prefill 512: logits in host memory / on GPU | torch prefill: logits in host memory / on GPU "
      "| ratio (host / GPU) | ours decode | torch decode | ratio | ours TF32 prefill (host / GPU) | TF32 ratio (host / GPU) "
      "| HF vs ours rel. diff (argmax agree /4) |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for line in open(sys.argv[1]):
    r = json.loads(line)
    o, t, tf = r["ours"], r.get("torch", {}), r.get("ours_tf32", {})
    tp_gpu, tp_host, td = t.get("prefill_ms_logits_on_gpu"), t.get("prefill_ms_logits_to_host"), t.get("decode_ms_per_token")
    fmt = lambda v, unit="ms": f"{v:.2f} {unit}" if isinstance(v, (int, float)) else "n/a"
    ratio = lambda a, b: f"{a / b:.2f}x" if isinstance(a, (int, float)) and isinstance(b, (int, float)) else "n/a"
    op_gpu = o.get("prefill_pass_ms")  # ours without the logits' copy to the host (CUDA events)
    print(f"| {r['preset']} | {r['mix']} | {fmt(o['prefill_ms'])} / {fmt(op_gpu)} | {fmt(tp_host)} / {fmt(tp_gpu)} | "
          f"{ratio(o['prefill_ms'], tp_host)} / {ratio(op_gpu, tp_gpu)} | {fmt(o['decode_ms_per_token'], 'ms/tok')} | "
          f"{fmt(td, 'ms/tok')} | {ratio(o['decode_ms_per_token'], td)} | "
          f"{fmt(tf.get('prefill_ms'))} / {fmt(tf.get('prefill_pass_ms'))} | "
          f"{ratio(tf.get('prefill_ms'), tp_host)} / {ratio(tf.get('prefill_pass_ms'), tp_gpu)} | "
          f"{t.get('max_rel_diff_vs_ours', float('nan')):.2g} ({t.get('argmax_agree_last4', 'n/a')}) |")
print("\nratio = ours / torch (below 1: gguf-doctor faster)")
