#!/usr/bin/env python3
"""What an engine writes for `gguf-doctor audit` (docs/audit.md): a folder with one float32 .npy per
tensor, named after the GGUF tensor, and a trace JSON (docs/trace.md) of its activations. Standard
library only (no NumPy needed).

The "engine" here is a stand-in: its loader's token_embd.weight comes from a float32 .npy that
`gguf-doctor dump` wrote, and its only op is the embedding lookup. SCALE (default 1) multiplies the
values, to see a diagnosis.

  python3 engine_dump.py token_embd.npy OUT_DIR 1,2,3 [SCALE]
  gguf-doctor audit MODEL --dump OUT_DIR --only token_embd.weight
  gguf-doctor audit MODEL --trace OUT_DIR/trace.json
"""
import array
import json
import math
import os
import struct
import sys


def write_npy(path, shape, values):
    """A float32 .npy (NumPy format 1.0); shape outermost first, values a flat sequence in C order."""
    data = array.array("f", values)
    if sys.byteorder == "big":
        data.byteswap()  # '<f4': little-endian
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join("%d," % d for d in shape)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"  # the data starts at a multiple of 64
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin-1"))
        data.tofile(f)


def json_number(x):
    """JSON has no NaN or infinity: the trace format spells them "nan", "inf", "-inf"."""
    if math.isnan(x):
        return "nan"
    return x if math.isfinite(x) else ("inf" if x > 0 else "-inf")


records = []


def record(layer, op, rows, width, x):
    """x: the activation of every evaluated position, [rows = n_tokens][width], flat, row-major."""
    finite = [v for v in x if math.isfinite(v)]
    n = len(finite) or 1
    records.append({"layer": layer, "op": op, "shape": [rows, width],
                    "min": min(finite, default=0.0), "max": max(finite, default=0.0),
                    "mean": math.fsum(finite) / n, "rms": math.sqrt(math.fsum(v * v for v in finite) / n),
                    "non_finite": len(x) - len(finite), "first": [json_number(v) for v in x[:8]]})


def write_trace(path, tokens):
    with open(path, "w") as f:
        json.dump({"format": "gguf-doctor-trace", "version": 1, "backend": "my-engine",
                   "tokens": tokens, "records": records}, f)


def main():
    if not 4 <= len(sys.argv) <= 5:
        sys.exit("usage: engine_dump.py TOKEN_EMBD.npy OUT_DIR TOKEN,TOKEN,... [SCALE]")
    # The stand-in loader: a float32 .npy as gguf-doctor dump writes it ([n_vocab, n_embd]).
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    header_length = struct.unpack_from("<H", raw, 8)[0]
    header = raw[10:10 + header_length].decode("latin-1")
    n_vocab, n_embd = (int(d) for d in header.split("'shape': (")[1].split(")")[0].split(",") if d.strip())
    embd = array.array("f")
    embd.frombytes(raw[10 + header_length:10 + header_length + 4 * n_vocab * n_embd])
    if sys.byteorder == "big":
        embd.byteswap()
    scale = float(sys.argv[4]) if len(sys.argv) == 5 else 1.0
    embd = array.array("f", (v * scale for v in embd))

    # The dump: one file per tensor, named after the GGUF tensor, NumPy shape [ne1, ne0].
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    write_npy(os.path.join(out, "token_embd.weight.npy"), (n_vocab, n_embd), embd)

    # The trace: evaluate the tokens from position 0 and record each op's activation.
    tokens = [int(t) for t in sys.argv[3].split(",")]
    h = [v for t in tokens for v in embd[t * n_embd:(t + 1) * n_embd]]
    record(-1, "embedding", len(tokens), n_embd, h)
    write_trace(os.path.join(out, "trace.json"), tokens)
    print("wrote %s (%d x %d) and %s" % (os.path.join(out, "token_embd.weight.npy"), n_vocab, n_embd,
                                         os.path.join(out, "trace.json")))


if __name__ == "__main__":
    main()
