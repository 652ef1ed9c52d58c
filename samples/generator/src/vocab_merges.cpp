#include <algorithm>
#include <map>
#include <set>

#include "vocab.hpp"

namespace gguf::samples::detail {
namespace {

std::uint64_t next_random(std::uint64_t& state) {  // xorshift64*: deterministic everywhere
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545f4914f6cdd1dull;
}

}  // namespace

std::string_view sample_text() {
    return "A model file is a promise. It says how many layers the network has, how wide each one is, "
           "which words the tokenizer knows, and where every tensor starts and ends. When the promise "
           "holds, the program that loads the file can trust it and run the model. When it does not, the "
           "output is the same token repeated, or words that make no sense, and the person who wrote the "
           "loader spends days looking for the reason in the wrong place. The weights are not broken: the "
           "reader is. The norm weights of the last layer really have a mean near seven, and the residual "
           "stream really grows from one layer to the next. A good check reads the file the way the "
           "reference does, compares the numbers with the numbers the reference computes, and says which "
           "part differs and by how much. It should be fast enough to run on every model before it ships, "
           "and honest enough that a clean report means the model is sound. There is a small model in "
           "this folder that was trained on plain English text, so that the checks have something real to "
           "read: it knows the words of the licences and manuals it was taught, and little else.";
}

std::vector<std::pair<std::string, std::string>> grow_merges(std::vector<std::vector<std::string>> words,
                                                             const std::vector<std::string>& base, std::size_t n_merges) {
    std::vector<std::pair<std::string, std::string>> merges;
    std::set<std::string> known(base.begin(), base.end());

    // Byte-pair encoding on the words: merge the most frequent adjacent pair (ties: the smaller pair),
    // while some pair occurs at least twice.
    while (merges.size() < n_merges) {
        std::map<std::pair<std::string, std::string>, int> counts;
        for (const auto& w : words)
            for (std::size_t i = 0; i + 1 < w.size(); ++i) ++counts[{w[i], w[i + 1]}];
        auto best = counts.end();
        for (auto it = counts.begin(); it != counts.end(); ++it)
            if (!known.count(it->first.first + it->first.second) && (best == counts.end() || it->second > best->second))
                best = it;
        if (best == counts.end() || best->second < 2) break;
        const auto pair = best->first;
        merges.push_back(pair);
        known.insert(pair.first + pair.second);
        for (auto& w : words) {
            std::vector<std::string> merged;
            for (std::size_t i = 0; i < w.size(); ++i) {
                if (i + 1 < w.size() && w[i] == pair.first && w[i + 1] == pair.second) {
                    merged.push_back(pair.first + pair.second);
                    ++i;
                } else {
                    merged.push_back(w[i]);
                }
            }
            w = std::move(merged);
        }
    }

    // Then pairs of existing tokens, short enough to look like word pieces.
    std::vector<std::string> tokens(base.begin(), base.end());
    for (const auto& [a, b] : merges) tokens.push_back(a + b);
    std::uint64_t state = 0x853c49e6748fea9bull;
    std::size_t attempts = 0;
    while (merges.size() < n_merges) {
        const auto& a = tokens[next_random(state) % tokens.size()];
        const auto& b = tokens[next_random(state) % tokens.size()];
        // After many rejections (a tiny alphabet), allow longer pieces rather than loop forever.
        const std::size_t limit = 12 + attempts / 100000;
        ++attempts;
        if (a.size() + b.size() > limit) continue;
        std::string joined = a + b;
        if (!known.insert(joined).second) continue;
        merges.emplace_back(a, b);
        tokens.push_back(std::move(joined));
    }
    return merges;
}

}  // namespace gguf::samples::detail
