// Declarations of the parts of ggml's and llama.cpp's C API that the differential tests call, written
// from the public headers of the reference release (llama.cpp "v0.5.0", as shipped by
// @node-llama-cpp/linux-x64@3.22.1). Only functions and plain structs; no ggml code.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {

// ---- gguf.h ----
struct gguf_context;
struct ggml_context;
struct gguf_init_params {
    bool no_alloc;
    ggml_context** ctx;
};
gguf_context* gguf_init_from_file(const char* fname, gguf_init_params params);
gguf_context* gguf_init_empty(void);
void gguf_free(gguf_context* ctx);
uint32_t gguf_get_version(const gguf_context* ctx);
size_t gguf_get_alignment(const gguf_context* ctx);
size_t gguf_get_data_offset(const gguf_context* ctx);
int64_t gguf_get_n_kv(const gguf_context* ctx);
int64_t gguf_find_key(const gguf_context* ctx, const char* key);
const char* gguf_get_key(const gguf_context* ctx, int64_t key_id);
int gguf_get_kv_type(const gguf_context* ctx, int64_t key_id);
int gguf_get_arr_type(const gguf_context* ctx, int64_t key_id);
size_t gguf_get_arr_n(const gguf_context* ctx, int64_t key_id);
const void* gguf_get_arr_data(const gguf_context* ctx, int64_t key_id);
const char* gguf_get_arr_str(const gguf_context* ctx, int64_t key_id, size_t i);
const void* gguf_get_val_data(const gguf_context* ctx, int64_t key_id);
const char* gguf_get_val_str(const gguf_context* ctx, int64_t key_id);
int64_t gguf_get_n_tensors(const gguf_context* ctx);
int64_t gguf_find_tensor(const gguf_context* ctx, const char* name);
size_t gguf_get_tensor_offset(const gguf_context* ctx, int64_t tensor_id);
const char* gguf_get_tensor_name(const gguf_context* ctx, int64_t tensor_id);
int gguf_get_tensor_type(const gguf_context* ctx, int64_t tensor_id);
size_t gguf_get_tensor_size(const gguf_context* ctx, int64_t tensor_id);
void gguf_set_val_u8(gguf_context* ctx, const char* key, uint8_t val);
void gguf_set_val_i8(gguf_context* ctx, const char* key, int8_t val);
void gguf_set_val_u16(gguf_context* ctx, const char* key, uint16_t val);
void gguf_set_val_i16(gguf_context* ctx, const char* key, int16_t val);
void gguf_set_val_u32(gguf_context* ctx, const char* key, uint32_t val);
void gguf_set_val_i32(gguf_context* ctx, const char* key, int32_t val);
void gguf_set_val_f32(gguf_context* ctx, const char* key, float val);
void gguf_set_val_u64(gguf_context* ctx, const char* key, uint64_t val);
void gguf_set_val_i64(gguf_context* ctx, const char* key, int64_t val);
void gguf_set_val_f64(gguf_context* ctx, const char* key, double val);
void gguf_set_val_bool(gguf_context* ctx, const char* key, bool val);
void gguf_set_val_str(gguf_context* ctx, const char* key, const char* val);
void gguf_set_arr_data(gguf_context* ctx, const char* key, int type, const void* data, size_t n);
void gguf_set_arr_str(gguf_context* ctx, const char* key, const char** data, size_t n);
bool gguf_write_to_file(const gguf_context* ctx, const char* fname, bool only_meta);

// ---- ggml.h (tensor shapes and type traits) ----
struct ggml_init_params {
    size_t mem_size;
    void* mem_buffer;
    bool no_alloc;
};
struct ggml_tensor;
ggml_context* ggml_init(ggml_init_params params);
void ggml_free(ggml_context* ctx);
ggml_tensor* ggml_get_tensor(ggml_context* ctx, const char* name);
ggml_tensor* ggml_new_tensor(ggml_context* ctx, int type, int n_dims, const int64_t* ne);
ggml_tensor* ggml_set_name(ggml_tensor* tensor, const char* name);
void gguf_add_tensor(gguf_context* ctx, const ggml_tensor* tensor);
void gguf_set_tensor_data(gguf_context* ctx, const char* name, const void* data);
size_t ggml_tensor_overhead(void);
void* ggml_get_data(const ggml_tensor* tensor);
// The leading fields of struct ggml_tensor (ggml.h): enough to read a tensor's type and shape.
struct ggml_tensor_head {
    int32_t type;  // enum ggml_type
    void* buffer;
    int64_t ne[4];
    size_t nb[4];
};

typedef void (*ggml_to_float_t)(const void* x, float* y, int64_t k);
typedef void (*ggml_from_float_t)(const float* x, void* y, int64_t k);
struct ggml_type_traits {
    const char* type_name;
    int64_t blck_size;
    int64_t blck_size_interleave;
    size_t type_size;
    bool is_quantized;
    ggml_to_float_t to_float;
    ggml_from_float_t from_float_ref;
};
const ggml_type_traits* ggml_get_type_traits(int type);
// Quantizes nrows rows of n_per_row floats (imatrix may be null); returns bytes written.
size_t ggml_quantize_chunk(int type, const float* src, void* dst, int64_t start, int64_t nrows, int64_t n_per_row,
                           const float* imatrix);
void ggml_quantize_init(int type);
bool ggml_quantize_requires_imatrix(int type);

// ---- llama.h (quantizer) ----
struct llama_model_quantize_params {
    int32_t nthread;
    int32_t ftype;                 // enum llama_ftype
    int32_t output_tensor_type;    // enum ggml_type
    int32_t token_embedding_type;  // enum ggml_type
    bool allow_requantize;
    bool quantize_output_tensor;
    bool only_copy;
    bool pure;
    bool keep_split;
    bool dry_run;
    const void* imatrix;
    const void* kv_overrides;
    const void* tt_overrides;
    const int32_t* prune_layers;
    size_t max_buf_size;
};
llama_model_quantize_params llama_model_quantize_default_params(void);
uint32_t llama_model_quantize(const char* fname_inp, const char* fname_out, const llama_model_quantize_params* params);
void llama_backend_init(void);
void llama_log_set(void (*callback)(int level, const char* text, void* user_data), void* user_data);
void ggml_log_set(void (*callback)(int level, const char* text, void* user_data), void* user_data);

// ---- llama.h (loading a vocabulary, tokenizing) ----
struct llama_model;
struct llama_vocab;
struct llama_model_params {
    void* devices;
    const void* tensor_buft_overrides;
    int32_t n_gpu_layers;
    int32_t split_mode;  // enum llama_split_mode
    int32_t load_mode;   // enum llama_load_mode
    int32_t lazy_mode;   // enum llama_lazy_mode
    int32_t main_gpu;
    const float* tensor_split;
    bool (*progress_callback)(float progress, void* user_data);
    void* progress_callback_user_data;
    const void* kv_overrides;
    bool vocab_only;
    bool check_tensors;
    bool use_extra_bufts;
    bool no_host;
    bool no_alloc;
    bool load_mtp;
};
llama_model_params llama_model_default_params(void);
llama_model* llama_model_load_from_file(const char* path_model, llama_model_params params);
void llama_model_free(llama_model* model);
const llama_vocab* llama_model_get_vocab(const llama_model* model);
int32_t llama_vocab_n_tokens(const llama_vocab* vocab);
int32_t llama_tokenize(const llama_vocab* vocab, const char* text, int32_t text_len, int32_t* tokens,
                       int32_t n_tokens_max, bool add_special, bool parse_special);
int32_t llama_token_to_piece(const llama_vocab* vocab, int32_t token, char* buf, int32_t length, int32_t lstrip,
                             bool special);
int32_t llama_detokenize(const llama_vocab* vocab, const int32_t* tokens, int32_t n_tokens, char* text,
                         int32_t text_len_max, bool remove_special, bool unparse_special);

}  // extern "C"

// llama_ftype values (llama.h) used by the tests.
namespace reference_ftype {
inline constexpr int32_t all_f32 = 0, mostly_f16 = 1, mostly_q4_0 = 2, mostly_q4_1 = 3, mostly_q8_0 = 7,
                         mostly_q5_0 = 8, mostly_q5_1 = 9, mostly_q2_k = 10, mostly_q3_k_s = 11, mostly_q3_k_m = 12,
                         mostly_q3_k_l = 13, mostly_q4_k_s = 14, mostly_q4_k_m = 15, mostly_q5_k_s = 16,
                         mostly_q5_k_m = 17, mostly_q6_k = 18, mostly_iq4_nl = 25, mostly_iq4_xs = 30,
                         mostly_bf16 = 32, mostly_mxfp4_moe = 38, mostly_iq2_xxs = 19, mostly_iq2_xs = 20,
                         mostly_iq3_xxs = 23, mostly_iq1_s = 24, mostly_iq3_s = 26, mostly_iq2_s = 28,
                         mostly_iq1_m = 31, mostly_tq1_0 = 36, mostly_tq2_0 = 37;
}
