#include "npy.hpp"

#include <cstring>
#include <string>
#include <string_view>

#include "encode.hpp"
#include "gguf/byte_order.hpp"

namespace gguf::samples::detail {
namespace {

Error npy_error(const std::filesystem::path& path, std::uint64_t offset, std::string what) {
    return Error{ErrorCode::invalid_argument, offset, std::move(what), path.string()};
}

// The value of 'key' in the header dict, up to the next top-level comma or closing brace.
std::string_view dict_value(std::string_view header, std::string_view key) {
    const std::string quoted = "'" + std::string(key) + "'";
    const auto at = header.find(quoted);
    if (at == std::string_view::npos) return {};
    auto rest = header.substr(at + quoted.size());
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos) return {};
    rest = rest.substr(colon + 1);
    int depth = 0;
    std::size_t end = 0;
    for (; end < rest.size(); ++end) {
        const char ch = rest[end];
        if (ch == '(' || ch == '[') ++depth;
        else if (ch == ')' || ch == ']') --depth;
        else if ((ch == ',' || ch == '}') && depth == 0) break;
    }
    auto value = rest.substr(0, end);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    return value;
}

}  // namespace

std::uint64_t NpyArray::n_rows() const {
    std::uint64_t n = 1;
    for (std::size_t i = 0; i + 1 < shape_.size(); ++i) n *= shape_[i];
    return n;
}

Result<NpyArray> NpyArray::open(const std::filesystem::path& path) {
    NpyArray a;
    a.path_ = path;
    a.in_.open(path, std::ios::binary);
    if (!a.in_) return Error{ErrorCode::io_error, 0, "cannot open", path.string()};
    char preamble[12] = {};
    a.in_.read(preamble, 10);
    if (a.in_.gcount() != 10 || std::memcmp(preamble, "\x93NUMPY", 6) != 0)
        return npy_error(path, 0, "not a .npy file (no \\x93NUMPY magic)");
    const int major = static_cast<unsigned char>(preamble[6]);
    std::uint64_t header_len = 0, header_at = 10;
    if (major == 1) {
        header_len = load<std::uint16_t>(preamble + 8, ByteOrder::little);
    } else if (major == 2 || major == 3) {
        a.in_.read(preamble + 10, 2);
        if (a.in_.gcount() != 2) return npy_error(path, 10, "truncated header");
        header_len = load<std::uint32_t>(preamble + 8, ByteOrder::little);
        header_at = 12;
    } else {
        return npy_error(path, 6, "unsupported .npy version " + std::to_string(major));
    }
    if (header_len > (1u << 20)) return npy_error(path, 8, "header length " + std::to_string(header_len) + " is implausible");
    std::string header(header_len, '\0');
    a.in_.read(header.data(), static_cast<std::streamsize>(header_len));
    if (static_cast<std::uint64_t>(a.in_.gcount()) != header_len) return npy_error(path, header_at, "truncated header");
    a.data_offset_ = header_at + header_len;

    const auto descr = dict_value(header, "descr");
    if (descr == "'<f4'" || descr == "'float32'") a.element_ = Element::f32;
    else if (descr == "'<f2'" || descr == "'float16'") a.element_ = Element::f16;
    else if (descr == "'<f8'" || descr == "'float64'") a.element_ = Element::f64;
    else return npy_error(path, header_at, "element type " + std::string(descr) + " is not little-endian float16/32/64");
    if (dict_value(header, "fortran_order") != "False")
        return npy_error(path, header_at, "Fortran-ordered arrays are not supported (save with np.ascontiguousarray)");

    auto shape = dict_value(header, "shape");
    if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')') return npy_error(path, header_at, "no shape in the header");
    shape = shape.substr(1, shape.size() - 2);
    while (!shape.empty()) {
        while (!shape.empty() && (shape.front() == ' ' || shape.front() == ',')) shape.remove_prefix(1);
        if (shape.empty()) break;
        std::uint64_t d = 0;
        std::size_t k = 0;
        for (; k < shape.size() && shape[k] >= '0' && shape[k] <= '9'; ++k) {
            if (d > (UINT64_MAX - 9) / 10) return npy_error(path, header_at, "dimension overflows");
            d = d * 10 + static_cast<std::uint64_t>(shape[k] - '0');
        }
        if (k == 0) return npy_error(path, header_at, "malformed shape");
        a.shape_.push_back(d);
        shape.remove_prefix(k);
    }

    const std::uint64_t element_size = a.element_ == Element::f16 ? 2 : a.element_ == Element::f32 ? 4 : 8;
    const std::uint64_t need = a.data_offset_ + a.n_rows() * a.row_length() * element_size;
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec || size < need)
        return npy_error(path, a.data_offset_, "data is shorter than the shape needs (" + std::to_string(need) + " bytes)");
    return a;
}

Result<void> NpyArray::read_rows(std::uint64_t first_row, std::span<float> out) {
    const std::uint64_t element_size = element_ == Element::f16 ? 2 : element_ == Element::f32 ? 4 : 8;
    const std::uint64_t at = data_offset_ + first_row * row_length() * element_size;
    std::vector<char> raw(out.size() * element_size);
    in_.seekg(static_cast<std::streamoff>(at));
    in_.read(raw.data(), static_cast<std::streamsize>(raw.size()));
    if (!in_ || static_cast<std::size_t>(in_.gcount()) != raw.size()) return npy_error(path_, at, "read failed");
    for (std::size_t i = 0; i < out.size(); ++i) {
        const char* p = raw.data() + i * element_size;
        if (element_ == Element::f32) out[i] = load<float>(p, ByteOrder::little);
        else if (element_ == Element::f16) out[i] = fp16_to_fp32(load<std::uint16_t>(p, ByteOrder::little));
        else out[i] = static_cast<float>(load<double>(p, ByteOrder::little));
    }
    return {};
}

}  // namespace gguf::samples::detail
