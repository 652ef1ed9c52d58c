#!/usr/bin/env python3
"""Writes the hand-made seed corpora of the fuzz targets (fuzz/seeds/<target>/): small GGUF files of
the three modelled architectures laid out as llama.cpp expects (tiny shapes, a few KB each), GGUF
files in every version and byte order, tokenizer inputs for SPM and BPE vocabularies, blocks of every
supported type, .npy arrays and traces. Deterministic: running it again gives the same bytes.
Inputs named regression-* are kept by hand: each reproduced a bug the targets found, now fixed."""
import json
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
SCALAR = {U8: "B", I8: "b", U16: "H", I16: "h", U32: "I", I32: "i", F32: "f", BOOL: "?", U64: "Q", I64: "q", F64: "d"}
# ggml type id: (elements per block, bytes per block)
TYPES = {"F32": (0, 1, 4), "F16": (1, 1, 2), "Q4_0": (2, 32, 18), "Q8_0": (8, 32, 34), "Q4_K": (12, 256, 144),
         "Q6_K": (14, 256, 210)}


class Gguf:
    def __init__(self, version=3, big=False, alignment=32):
        self.version, self.e, self.alignment = version, ">" if big else "<", alignment
        self.kv, self.tensors = [], []

    def length(self, n):
        return struct.pack(self.e + ("I" if self.version == 1 else "Q"), n)

    def string(self, s):
        b = s.encode() if isinstance(s, str) else s
        return self.length(len(b)) + b

    def value(self, t, v):
        if t == STR:
            return self.string(v)
        if t == ARR:
            et, items = v
            return struct.pack(self.e + "I", et) + self.length(len(items)) + b"".join(self.value(et, x) for x in items)
        return struct.pack(self.e + SCALAR[t], v)

    def set(self, key, t, v):
        self.kv.append(self.string(key) + struct.pack(self.e + "I", t) + self.value(t, v))
        return self

    def tensor(self, name, ne, type_name, data=None, rng=None):
        type_id, block, size = TYPES[type_name]
        n = 1
        for d in ne:
            n *= d
        nbytes = n // block * size
        if data is None:
            data = tensor_bytes(type_name, nbytes, rng or random.Random(name))
        self.tensors.append((name, ne, type_id, data))
        return self

    def bytes(self):
        e = self.e
        count = "I" if self.version == 1 else "Q"
        out = b"GGUF" + struct.pack(e + "I", self.version) + struct.pack(e + count, len(self.tensors))
        out += struct.pack(e + count, len(self.kv)) + b"".join(self.kv)
        offset, infos, blobs = 0, b"", b""
        for name, ne, type_id, data in self.tensors:
            dims = b"".join(struct.pack(e + ("I" if self.version == 1 else "Q"), d) for d in ne)
            infos += self.string(name) + struct.pack(e + "I", len(ne)) + dims + struct.pack(e + "I", type_id)
            infos += struct.pack(e + "Q", offset)
            pad = (-len(data)) % self.alignment
            blobs += data + b"\0" * pad
            offset += len(data) + pad
        out += infos
        if self.tensors:
            out += b"\0" * ((-len(out)) % self.alignment)
        return out + blobs


def half(x):
    return struct.pack("<e", x)


def tensor_bytes(type_name, nbytes, rng):
    """Plausible weights: small f16 scales, random quants (little-endian)."""
    if type_name == "F32":
        return b"".join(struct.pack("<f", rng.gauss(0, 0.05)) for _ in range(nbytes // 4))
    if type_name == "F16":
        return b"".join(half(rng.gauss(0, 0.05)) for _ in range(nbytes // 2))
    _, _, size = TYPES[type_name]
    out = b""
    for _ in range(nbytes // size):
        if type_name in ("Q4_0", "Q8_0"):
            out += half(0.002 + rng.random() * 0.004) + bytes(rng.getrandbits(8) for _ in range(size - 2))
        elif type_name == "Q4_K":
            out += half(0.001) + half(0.0005) + bytes(rng.getrandbits(8) for _ in range(size - 4))
        else:  # Q6_K: the scale d is last
            out += bytes(rng.getrandbits(8) for _ in range(size - 2)) + half(0.0002)
    return out


def spm_vocab(g, n):
    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(8)]
    pieces = ["\u2581the", "\u2581a", "\u2581of", "he", "th", "e", "t", "h", "a", "o", "\u2581", "n", "s", "\u2581is",
              "\u2581to", "in", "er", "r", "i", "l", ".", ",", "\u00e9", "\u4e2d"]
    tokens += pieces
    while len(tokens) < n:
        tokens.append("[PAD%d]" % len(tokens))
    types = [2, 3, 3] + [6] * 8 + [1] * len(pieces) + [5] * (n - 11 - len(pieces))
    g.set("tokenizer.ggml.model", STR, "llama")
    g.set("tokenizer.ggml.tokens", ARR, (STR, tokens[:n]))
    g.set("tokenizer.ggml.scores", ARR, (F32, [-float(i) for i in range(n)]))
    g.set("tokenizer.ggml.token_type", ARR, (I32, types[:n]))
    g.set("tokenizer.ggml.bos_token_id", U32, 1).set("tokenizer.ggml.eos_token_id", U32, 2)
    g.set("tokenizer.ggml.unknown_token_id", U32, 0).set("tokenizer.ggml.add_bos_token", BOOL, True)


def byte_symbols():
    """GPT-2's byte-to-unicode table, in its order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + \
        list(range(ord("\u00ae"), ord("\u00ff") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def bpe_vocab(g, n, pre="qwen2"):
    symbols = byte_symbols()
    merges = [("t", "h"), ("th", "e"), ("\u0120", "t"), ("\u0120t", "he"), ("i", "n"), ("e", "r"), ("\u0120", "a")]
    tokens = symbols + [a + b for a, b in merges] + ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    types = [1] * (len(symbols) + len(merges)) + [3, 3, 3]
    while len(tokens) < n:
        tokens.append("[PAD%d]" % len(tokens))
        types.append(5)
    g.set("tokenizer.ggml.model", STR, "gpt2").set("tokenizer.ggml.pre", STR, pre)
    g.set("tokenizer.ggml.tokens", ARR, (STR, tokens))
    g.set("tokenizer.ggml.token_type", ARR, (I32, types))
    g.set("tokenizer.ggml.merges", ARR, (STR, [a + " " + b for a, b in merges]))
    eot = tokens.index("<|endoftext|>")
    g.set("tokenizer.ggml.bos_token_id", U32, eot).set("tokenizer.ggml.eos_token_id", U32, eot)
    g.set("tokenizer.ggml.padding_token_id", U32, eot).set("tokenizer.ggml.add_bos_token", BOOL, False)
    return len(tokens)


def model(arch, quant="Q4_0", version=3, big=False, vocab="spm"):
    """A 1-layer model of `arch` with llama.cpp's names and shapes: n_embd 32, 2 heads / 1 KV head."""
    g = Gguf(version, big)
    n_embd, n_head, n_kv, head, n_ff = 32, 2, 1, 16, 64
    if arch == "qwen3":
        head = 32  # key_length unlike n_embd / n_head, as in Qwen3
    g.set("general.architecture", STR, arch).set("general.name", STR, "seed-" + arch)
    g.set("general.alignment", U32, 32)
    g.set(arch + ".block_count", U32, 1).set(arch + ".context_length", U32, 64)
    g.set(arch + ".embedding_length", U32, n_embd).set(arch + ".feed_forward_length", U32, n_ff)
    g.set(arch + ".attention.head_count", U32, n_head).set(arch + ".attention.head_count_kv", U32, n_kv)
    g.set(arch + ".rope.freq_base", F32, 10000.0 if arch == "llama" else 1000000.0)
    g.set(arch + ".attention.layer_norm_rms_epsilon", F32, 1e-5 if arch == "llama" else 1e-6)
    if arch == "qwen3":
        g.set(arch + ".attention.key_length", U32, head).set(arch + ".attention.value_length", U32, head)
    if vocab == "spm":
        n_vocab = 64
        spm_vocab(g, n_vocab)
    else:
        n_vocab = bpe_vocab(g, 288)
    if arch == "llama":
        g.set("llama.vocab_size", U32, n_vocab).set("llama.rope.dimension_count", U32, head)
    rng = random.Random(arch + quant + vocab)
    embd_type = quant if quant != "Q4_K" else "Q4_0"  # 32-wide rows hold no 256-value block
    g.tensor("token_embd.weight", [n_embd, n_vocab], embd_type, rng=rng)
    g.tensor("blk.0.attn_norm.weight", [n_embd], "F32", rng=rng)
    for name, rows in (("attn_q", n_head * head), ("attn_k", n_kv * head), ("attn_v", n_kv * head)):
        g.tensor("blk.0.%s.weight" % name, [n_embd, rows], embd_type, rng=rng)
        if arch == "qwen2":
            g.tensor("blk.0.%s.bias" % name, [rows], "F32", rng=rng)
    if arch == "qwen3":
        g.tensor("blk.0.attn_q_norm.weight", [head], "F32", rng=rng)
        g.tensor("blk.0.attn_k_norm.weight", [head], "F32", rng=rng)
    g.tensor("blk.0.attn_output.weight", [n_head * head, n_embd], embd_type, rng=rng)
    g.tensor("blk.0.ffn_norm.weight", [n_embd], "F32", rng=rng)
    g.tensor("blk.0.ffn_gate.weight", [n_embd, n_ff], embd_type, rng=rng)
    g.tensor("blk.0.ffn_up.weight", [n_embd, n_ff], embd_type, rng=rng)
    g.tensor("blk.0.ffn_down.weight", [n_ff, n_embd], embd_type, rng=rng)
    g.tensor("output_norm.weight", [n_embd], "F32", rng=rng)
    if quant == "Q4_K":  # one 256-wide tensor so a K-quant is in the file
        g.tensor("blk.0.extra.weight", [256, 1], "Q4_K", rng=rng)
    return g.bytes()


def generic_files():
    """Every version, both byte orders, every value type, nested arrays, an empty file's worth."""
    out = {}
    for version in (1, 2, 3):
        for big in (False, True):
            g = Gguf(version, big)
            g.set("general.architecture", STR, "llama").set("u8", U8, 7).set("i8", I8, -7).set("u16", U16, 700)
            g.set("i16", I16, -700).set("u32", U32, 70000).set("i32", I32, -70000).set("f32", F32, 1.5)
            g.set("bool", BOOL, True).set("u64", U64, 1 << 40).set("i64", I64, -(1 << 40)).set("f64", F64, 2.5)
            g.set("strs", ARR, (STR, ["a", "bc", ""])).set("nums", ARR, (I16, [1, -2, 3]))
            g.set("nested", ARR, (ARR, [(U8, [1, 2]), (STR, ["x"])]))
            g.tensor("a", [8, 2], "F32").tensor("q", [64], "Q4_0").tensor("k", [256], "Q4_K")
            out["v%d-%s.gguf" % (version, "be" if big else "le")] = g.bytes()
    out["header-only.gguf"] = Gguf().set("general.architecture", STR, "llama").bytes()
    g = Gguf(alignment=64)
    g.set("general.alignment", U32, 64).tensor("x", [16], "F16").tensor("y", [16], "F32")
    out["align64.gguf"] = g.bytes()
    deep = (U8, [1])
    for _ in range(7):
        deep = (ARR, [deep])
    out["nested-8.gguf"] = Gguf().set("deep", ARR, deep).bytes()
    return out


def header_of(data):
    """The bytes up to the end of the tensor infos (the data section left off)."""
    version = struct.unpack("<I", data[4:8])[0]
    e = "<" if version <= 3 else ">"
    version = struct.unpack(e + "I", data[4:8])[0]
    w = 4 if version == 1 else 8
    lf = e + ("I" if version == 1 else "Q")
    n_tensors = struct.unpack(lf, data[8:8 + w])[0]
    n_kv = struct.unpack(lf, data[8 + w:8 + 2 * w])[0]
    at = 8 + 2 * w

    def skip_value(t, at):
        if t == STR:
            return at + w + struct.unpack(lf, data[at:at + w])[0]
        if t == ARR:
            et = struct.unpack(e + "I", data[at:at + 4])[0]
            n = struct.unpack(lf, data[at + 4:at + 4 + w])[0]
            at += 4 + w
            for _ in range(n):
                at = skip_value(et, at)
            return at
        return at + struct.calcsize(SCALAR[t])

    for _ in range(n_kv):
        at = skip_value(STR, at)
        t = struct.unpack(e + "I", data[at:at + 4])[0]
        at = skip_value(t, at + 4)
    for _ in range(n_tensors):
        at = skip_value(STR, at)
        n_dims = struct.unpack(e + "I", data[at:at + 4])[0]
        at += 4 + n_dims * w + 4 + 8
    return data[:at]


def write(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def npy(descr, shape, values, fortran=False, version=1):
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (
        descr, "True" if fortran else "False", "".join("%d," % d for d in shape))
    fmt = {"f2": "e", "f4": "f", "f8": "d"}[descr[1:]]
    e = ">" if descr[0] == ">" else "<"
    data = b"".join(struct.pack(e + fmt, v) for v in values)
    pre = 10 if version == 1 else 12
    header += " " * ((-(pre + len(header) + 1)) % 64) + "\n"
    length = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header.encode() + data


def main():
    models = {"llama-q4_0.gguf": model("llama", "Q4_0"), "llama-q4_k.gguf": model("llama", "Q4_K"),
              "llama-v2-be-q8_0.gguf": model("llama", "Q8_0", version=2, big=True),
              "qwen2-q4_0.gguf": model("qwen2", "Q4_0", vocab="bpe"), "qwen3-q4_0.gguf": model("qwen3", "Q4_0", vocab="bpe")}
    for name, data in generic_files().items():
        write("fuzz_header", name, data)
        write("fuzz_open_header", name, data)
    for name, data in models.items():
        write("fuzz_check", name, data)
        # Metadata and tensor infos are what the spec and the schema read: the data is left off.
        write("fuzz_model_spec", name, header_of(data))
    write("fuzz_header", "llama-q4_k.gguf", models["llama-q4_k.gguf"])
    write("fuzz_open_header", "llama-q4_k.gguf", models["llama-q4_k.gguf"])
    texts = ["Hello world", " the theater is the  thing.\n", "caf\u00e9 \u4e2d\u6587 \U0001F600",
             "<|im_start|>user\nhi<|im_end|>", "   \t\n\n  ", "12345 67.89", ""]
    for vocab in ("spm", "bpe"):
        g = Gguf()
        if vocab == "spm":
            spm_vocab(g, 64)
        else:
            bpe_vocab(g, 288)
        vocab_file = g.bytes()
        for i, text in enumerate(texts):
            t = text.encode()
            write("fuzz_tokenizer", "%s-%d.bin" % (vocab, i), struct.pack("<H", len(t)) + t + vocab_file)
        t = b"\xff\xfe invalid \xc3"
        write("fuzz_tokenizer", "%s-invalid-utf8.bin" % vocab, struct.pack("<H", len(t)) + t + vocab_file)
    rng = random.Random(1)
    # Blocks: the first byte picks the type among the supported ones (in type id order), the second the
    # byte order and row split; 420 bytes hold at least one block of every type.
    for selector in range(24):
        for flags in (0, 3, 0x18 | 5):
            body = bytes(rng.getrandbits(8) for _ in range(420))
            write("fuzz_dequant", "type%02d-%d.bin" % (selector, flags), bytes([selector, flags]) + body)
    write("fuzz_dequant", "nan-inf.bin", bytes([1, 0]) + b"\x00\x7c\x00\xfc\x01\x7e\xff\x7f" * 8)
    write("fuzz_npy", "f4-le.npy", npy("<f4", [2, 3], [0.5, -1, 2, 3, 4, 1e30]))
    write("fuzz_npy", "f2-be-fortran.npy", npy(">f2", [2, 2], [1, 2, 3, 4], fortran=True))
    write("fuzz_npy", "f8-v2.npy", npy("<f8", [3], [1e-300, 2, 3], version=2))
    write("fuzz_npy", "scalar.npy", npy("<f4", [], [7.0]))
    trace = {"format": "gguf-doctor-trace", "version": 1, "model": "m.gguf", "backend": "mine", "tokens": [1, 2],
             "first_position": 0,
             "records": [{"layer": -1, "op": "embd", "shape": [2, 4], "min": -1, "max": 1, "mean": 0, "rms": 0.5,
                          "non_finite": 0, "first": [0.1, "nan", "inf", -0.2], "npy": "embd.npy"},
                         {"layer": 0, "op": "attn_norm", "shape": [2, 4], "min": "-inf", "max": 3.5, "mean": 0.25,
                          "rms": 1}]}
    write("fuzz_trace", "trace.json", json.dumps(trace, indent=1).encode())
    write("fuzz_trace", "empty-records.json", b'{"format":"gguf-doctor-trace","version":1,"records":[]}')
    return 0


if __name__ == "__main__":
    sys.exit(main())
