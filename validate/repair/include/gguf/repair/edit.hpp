// Metadata edits of a model, as llama.cpp's gguf-py scripts (gguf_set_metadata.py, gguf_new_metadata.py)
// make them: set, rename or delete a key, point a special token at another id or text, replace the chat
// template. Each edit is type-checked, so an edited file is read the way the converter meant it.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/value.hpp"
#include "gguf/writer.hpp"

namespace gguf::repair {

struct MetadataEdit {
    enum class Kind {
        set,           // key = argument, parsed as the key's type
        remove,        // delete key
        rename,        // key -> argument
        special_token  // key (e.g. tokenizer.ggml.bos_token_id) = the id of the token whose text is argument
    };
    Kind kind = Kind::set;
    std::string key;
    std::string argument;
    std::optional<ValueType> type;  // set: the type named in KEY:TYPE=VALUE
};

// Command-line forms: "KEY=VALUE" or "KEY:TYPE=VALUE" (TYPE as GGUF names it: uint32, float32, bool,
// string...; VALUE of an array type as a JSON array) for --set; "OLD=NEW" for --rename; "NAME=TEXT"
// for --special-token, NAME being bos, eos, eot, unknown, padding... (the key tokenizer.ggml.NAME_token_id).
Result<MetadataEdit> parse_set(std::string_view text);
Result<MetadataEdit> parse_rename(std::string_view text);
Result<MetadataEdit> parse_special_token(std::string_view text);

// One key's change, values as display text; nullopt where the key is absent.
struct EditChange {
    std::string key;
    std::optional<std::string> before;
    std::optional<std::string> after;
};

struct EditedModel {
    Writer writer;  // the whole model with its new metadata; tensor data borrowed from the model
    std::vector<EditChange> changes;
};

// Applies `edits` in order to a copy of `model` (metadata and tensors, in the model's byte order; the
// split.* keys of a split model are dropped, so the result is one file). A value takes the type of
// the key it replaces, else the type llama.cpp's converter writes for a known key, else the type the
// edit names; a named type that contradicts either one, a value that does not parse as or fit its
// type, a token id outside the vocabulary, a missing key to delete or rename, or a rename onto an
// existing key is an error that names the edit. `model` must outlive the writer's write().
Result<EditedModel> apply_edits(const Container& model, std::span<const MetadataEdit> edits);

// A value of `type` (element type `element` for arrays) from its text.
Result<Value> parse_value(std::string_view text, ValueType type, ValueType element = ValueType::uint8);

}  // namespace gguf::repair
