#!/usr/bin/env python3
"""Trains the sample model: a SentencePiece tokenizer and a small Llama-architecture transformer on the
corpus prepare_corpus.py builds, then exports what the generator turns into a GGUF file.

    python3 samples/train/train.py --corpus CORPUS_DIR --out OUT_DIR [--train-seconds 240]

OUT_DIR receives:
  tokenizer.json   the tokenizer as GGUF tokenizer.* keys (gguf-samples --vocab-from takes it)
  spm.model        the SentencePiece model itself
  weights.tar      one <GGUF tensor name>.npy (float32) per tensor; attn_q / attn_k rows in Hugging Face
                   order (rotate-half RoPE), so export with gguf-samples --hf-qk-order
  test_ids.json    SentencePiece ids of every test document and of the first train documents, to check
                   that llama.cpp tokenizes them the same way
  metrics.json     sizes, losses, and the test perplexity as PyTorch computes it
The architecture matches llama.cpp's "llama": RMSNorm, RoPE, grouped-query attention, SwiGLU, untied
output. Dropout is used in training only (llama.cpp has none; it is the identity at inference).
"""
import argparse
import io
import json
import math
import os
import tarfile
import time

import numpy as np
import sentencepiece as spm
import torch
import torch.nn as nn
import torch.nn.functional as F

# SentencePiece piece kinds as llama.cpp's token types (llama.h).
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


def train_tokenizer(corpus, out, vocab_size):
    spm.SentencePieceTrainer.train(
        input=os.path.join(corpus, "train.txt"), model_prefix=os.path.join(out, "spm"), model_type="bpe",
        vocab_size=vocab_size, byte_fallback=True, character_coverage=0.9999,
        normalization_rule_name="identity", add_dummy_prefix=True, remove_extra_whitespaces=False,
        split_digits=True, allow_whitespace_only_pieces=True, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        max_sentence_length=1 << 16, num_threads=os.cpu_count() or 1, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(out, "spm.model"))
    tokens, scores, types = [], [], []
    for i in range(sp.get_piece_size()):
        tokens.append(sp.id_to_piece(i))
        scores.append(float(sp.get_score(i)))
        kind = NORMAL
        if sp.is_unknown(i):
            kind = UNKNOWN
        elif sp.is_control(i):
            kind = CONTROL
        elif sp.is_unused(i):
            kind = UNUSED
        elif sp.is_byte(i):
            kind = BYTE
        types.append(kind)
    gguf_keys = {
        "tokenizer.ggml.model": "llama",
        "tokenizer.ggml.pre": "default",
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.scores": scores,
        "tokenizer.ggml.token_type": types,
        "tokenizer.ggml.bos_token_id": 1,
        "tokenizer.ggml.eos_token_id": 2,
        "tokenizer.ggml.unknown_token_id": 0,
        "tokenizer.ggml.add_bos_token": True,
        "tokenizer.ggml.add_eos_token": False,
    }
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(gguf_keys, f, ensure_ascii=False)
    return sp


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        x32 = x.float()
        return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).type_as(x) * self.weight


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Block(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a
        hd = a.n_embd // a.n_head
        self.attn_norm = RMSNorm(a.n_embd, a.rms_eps)
        self.wq = nn.Linear(a.n_embd, a.n_head * hd, bias=False)
        self.wk = nn.Linear(a.n_embd, a.n_head_kv * hd, bias=False)
        self.wv = nn.Linear(a.n_embd, a.n_head_kv * hd, bias=False)
        self.wo = nn.Linear(a.n_head * hd, a.n_embd, bias=False)
        self.ffn_norm = RMSNorm(a.n_embd, a.rms_eps)
        self.w_gate = nn.Linear(a.n_embd, a.n_ff, bias=False)
        self.w_up = nn.Linear(a.n_embd, a.n_ff, bias=False)
        self.w_down = nn.Linear(a.n_ff, a.n_embd, bias=False)
        self.drop = nn.Dropout(a.dropout)

    def forward(self, x, cos, sin):
        a = self.a
        B, T, _ = x.shape
        hd = a.n_embd // a.n_head
        h = self.attn_norm(x)
        q = self.wq(h).view(B, T, a.n_head, hd).transpose(1, 2)
        k = self.wk(h).view(B, T, a.n_head_kv, hd).transpose(1, 2)
        v = self.wv(h).view(B, T, a.n_head_kv, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = a.n_head // a.n_head_kv  # query head i reads kv head i // rep, as in llama.cpp
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
            att = att.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool, device=x.device), 1), float("-inf"))
            y = att.softmax(-1) @ v
        x = x + self.drop(self.wo(y.transpose(1, 2).reshape(B, T, -1)))
        h = self.ffn_norm(x)
        return x + self.drop(self.w_down(F.silu(self.w_gate(h)) * self.w_up(h)))


class Llama(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a
        self.tok_embd = nn.Embedding(a.vocab, a.n_embd)
        self.blocks = nn.ModuleList(Block(a) for _ in range(a.n_layer))
        self.output_norm = RMSNorm(a.n_embd, a.rms_eps)
        self.output = nn.Linear(a.n_embd, a.vocab, bias=False)
        hd = a.n_embd // a.n_head
        inv_freq = 1.0 / (a.rope_base ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
        freqs = torch.outer(torch.arange(a.ctx, dtype=torch.float32), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos", emb.cos()[None, None], persistent=False)
        self.register_buffer("sin", emb.sin()[None, None], persistent=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * a.n_layer) if name.endswith(("wo.weight", "w_down.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, ids):
        T = ids.shape[1]
        x = self.tok_embd(ids)
        cos, sin = self.cos[:, :, :T].to(x.dtype), self.sin[:, :, :T].to(x.dtype)
        for b in self.blocks:
            x = b(x, cos, sin)
        return self.output(self.output_norm(x))


def stream(sp, docs):
    ids = []
    for doc_ids in sp.encode(docs):
        ids.append(1)  # <s> before each document, as llama.cpp adds it
        ids.extend(doc_ids)
    return torch.tensor(ids, dtype=torch.long)


@torch.no_grad()
def window_loss(model, data, ctx, device, chunk=64):
    """Mean NLL over non-overlapping windows of `ctx` tokens, each evaluated from scratch: the tokens
    1..ctx-1 of a window predicted from the ones before them (what perplexity.py does with llama.cpp)."""
    model.eval()
    n_full = len(data) // ctx
    windows = [data[:n_full * ctx].view(n_full, ctx)[i:i + chunk] for i in range(0, n_full, chunk)]
    if len(data) - n_full * ctx >= 2:
        windows.append(data[n_full * ctx:][None])
    total, count = 0.0, 0
    for w in windows:
        w = w.to(device)
        logits = model(w[:, :-1]).float()
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), w[:, 1:].reshape(-1), reduction="sum").item()
        count += w[:, 1:].numel()
    model.train()
    return total / count, count


def export(model, a, out):
    names = {"tok_embd.weight": "token_embd.weight", "output.weight": "output.weight",
             "output_norm.weight": "output_norm.weight"}
    per_block = {"attn_norm.weight": "attn_norm.weight", "wq.weight": "attn_q.weight", "wk.weight": "attn_k.weight",
                 "wv.weight": "attn_v.weight", "wo.weight": "attn_output.weight", "ffn_norm.weight": "ffn_norm.weight",
                 "w_gate.weight": "ffn_gate.weight", "w_up.weight": "ffn_up.weight", "w_down.weight": "ffn_down.weight"}
    for i in range(a.n_layer):
        for k, v in per_block.items():
            names[f"blocks.{i}.{k}"] = f"blk.{i}.{v}"
    state = model.state_dict()
    with tarfile.open(os.path.join(out, "weights.tar"), "w") as tar:
        for src, dst in names.items():
            buf = io.BytesIO()
            np.save(buf, state[src].detach().float().cpu().numpy())
            info = tarfile.TarInfo(dst + ".npy")
            info.size = buf.tell()
            buf.seek(0)
            tar.addfile(info, buf)
    assert len(names) == len(state), sorted(set(state) - set(names))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--vocab", type=int, default=2048)
    p.add_argument("--n-embd", type=int, default=256)
    p.add_argument("--n-layer", type=int, default=4)
    p.add_argument("--n-head", type=int, default=8)
    p.add_argument("--n-head-kv", type=int, default=2)
    p.add_argument("--n-ff", type=int, default=512)
    p.add_argument("--ctx", type=int, default=256)
    p.add_argument("--rope-base", type=float, default=10000.0)
    p.add_argument("--rms-eps", type=float, default=1e-5)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--max-steps", type=int, default=20000)
    p.add_argument("--train-seconds", type=float, default=240.0)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(a.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    t0 = time.time()

    docs = {s: json.load(open(os.path.join(a.corpus, s + ".json"), encoding="utf-8")) for s in ("train", "valid", "test")}
    sp = train_tokenizer(a.corpus, a.out, a.vocab)
    data = {s: stream(sp, d) for s, d in docs.items()}
    with open(os.path.join(a.out, "test_ids.json"), "w") as f:
        json.dump({"test": sp.encode(docs["test"]), "train_head": sp.encode(docs["train"][:300])}, f)
    print({s: len(d) for s, d in data.items()}, "tokens; tokenizer", round(time.time() - t0, 1), "s", flush=True)

    model = Llama(a).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95))
    train = data["train"]
    use_bf16 = device == "cuda"
    best = (float("inf"), None, 0)
    step, t_train = 0, time.time()
    warmup = 200

    def lr_at(step, progress):
        if step < warmup:
            return a.lr * (step + 1) / warmup
        return a.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))

    while step < a.max_steps:
        progress = (time.time() - t_train) / a.train_seconds
        if progress >= 1.0:
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(step, progress)
        starts = torch.randint(0, len(train) - a.ctx - 1, (a.batch,))
        batch = torch.stack([train[s:s + a.ctx + 1] for s in starts.tolist()]).to(device)
        if use_bf16:
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                logits = model(batch[:, :-1])
        else:
            logits = model(batch[:, :-1])
        loss = F.cross_entropy(logits.float().reshape(-1, a.vocab), batch[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % a.eval_every == 0:
            val, _ = window_loss(model, data["valid"], a.ctx, device)
            if val < best[0]:
                best = (val, {k: v.detach().clone() for k, v in model.state_dict().items()}, step)
            print(f"step {step} train {loss.item():.3f} valid {val:.3f} ppl {math.exp(val):.1f} "
                  f"lr {opt.param_groups[0]['lr']:.2e} {time.time() - t_train:.0f}s", flush=True)
    val, _ = window_loss(model, data["valid"], a.ctx, device)
    if val < best[0]:
        best = (val, {k: v.detach().clone() for k, v in model.state_dict().items()}, step)
    model.load_state_dict(best[1])
    test_loss, test_tokens = window_loss(model, data["test"], a.ctx, device)
    export(model, a, a.out)
    metrics = {
        "vocab": a.vocab, "n_embd": a.n_embd, "n_layer": a.n_layer, "n_head": a.n_head, "n_head_kv": a.n_head_kv,
        "n_ff": a.n_ff, "ctx": a.ctx, "rope_base": a.rope_base, "rms_eps": a.rms_eps, "parameters": n_params,
        "train_tokens": len(data["train"]), "valid_tokens": len(data["valid"]), "test_tokens": len(data["test"]),
        "steps": step, "best_step": best[2], "batch": a.batch, "valid_loss": best[0], "test_loss": test_loss,
        "test_ppl": math.exp(test_loss), "test_scored_tokens": test_tokens,
        "train_seconds": time.time() - t_train, "total_seconds": time.time() - t0, "device": device,
        "torch": torch.__version__, "sentencepiece": spm.__version__,
    }
    with open(os.path.join(a.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    print(json.dumps(metrics), flush=True)


if __name__ == "__main__":
    main()
