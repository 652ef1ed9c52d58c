#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "gguf/audit/model_diff.hpp"
#include "gguf/model/keys.hpp"
#include "gguf/repair/edit.hpp"

namespace gguf::repair {
namespace {

Error edit_error(std::string message) { return Error{ErrorCode::invalid_argument, 0, std::move(message), ""}; }

std::optional<ValueType> type_from_name(std::string_view name) {
    for (std::uint32_t t = 0; t < value_type_count; ++t)
        if (value_type_name(static_cast<ValueType>(t)) == name) return static_cast<ValueType>(t);
    if (name == "bool") return ValueType::boolean;
    if (name == "str") return ValueType::string;
    return std::nullopt;
}

std::string type_text(ValueType type, ValueType element) {
    return type == ValueType::array ? fmt::format("array of {}", value_type_name(element)) : std::string(value_type_name(type));
}

// The metadata being edited, in file order.
class Metadata {
public:
    explicit Metadata(const Writer& w) : entries_(w.metadata()) {}

    const Value* find(std::string_view key) const {
        auto it = position(key);
        return it == entries_.end() ? nullptr : &it->second;
    }
    void set(const std::string& key, Value v) {
        if (auto it = position(key); it != entries_.end()) it->second = std::move(v);
        else entries_.emplace_back(key, std::move(v));
    }
    void erase(std::string_view key) { entries_.erase(position(key)); }
    void rename(std::string_view from, const std::string& to) { position(from)->first = to; }
    const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }

private:
    std::vector<std::pair<std::string, Value>>::iterator position(std::string_view key) {
        return std::find_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e.first == key; });
    }
    std::vector<std::pair<std::string, Value>>::const_iterator position(std::string_view key) const {
        return std::find_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e.first == key; });
    }
    std::vector<std::pair<std::string, Value>> entries_;
};

std::string architecture_of(const Metadata& m) {
    const Value* v = m.find("general.architecture");
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::uint64_t vocabulary_size(const Metadata& m) {
    const Value* tokens = m.find("tokenizer.ggml.tokens");
    return tokens && tokens->is_array() ? tokens->size() : 0;
}

// The type a new value of `key` must have: the existing value's, else the known key's, else the one the
// edit names. An edit that names a type contradicting the first two is refused.
Result<std::pair<ValueType, ValueType>> target_type(const MetadataEdit& edit, const Metadata& m) {
    std::optional<std::pair<ValueType, ValueType>> required;
    std::string source;
    if (const Value* old = m.find(edit.key)) {
        required = {old->type(), old->is_array() ? old->element_type() : ValueType::uint8};
        source = "its current value";
    } else if (auto known = model::known_key_type(edit.key, architecture_of(m))) {
        required = {known->type, known->element};
        source = "the type llama.cpp's converter writes";
    }
    if (edit.type) {
        // An array can be given as "array" (its element type then comes from the key) or as the
        // element type of a per-layer key written as an array.
        if (required && *edit.type != required->first) {
            auto known = model::known_key_type(edit.key, architecture_of(m));
            const bool per_layer_array = known && known->per_layer_array && *edit.type == ValueType::array;
            if (!per_layer_array)
                return edit_error(fmt::format("--set {}: the value must be {} ({}), not {}", edit.key,
                                              type_text(required->first, required->second), source,
                                              value_type_name(*edit.type)));
            return std::pair{ValueType::array, known->element};
        }
        if (!required) {
            if (*edit.type == ValueType::array)
                return edit_error(fmt::format("--set {}: an array of an unknown key needs its element type; "
                                              "add the key with a scalar type or edit it with gguf-py", edit.key));
            return std::pair{*edit.type, ValueType::uint8};
        }
    }
    if (!required)
        return edit_error(fmt::format("--set {}: llama.cpp reads no such key, so its type is unknown; name it as "
                                      "{}:TYPE=VALUE (TYPE: uint32, int32, float32, bool, string, ...)", edit.key, edit.key));
    return *required;
}

// A value written to a per-layer key as a JSON array is that key's per-layer form.
bool looks_like_array(std::string_view text) { return !text.empty() && text.front() == '['; }

Result<Value> value_for(const MetadataEdit& edit, const Metadata& m) {
    auto type = target_type(edit, m);
    if (!type) return type.error();
    auto [t, element] = *type;
    if (t != ValueType::array && looks_like_array(edit.argument)) {
        auto known = model::known_key_type(edit.key, architecture_of(m));
        if (known && known->per_layer_array) {
            t = ValueType::array;
            element = known->element;
        }
    }
    auto value = parse_value(edit.argument, t, element);
    if (!value) {
        Error e = value.error();
        e.message = fmt::format("--set {}: {}", edit.key, e.message);
        return e;
    }
    auto known = model::known_key_type(edit.key, architecture_of(m));
    if (known && known->token_id) {
        const std::uint64_t n_vocab = vocabulary_size(m);
        const auto id = value->try_u64();
        if (!id || (n_vocab && *id >= n_vocab))
            return edit_error(fmt::format("--set {}: token id {} is outside the vocabulary of {} tokens", edit.key,
                                          edit.argument, n_vocab));
    }
    return value;
}

Result<Value> special_token_value(const MetadataEdit& edit, const Metadata& m) {
    const Value* tokens = m.find("tokenizer.ggml.tokens");
    if (!tokens || !tokens->is_array() || tokens->element_type() != ValueType::string)
        return edit_error(fmt::format("--special-token: the model has no tokenizer.ggml.tokens to look '{}' up in", edit.argument));
    std::optional<std::uint64_t> found;
    for (std::uint64_t i = 0; i < tokens->size() && !found; ++i)
        if (tokens->string_at(i) == edit.argument) found = i;
    if (!found) return edit_error(fmt::format("--special-token: no token's text is '{}'", edit.argument));
    if (*found > std::numeric_limits<std::uint32_t>::max())
        return edit_error(fmt::format("--special-token: token id {} does not fit uint32", *found));
    // The key's existing type wins (some converters wrote int32); a new key is uint32, as gguf-py writes it.
    const Value* old = m.find(edit.key);
    if (old && !old->is_array() && old->is_integer()) return parse_value(std::to_string(*found), old->type());
    return Value::u32(static_cast<std::uint32_t>(*found));
}

std::optional<std::string> text_of(const Value* v) {
    if (!v) return std::nullopt;
    return audit::value_text(*v);
}

}  // namespace

Result<MetadataEdit> parse_set(std::string_view text) {
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0)
        return edit_error(fmt::format("--set '{}': write KEY=VALUE or KEY:TYPE=VALUE", text));
    MetadataEdit e{MetadataEdit::Kind::set, std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)), {}};
    if (const auto colon = e.key.find(':'); colon != std::string::npos) {
        const std::string type_name = e.key.substr(colon + 1);
        e.type = type_from_name(type_name);
        if (!e.type)
            return edit_error(fmt::format("--set '{}': '{}' is not a GGUF value type (uint8 ... float64, bool, string, array)",
                                          text, type_name));
        e.key.resize(colon);
    }
    if (e.key.empty()) return edit_error(fmt::format("--set '{}': the key is empty", text));
    return e;
}

Result<MetadataEdit> parse_rename(std::string_view text) {
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size())
        return edit_error(fmt::format("--rename '{}': write OLD=NEW", text));
    return MetadataEdit{MetadataEdit::Kind::rename, std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)), {}};
}

Result<MetadataEdit> parse_special_token(std::string_view text) {
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size())
        return edit_error(fmt::format("--special-token '{}': write NAME=TEXT, e.g. eos=</s>", text));
    const std::string key = fmt::format("tokenizer.ggml.{}_token_id", text.substr(0, eq));
    auto known = model::known_key_type(key, "");
    if (!known || !known->token_id)
        return edit_error(fmt::format("--special-token '{}': '{}' is not a special token llama.cpp reads "
                                      "(bos, eos, eot, eom, unknown, seperator, padding, cls, mask, fim_pre, ...)",
                                      text, text.substr(0, eq)));
    return MetadataEdit{MetadataEdit::Kind::special_token, key, std::string(text.substr(eq + 1)), {}};
}

Result<EditedModel> apply_edits(const Container& model, std::span<const MetadataEdit> edits) {
    auto writer = writer_from(model, model.byte_order());
    if (!writer) return writer.error();
    Metadata m(*writer);
    std::vector<EditChange> changes;
    for (const MetadataEdit& edit : edits) {
        const Value* old = m.find(edit.key);
        switch (edit.kind) {
            case MetadataEdit::Kind::set:
            case MetadataEdit::Kind::special_token: {
                auto value = edit.kind == MetadataEdit::Kind::set ? value_for(edit, m) : special_token_value(edit, m);
                if (!value) return value.error();
                changes.push_back({edit.key, text_of(old), audit::value_text(*value)});
                m.set(edit.key, std::move(*value));
                break;
            }
            case MetadataEdit::Kind::remove:
                if (!old) return edit_error(fmt::format("--delete {}: the model has no such key", edit.key));
                changes.push_back({edit.key, text_of(old), std::nullopt});
                m.erase(edit.key);
                break;
            case MetadataEdit::Kind::rename: {
                if (!old) return edit_error(fmt::format("--rename {}: the model has no such key", edit.key));
                if (m.find(edit.argument))
                    return edit_error(fmt::format("--rename {}={}: the model already has {}", edit.key, edit.argument, edit.argument));
                if (auto known = model::known_key_type(edit.argument, architecture_of(m));
                    known && known->type != old->type() && !(known->per_layer_array && old->is_array()))
                    return edit_error(fmt::format("--rename {}={}: {} must be {}, but the value is {}", edit.key, edit.argument,
                                                  edit.argument, type_text(known->type, known->element),
                                                  type_text(old->type(), old->element_type())));
                changes.push_back({edit.key, text_of(old), std::nullopt});
                changes.push_back({edit.argument, std::nullopt, text_of(old)});
                m.rename(edit.key, edit.argument);
                break;
            }
        }
    }
    // Rebuild the metadata in its edited order (Writer::set appends new keys and keeps existing ones in place).
    std::vector<std::string> old_keys;
    for (const auto& [key, value] : writer->metadata()) old_keys.push_back(key);
    for (const auto& key : old_keys) writer->erase(key);
    for (const auto& [key, value] : m.entries()) writer->set(key, value);
    return EditedModel{std::move(*writer), std::move(changes)};
}

}  // namespace gguf::repair
