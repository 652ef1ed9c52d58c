#include "models.hpp"

#include <queue>
#include <string>

#include "pre_tokenizer.hpp"
#include "unicode.hpp"

namespace gguf::tokenizer::detail {
namespace {

// A piece of the word being merged: a stretch [start, start + size) of it, linked to its neighbours.
// A piece merged into its left neighbour gets size 0.
struct Symbol {
    std::size_t start = 0;
    std::size_t size = 0;
    int prev = -1;
    int next = -1;
};

std::vector<Symbol> utf8_symbols(std::string_view text) {
    std::vector<Symbol> symbols;
    for (std::size_t offset = 0; offset < text.size();) {
        const std::size_t size =
            std::min(utf8_sequence_length(static_cast<unsigned char>(text[offset])), text.size() - offset);
        const int index = static_cast<int>(symbols.size());
        symbols.push_back({offset, size, index - 1, offset + size == text.size() ? -1 : index + 1});
        offset += size;
    }
    return symbols;
}

// A candidate merge of `left` and its right neighbour `right`. It is stale once either side has
// changed, which the recorded sizes reveal (pieces only ever grow, or vanish).
template <class Priority>
struct Candidate {
    Priority priority;
    int left;
    int right;
    std::size_t size;  // left size + right size when the candidate was made
};

void merge_into_left(std::vector<Symbol>& symbols, int left, int right) {
    Symbol& l = symbols[left];
    Symbol& r = symbols[right];
    l.size += r.size;
    r.size = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[r.next].prev = left;
}

// SPM's fallback for a piece that is no token: one token per byte.
void push_bytes(const Vocabulary& vocab, std::string_view bytes, std::vector<std::int32_t>& out) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        const char name[] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'};
        std::int32_t id = vocab.find(std::string_view(name, sizeof(name)));
        if (id == no_token) id = vocab.find(std::string_view(&c, 1));
        // llama.cpp throws here (a vocabulary without byte tokens); the unknown token is the honest stand-in.
        if (id == no_token) id = vocab.unk;
        if (id != no_token) out.push_back(id);
    }
}

}  // namespace

void encode_spm(const Vocabulary& vocab, std::string_view text, std::vector<std::int32_t>& out) {
    std::vector<Symbol> symbols = utf8_symbols(text);
    struct Order {  // highest score first, then leftmost
        bool operator()(const Candidate<float>& a, const Candidate<float>& b) const {
            return a.priority < b.priority || (a.priority == b.priority && a.left > b.left);
        }
    };
    std::priority_queue<Candidate<float>, std::vector<Candidate<float>>, Order> queue;
    auto consider = [&](int left, int right) {
        if (left < 0 || right < 0) return;
        const std::size_t size = symbols[left].size + symbols[right].size;
        const std::int32_t id = vocab.find(text.substr(symbols[left].start, size));
        if (id == no_token) return;
        queue.push({vocab.scores[id], left, right, size});
    };
    for (int i = 1; i < static_cast<int>(symbols.size()); ++i) consider(i - 1, i);

    while (!queue.empty()) {
        const Candidate<float> c = queue.top();
        queue.pop();
        const Symbol& l = symbols[c.left];
        const Symbol& r = symbols[c.right];
        if (l.size == 0 || r.size == 0 || l.size + r.size != c.size) continue;
        merge_into_left(symbols, c.left, c.right);
        consider(symbols[c.left].prev, c.left);
        consider(c.left, symbols[c.left].next);
    }

    // A merged piece is always a token; only single characters can be missing from the vocabulary.
    for (int i = symbols.empty() ? -1 : 0; i != -1; i = symbols[i].next) {
        const std::string_view piece = text.substr(symbols[i].start, symbols[i].size);
        const std::int32_t id = vocab.find(piece);
        if (id != no_token) {
            out.push_back(id);
        } else {
            push_bytes(vocab, piece, out);
        }
    }
}

void encode_bpe(const Vocabulary& vocab, std::string_view text, std::vector<std::int32_t>& out) {
    const auto& byte_map = byte_to_code_point();
    std::string word;
    std::string scratch;
    struct Order {  // lowest rank first, then leftmost
        bool operator()(const Candidate<int>& a, const Candidate<int>& b) const {
            return a.priority > b.priority || (a.priority == b.priority && a.left > b.left);
        }
    };
    for (const std::string& raw : split_words(vocab.pre.splitter, text)) {
        word.clear();
        for (char c : raw) append_utf8(word, byte_map[static_cast<unsigned char>(c)]);

        std::vector<Symbol> symbols;
        if (vocab.ignore_merges && vocab.find(word) != no_token) {
            symbols.push_back({0, word.size(), -1, -1});
        } else {
            symbols = utf8_symbols(word);
        }
        std::priority_queue<Candidate<int>, std::vector<Candidate<int>>, Order> queue;
        auto consider = [&](int left, int right) {
            if (left < 0 || right < 0) return;
            const Symbol& l = symbols[left];
            const Symbol& r = symbols[right];
            const int rank = vocab.merge_rank(std::string_view(word).substr(l.start, l.size),
                                              std::string_view(word).substr(r.start, r.size), scratch);
            if (rank >= 0) queue.push({rank, left, right, l.size + r.size});
        };
        for (int i = 1; i < static_cast<int>(symbols.size()); ++i) consider(i - 1, i);
        while (!queue.empty()) {
            const Candidate<int> c = queue.top();
            queue.pop();
            const Symbol& l = symbols[c.left];
            const Symbol& r = symbols[c.right];
            if (l.size == 0 || r.size == 0 || l.size + r.size != c.size) continue;
            merge_into_left(symbols, c.left, c.right);
            consider(symbols[c.left].prev, c.left);
            consider(c.left, symbols[c.left].next);
        }

        for (const Symbol& s : symbols) {
            if (s.size == 0) continue;
            const std::string_view piece = std::string_view(word).substr(s.start, s.size);
            const std::int32_t id = vocab.find(piece);
            if (id != no_token) {
                out.push_back(id);
                continue;
            }
            // As llama.cpp: a piece that is no token falls back to its single bytes that are tokens
            // (only printable ASCII can be), and the rest of it is dropped.
            for (char c : piece) {
                const std::int32_t byte_id = vocab.find(std::string_view(&c, 1));
                if (byte_id != no_token) out.push_back(byte_id);
            }
        }
    }
}

}  // namespace gguf::tokenizer::detail
