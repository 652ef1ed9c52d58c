// The .npy reader. The header is a Python dict literal; only the three keys NumPy writes are read,
// with a small scanner rather than a Python parser (NumPy always writes them in this form).
#include "gguf/audit/npy.hpp"

#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string_view>

#include "gguf/byte_order.hpp"
#include "gguf/float_formats.hpp"

namespace gguf::audit {
namespace {

Error npy_error(const std::filesystem::path& path, std::uint64_t offset, std::string message) {
    return Error{ErrorCode::invalid_argument, offset, std::move(message), path.string()};
}

// The text after "'key':" (spaces skipped), or nullopt.
std::optional<std::string_view> after_key(std::string_view header, std::string_view key) {
    const std::string quoted_single = "'" + std::string(key) + "'";
    const std::string quoted_double = "\"" + std::string(key) + "\"";
    std::size_t at = header.find(quoted_single);
    std::size_t length = quoted_single.size();
    if (at == std::string_view::npos) {
        at = header.find(quoted_double);
        length = quoted_double.size();
    }
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view rest = header.substr(at + length);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == ':')) rest.remove_prefix(1);
    return rest;
}

std::optional<std::string> quoted_value(std::string_view rest) {
    if (rest.empty() || (rest.front() != '\'' && rest.front() != '"')) return std::nullopt;
    const char quote = rest.front();
    const std::size_t end = rest.find(quote, 1);
    if (end == std::string_view::npos) return std::nullopt;
    return std::string(rest.substr(1, end - 1));
}

std::optional<std::vector<std::uint64_t>> shape_value(std::string_view rest) {
    if (rest.empty() || rest.front() != '(') return std::nullopt;
    const std::size_t end = rest.find(')');
    if (end == std::string_view::npos) return std::nullopt;
    std::vector<std::uint64_t> shape;
    std::uint64_t value = 0;
    bool in_number = false;
    for (const char c : rest.substr(1, end - 1)) {
        if (c >= '0' && c <= '9') {
            if (value > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) return std::nullopt;
            value = value * 10 + static_cast<std::uint64_t>(c - '0');
            in_number = true;
        } else if (c == ',' || c == ' ' || c == 'L') {
            if (in_number && c != 'L') {
                shape.push_back(value);
                value = 0;
                in_number = false;
            }
        } else {
            return std::nullopt;
        }
    }
    if (in_number) shape.push_back(value);
    return shape;
}

// C order from Fortran order: element (i0, i1, ...) is at i0 + d0 * (i1 + d1 * ...) in `fortran`.
std::vector<float> c_order(const std::vector<float>& fortran, const std::vector<std::uint64_t>& shape) {
    std::vector<float> out(fortran.size());
    std::vector<std::uint64_t> index(shape.size(), 0);
    for (std::uint64_t c = 0; c < out.size(); ++c) {
        std::uint64_t f = 0;
        for (std::size_t d = shape.size(); d-- > 0;) f = f * shape[d] + index[d];
        out[c] = fortran[f];
        for (std::size_t d = shape.size(); d-- > 0;) {  // the last index runs fastest in C order
            if (++index[d] < shape[d]) break;
            index[d] = 0;
        }
    }
    return out;
}

}  // namespace

std::uint64_t NpyArray::size() const {
    std::uint64_t n = 1;
    for (const auto d : shape) n *= d;
    return n;
}

Result<NpyArray> read_npy(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{ErrorCode::io_error, 0, "cannot open the file", path.string()};
    std::stringstream buffer;
    buffer << in.rdbuf();
    return parse_npy(buffer.str(), path);
}

Result<NpyArray> parse_npy(std::string_view bytes, const std::filesystem::path& path) {
    if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
        return npy_error(path, 0, "not a .npy file (no \\x93NUMPY magic)");
    const auto major = static_cast<unsigned char>(bytes[6]);
    const auto* raw = reinterpret_cast<const std::byte*>(bytes.data());
    std::uint64_t header_length = 0, header_start = 0;
    if (major == 1) {
        header_length = load<std::uint16_t>(raw + 8, ByteOrder::little);
        header_start = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) return npy_error(path, 8, "truncated header length");
        header_length = load<std::uint32_t>(raw + 8, ByteOrder::little);
        header_start = 12;
    } else {
        return npy_error(path, 6, "unsupported .npy format version " + std::to_string(major));
    }
    if (header_length > bytes.size() - header_start) return npy_error(path, 8, "header runs past the end of the file");
    const std::string_view header(bytes.data() + header_start, header_length);

    NpyArray array;
    const auto descr = after_key(header, "descr");
    const auto descr_text = descr ? quoted_value(*descr) : std::nullopt;
    if (!descr_text) return npy_error(path, header_start, "header has no 'descr'");
    array.dtype = *descr_text;
    const auto fortran = after_key(header, "fortran_order");
    if (!fortran || !(fortran->starts_with("True") || fortran->starts_with("False")))
        return npy_error(path, header_start, "header has no 'fortran_order'");
    const bool fortran_order = fortran->starts_with("True");
    const auto shape_text = after_key(header, "shape");
    const auto shape = shape_text ? shape_value(*shape_text) : std::nullopt;
    if (!shape) return npy_error(path, header_start, "header has no readable 'shape'");
    array.shape = *shape;

    const std::string& d = array.dtype;
    if (d.size() != 3 || (d[0] != '<' && d[0] != '>' && d[0] != '=') || d[1] != 'f' ||
        (d[2] != '2' && d[2] != '4' && d[2] != '8'))
        return npy_error(path, header_start,
                         "dtype '" + d + "' is not float16, float32 or float64 (dump the tensor's float values)");
    const ByteOrder order = d[0] == '>' ? ByteOrder::big : d[0] == '<' ? ByteOrder::little : host_byte_order;
    const std::uint64_t width = static_cast<std::uint64_t>(d[2] - '0');

    std::uint64_t count = 1;
    for (const auto dim : array.shape) {
        if (dim != 0 && count > std::numeric_limits<std::uint64_t>::max() / dim)
            return npy_error(path, header_start, "shape overflows");
        count *= dim;
    }
    const std::uint64_t data_start = header_start + header_length;
    const std::uint64_t available = bytes.size() - data_start;
    if (count > available / width)
        return npy_error(path, data_start,
                         "data holds " + std::to_string(available / width) + " values, the shape says " + std::to_string(count));

    array.values.resize(count);
    const std::byte* data = raw + data_start;
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::byte* p = data + i * width;
        if (width == 2) array.values[i] = fp16_to_fp32(load<std::uint16_t>(p, order));
        else if (width == 4) array.values[i] = load<float>(p, order);
        else array.values[i] = static_cast<float>(load<double>(p, order));
    }
    if (fortran_order && array.shape.size() > 1) array.values = c_order(array.values, array.shape);
    return array;
}

}  // namespace gguf::audit
