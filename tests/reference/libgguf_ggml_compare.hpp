// Opens one GGUF file with libgguf and with ggml's own reader (gguf_init_from_file, tensor data loaded)
// and checks that both see the same file: header, every key with its type and value in order, every
// tensor's name, type, dims, offset, size and bytes.
#pragma once

#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "gguf/container.hpp"
#include "reference/ggml_reference.hpp"

namespace gguf::reference {

// ggml's gguf_type ids are the same numbers as ValueType; compared as ints so a mismatch shows.
inline void check_value_same(const Value& ours, const gguf_context* ctx, int64_t id) {
    const int type = gguf_get_kv_type(ctx, id);
    REQUIRE(type == static_cast<int>(ours.type()));
    if (ours.is_string()) {
        CHECK(ours.as_string() == std::string_view(gguf_get_val_str(ctx, id)));
        return;
    }
    if (!ours.is_array()) {
        const std::size_t n = scalar_size(ours.type());
        REQUIRE(ours.encoded().size() == n);
        CHECK(std::memcmp(gguf_get_val_data(ctx, id), ours.encoded().data(), n) == 0);
        return;
    }
    REQUIRE(gguf_get_arr_type(ctx, id) == static_cast<int>(ours.element_type()));
    REQUIRE(gguf_get_arr_n(ctx, id) == ours.size());
    if (ours.element_type() == ValueType::string) {
        for (std::uint64_t i = 0; i < ours.size(); ++i) {
            const char* theirs = gguf_get_arr_str(ctx, id, i);
            if (ours.string_at(i) != std::string_view(theirs)) {
                CAPTURE(i);
                CHECK(ours.string_at(i) == std::string_view(theirs));
                return;
            }
        }
        return;
    }
    // Numeric arrays: ggml keeps the file's bytes (little-endian files on a little-endian host).
    REQUIRE(ours.byte_order() == host_byte_order);
    const std::size_t n = ours.encoded().size();
    if (n > 0) CHECK(std::memcmp(gguf_get_arr_data(ctx, id), ours.encoded().data(), n) == 0);
}

inline void check_same_as_ggml(const std::filesystem::path& path) {
    CAPTURE(path.string());
    ggml_context* meta = nullptr;
    gguf_context* ctx = gguf_init_from_file(path.c_str(), gguf_init_params{false, &meta});
    REQUIRE_MESSAGE(ctx != nullptr, "ggml's reader refuses the file");
    auto model = gguf::open(path, OpenOptions{.load_split = false});
    REQUIRE_MESSAGE(model.ok(), (model.ok() ? "" : model.error().describe()));

    CHECK(model->version() == gguf_get_version(ctx));
    CHECK(model->alignment() == gguf_get_alignment(ctx));
    if (gguf_get_n_tensors(ctx) > 0) CHECK(model->data_offset() == gguf_get_data_offset(ctx));
    // Every structural fact ggml would refuse a file for is absent from a file ggml accepted.
    for (const auto& issue : model->issues()) {
        CAPTURE(issue.message);
        CHECK(issue.severity != Severity::error);
    }

    REQUIRE(static_cast<int64_t>(model->metadata().size()) == gguf_get_n_kv(ctx));
    for (int64_t i = 0; i < gguf_get_n_kv(ctx); ++i) {
        const MetadataEntry& e = model->metadata()[static_cast<std::size_t>(i)];
        CAPTURE(e.key);
        CHECK(e.key == std::string_view(gguf_get_key(ctx, i)));
        check_value_same(e.value, ctx, i);
    }

    REQUIRE(static_cast<int64_t>(model->tensors().size()) == gguf_get_n_tensors(ctx));
    for (int64_t i = 0; i < gguf_get_n_tensors(ctx); ++i) {
        const TensorInfo& t = model->tensors()[static_cast<std::size_t>(i)];
        CAPTURE(t.name);
        CHECK(t.name == std::string_view(gguf_get_tensor_name(ctx, i)));
        CHECK(t.type == static_cast<std::uint32_t>(gguf_get_tensor_type(ctx, i)));
        CHECK(t.offset == gguf_get_tensor_offset(ctx, i));
        CHECK(t.n_bytes == gguf_get_tensor_size(ctx, i));
        const ggml_tensor* tensor = ggml_get_tensor(meta, t.name.c_str());
        REQUIRE(tensor != nullptr);
        const auto* head = reinterpret_cast<const ggml_tensor_head*>(tensor);
        for (std::uint32_t d = 0; d < max_dims; ++d) CHECK(t.ne[d] == static_cast<std::uint64_t>(head->ne[d]));
        auto view = model->view(t);
        REQUIRE(view.ok());
        CHECK(std::memcmp(view->bytes.data(), ggml_get_data(tensor), t.n_bytes) == 0);
    }
    gguf_free(ctx);
    ggml_free(meta);
}

}  // namespace gguf::reference
