// open_header(): a model parsed from the first bytes of its files, read in growing requests.
#include <algorithm>
#include <memory>
#include <vector>

#include "container_assembly.hpp"
#include "shard_parser.hpp"
#include "split_files.hpp"

namespace gguf {
namespace {

// Reads and parses one file's header, asking `read` for more while the parse stops at the end of the
// bytes it has. Doubling keeps the request count logarithmic in the header size; taking what the parse
// said it needs when that is more skips requests the next read would certainly need.
Result<ParsedShard> read_header(const std::string& name, const PrefixReader& read, const OpenOptions& options,
                                std::uint64_t first_read) {
    auto prefix = std::make_shared<std::vector<std::byte>>();
    auto file_size = read(name, std::max<std::uint64_t>(first_read, 1), *prefix);
    if (!file_size) return file_size.error();
    while (true) {
        std::uint64_t needed = 0;
        // The parse keeps views of the bytes only when it succeeds: after a failure nothing refers to
        // them, so the buffer can grow (and move) for the next attempt.
        auto parsed = parse_shard_prefix(*prefix, *file_size, prefix, name, options, needed);
        if (parsed || needed == 0) return parsed;
        const std::uint64_t want = std::min(*file_size, std::max(needed, 2 * static_cast<std::uint64_t>(prefix->size())));
        const std::size_t before = prefix->size();
        auto grown = read(name, want, *prefix);
        if (!grown) return grown.error();
        if (*grown != *file_size)
            return Error{ErrorCode::io_error, before,
                         "the file changed size while its header was read (" + std::to_string(*file_size) + " then " +
                             std::to_string(*grown) + " bytes)",
                         name};
        if (prefix->size() <= before)
            return Error{ErrorCode::io_error, before, "the reader returned no more bytes than it had", name};
    }
}

}  // namespace

Result<Container> open_header(const std::string& name, const PrefixReader& read, const OpenOptions& options,
                              std::uint64_t first_read) {
    auto first = read_header(name, read, options, first_read);
    if (!first) return first.error();
    std::vector<ParsedShard> parsed;
    if (options.load_split) {
        auto all = load_split_siblings(name, std::move(*first),
                                       [&](const std::filesystem::path& sibling, std::uint64_t, std::uint64_t) {
                                           return read_header(sibling.string(), read, options, first_read);
                                       });
        if (!all) return all.error();
        parsed = std::move(*all);
    } else {
        parsed.push_back(std::move(*first));
    }
    return assemble_container(std::move(parsed), options);
}

}  // namespace gguf
