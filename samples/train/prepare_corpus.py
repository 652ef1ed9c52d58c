#!/usr/bin/env python3
"""Builds the English corpus the sample model is trained on, from text that Debian packages install.

Sources (apt-get install fortunes debian-reference-en; the licences are in every Debian system):
  /usr/share/games/fortunes/*            fortune cookies (the neutral collections listed below)
  /usr/share/debian-reference/*.txt.gz   the Debian Reference manual, paragraph by paragraph
  /usr/share/common-licenses/*           licence texts, paragraph by paragraph

Every document (a cookie or a paragraph) has its whitespace collapsed within lines, exact duplicates are
dropped (the GPL family repeats whole paragraphs), and a hash of its text puts it in train (90%),
valid (5%, for choosing the checkpoint) or test (5%, only for the perplexity reported in docs/samples.md).

    python3 samples/train/prepare_corpus.py OUT_DIR
writes OUT_DIR/{train,valid,test}.json (lists of documents) and OUT_DIR/train.txt (one line per line of
text, for training the tokenizer).
"""
import gzip
import hashlib
import json
import os
import sys

FORTUNES = "/usr/share/games/fortunes"
# Collections of plain prose or verse; art, ascii-art, translate-me and the ones about politics, drugs,
# ethnicity or the sexes are left out.
FORTUNE_FILES = [
    "computers", "cookie", "debian", "definitions", "education", "food", "fortunes", "goedel", "humorists",
    "kids", "knghtbrd", "linux", "linuxcookie", "literature", "love", "magic", "medicine", "miscellaneous",
    "news", "paradoxum", "people", "pets", "platitudes", "pratchett", "riddles", "science", "songs-poems",
    "sports", "startrek", "tao", "wisdom", "work", "zippy",
]
DEBIAN_REFERENCE = "/usr/share/debian-reference/debian-reference.en.txt.gz"
LICENCES = "/usr/share/common-licenses"


def clean(text):
    lines = [" ".join(line.split()) for line in text.replace("\r", "").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def paragraphs(text):
    for block in text.replace("\r", "").split("\n\n"):
        block = clean(block)
        if len(block) >= 40:  # headings and table fragments are too short to be prose
            yield block


def documents():
    for name in FORTUNE_FILES:
        path = os.path.join(FORTUNES, name)
        with open(path, encoding="utf-8", errors="replace") as f:
            for cookie in f.read().split("\n%\n"):
                cookie = clean(cookie.strip("%\n"))
                if cookie:
                    yield cookie
    with gzip.open(DEBIAN_REFERENCE, "rt", encoding="utf-8") as f:
        yield from paragraphs(f.read())
    seen_files = set()
    for name in sorted(os.listdir(LICENCES)):
        path = os.path.realpath(os.path.join(LICENCES, name))
        if path in seen_files or not os.path.isfile(path):
            continue
        seen_files.add(path)
        with open(path, encoding="utf-8", errors="replace") as f:
            yield from paragraphs(f.read())


def split_of(doc):
    bucket = int.from_bytes(hashlib.sha256(doc.encode("utf-8")).digest()[:4], "little") % 20
    return "test" if bucket == 0 else "valid" if bucket == 1 else "train"


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    splits = {"train": [], "valid": [], "test": []}
    seen = set()
    for doc in documents():
        if doc in seen:
            continue
        seen.add(doc)
        splits[split_of(doc)].append(doc)
    for name, docs in splits.items():
        with open(os.path.join(out, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(docs, f, ensure_ascii=False)
        print(f"{name}: {len(docs)} documents, {sum(len(d) for d in docs)} characters")
    with open(os.path.join(out, "train.txt"), "w", encoding="utf-8") as f:
        for doc in splits["train"]:
            f.write(doc + "\n")


if __name__ == "__main__":
    main()
