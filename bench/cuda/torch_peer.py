"""The peer of bench_cuda_forward: PyTorch + transformers in FP16 (eager mode, SDPA attention) on the same
weights, exported from the GGUF by `bench_cuda_model export` (dequantized bit-exactly, rounded to FP16).

    python3 torch_peer.py --weights DIR [--prefill 512] [--decode 64] [--repeats 5] [--compare OURS.npy]

Prefill: one forward over the prompt computing every position's logits; timed twice, with the logits
left on the GPU and copied to host memory as float32 (what gguf-doctor's Forward interface returns).
Decode: greedy, one token at a time through the KV cache. Prints one JSON line. With --compare, also
the relative difference between these FP16 logits and gguf-doctor's (the last 4 prefill positions).
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import torch
import transformers


def build(weights_dir):
    with open(os.path.join(weights_dir, "config.json")) as f:
        c = json.load(f)
    common = dict(vocab_size=c["n_vocab"], hidden_size=c["n_embd"], intermediate_size=c["n_ff"],
                  num_hidden_layers=c["n_layer"], num_attention_heads=c["n_head"],
                  num_key_value_heads=c["n_head_kv"], rms_norm_eps=c["rms_eps"],
                  max_position_embeddings=max(c["n_ctx"], 4096), tie_word_embeddings=c["tied_output"])
    cls, model_cls = ((transformers.Qwen2Config, transformers.Qwen2ForCausalLM) if c["architecture"] == "qwen2"
                      else (transformers.LlamaConfig, transformers.LlamaForCausalLM))
    if c["architecture"] == "llama":
        common.update(head_dim=c["head_dim"], attention_bias=False, mlp_bias=False)
    rope = {"rope_type": "default", "rope_theta": c["rope_base"]}
    try:
        config = cls(**common, rope_parameters=rope)
    except TypeError:
        config = cls(**common, rope_theta=c["rope_base"])
    theta = getattr(config, "rope_parameters", None) or {}
    assert float(theta.get("rope_theta", getattr(config, "rope_theta", -1))) == float(c["rope_base"]), "rope base not applied"
    config._attn_implementation = "sdpa"
    # Parameters are made in FP16 directly on the GPU; the rotary frequencies stay float32 (HF builds
    # them in float32 explicitly), as when a checkpoint is loaded with dtype=float16.
    torch.set_default_dtype(torch.float16)
    with torch.device("cuda"):
        model = model_cls(config)
    torch.set_default_dtype(torch.float32)

    def load(name):
        return torch.from_numpy(np.load(os.path.join(weights_dir, name + ".npy")))

    def unpermute(w, heads):
        # llama.cpp's converter reorders llama's q/k rows for adjacent-pair RoPE; HF rotates halves.
        return w.reshape(heads, w.shape[0] // heads // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)

    state = {"model.embed_tokens.weight": load("token_embd.weight"), "model.norm.weight": load("output_norm.weight")}
    if not c["tied_output"]:
        state["lm_head.weight"] = load("output.weight")
    names = {"attn_norm.weight": "input_layernorm.weight", "ffn_norm.weight": "post_attention_layernorm.weight",
             "attn_q.weight": "self_attn.q_proj.weight", "attn_k.weight": "self_attn.k_proj.weight",
             "attn_v.weight": "self_attn.v_proj.weight", "attn_output.weight": "self_attn.o_proj.weight",
             "ffn_gate.weight": "mlp.gate_proj.weight", "ffn_up.weight": "mlp.up_proj.weight",
             "ffn_down.weight": "mlp.down_proj.weight"}
    if c["attention_bias"]:
        names.update({"attn_q.bias": "self_attn.q_proj.bias", "attn_k.bias": "self_attn.k_proj.bias",
                      "attn_v.bias": "self_attn.v_proj.bias"})
    for i in range(c["n_layer"]):
        for ours, theirs in names.items():
            w = load(f"blk.{i}.{ours}")
            if c["architecture"] == "llama" and ours in ("attn_q.weight", "attn_k.weight"):
                w = unpermute(w, c["n_head"] if ours == "attn_q.weight" else c["n_head_kv"])
            state[f"model.layers.{i}.{theirs}"] = w
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected, f"unexpected weights: {unexpected[:5]}"
    assert set(missing) <= ({"lm_head.weight"} if c["tied_output"] else set()), f"weights not loaded: {missing[:5]}"
    if c["tied_output"]:
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr(), "lm_head not tied"
    model.eval()
    return model, c


def timed(fn):
    torch.cuda.synchronize()
    t = time.perf_counter()
    out = fn()
    torch.cuda.synchronize()
    return out, time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--prefill", type=int, default=512)
    ap.add_argument("--decode", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--compare")
    a = ap.parse_args()
    load_start = time.perf_counter()
    model, c = build(a.weights)
    load_s = time.perf_counter() - load_start
    n_real = c["n_vocab"] * 9 // 10
    prompt = torch.tensor([[(i * 7919 + 13) % n_real for i in range(a.prefill)]], device="cuda")

    with torch.inference_mode():
        out = model(prompt, use_cache=False)  # warm-up
        on_gpu, to_host = [], []
        for _ in range(a.repeats):
            _, t = timed(lambda: model(prompt, use_cache=False).logits)
            on_gpu.append(t)
            _, t = timed(lambda: model(prompt, use_cache=False).logits.float().cpu())
            to_host.append(t)
        logits = model(prompt, use_cache=False).logits[0, -4:].float().cpu().numpy()

        decode = []
        for _ in range(max(1, a.repeats // 2)):
            out = model(prompt, use_cache=True)
            past, nxt = out.past_key_values, out.logits[:, -1:].argmax(-1)
            torch.cuda.synchronize()
            t = time.perf_counter()
            for _ in range(a.decode):
                out = model(nxt, past_key_values=past, use_cache=True)
                past, nxt = out.past_key_values, out.logits[:, -1:].argmax(-1)
            torch.cuda.synchronize()
            decode.append((time.perf_counter() - t) / a.decode)

    result = {"peer": f"torch {torch.__version__} transformers {transformers.__version__} fp16 eager sdpa",
              "load_s": load_s, "prefill_tokens": a.prefill,
              "prefill_ms_logits_on_gpu": 1e3 * statistics.median(on_gpu),
              "prefill_ms_logits_to_host": 1e3 * statistics.median(to_host),
              "decode_tokens": a.decode, "decode_ms_per_token": 1e3 * statistics.median(decode)}
    if a.compare:
        ours = np.load(a.compare)
        result["max_rel_diff_vs_ours"] = float(np.abs(ours - logits).max() / np.abs(ours).max())
        result["argmax_agree_last4"] = int((ours.argmax(-1) == logits.argmax(-1)).sum())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
