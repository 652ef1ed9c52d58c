// gguf-doctor dump FILE --tensor NAME --out PATH: one tensor as a NumPy .npy file, dequantized to
// float32 (bit-identical to ggml's to_float) in NumPy order (ne reversed: [ne1, ne0] for a matrix),
// or with --raw its bytes exactly as stored. Written atomically. Exit: 0 written, 2 unreadable file
// or tensor (or a type without a dequantizer, without --raw), 3 usage (including an unknown name).
#include <fmt/format.h>

#include <cstring>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "gguf/dequant.hpp"
#include "gguf/writer.hpp"

namespace gguf::cli {
namespace {

// A NumPy format 1.0 header: magic, version, little-endian header length, and a dict padded with
// spaces so that the data starts at a multiple of 64 bytes. `descr`: "<f4" or "|u1".
std::vector<std::byte> npy_header(std::string_view descr, const std::vector<std::uint64_t>& shape) {
    std::string dims;
    for (std::size_t i = 0; i < shape.size(); ++i) dims += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
    std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", descr, dims);
    const std::size_t unpadded = 10 + dict.size() + 1;
    dict.append((64 - unpadded % 64) % 64, ' ');
    dict += '\n';
    std::vector<std::byte> out(10 + dict.size());
    std::memcpy(out.data(), "\x93NUMPY\x01\x00", 8);
    const auto len = static_cast<std::uint16_t>(dict.size());
    out[8] = static_cast<std::byte>(len & 0xFF);
    out[9] = static_cast<std::byte>(len >> 8);
    std::memcpy(out.data() + 10, dict.data(), dict.size());
    return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

int run_dump(const std::vector<std::string>& args) {
    po::options_description options("options");
    std::string file, name, out_path;
    int threads = 0;
    options.add_options()
        ("file", po::value(&file)->required()->value_name("FILE"), "GGUF file (any shard of a split model)")
        ("tensor", po::value(&name)->required()->value_name("NAME"), "the tensor's exact name")
        ("out", po::value(&out_path)->required()->value_name("FILE"),
         "output file (.npy; with --raw, any other name gets the bare bytes)")
        ("raw", "the stored bytes instead of float32: a uint8 .npy of shape [..., ne1, bytes per row] when "
                "--out ends in .npy, else the bytes alone; in the file's byte order")
        ("threads", po::value(&threads)->default_value(0)->value_name("N"),
         "worker threads for dequantizing (0: all cores)");
    po::positional_options_description positional;
    positional.add("file", 1);
    po::variables_map vm;
    if (auto exit = parse(args, "dump", "[options] FILE --tensor NAME --out PATH", options, positional, vm)) return *exit;
    const bool raw = vm.count("raw") > 0;

    auto model = open_model(file);
    if (!model) return exit_unreadable;
    const TensorInfo* tensor = model->find_tensor(name);
    if (!tensor) {
        print_error(fmt::format("dump: {} has no tensor named '{}' (gguf-doctor info lists them)", file, name));
        return exit_usage;
    }
    auto view = model->view(*tensor);
    if (!view) {
        print_error(view.error().describe());
        return exit_unreadable;
    }

    // NumPy order: the outermost dimension first, ne[0] (the row) last.
    std::vector<std::uint64_t> shape;
    for (std::uint32_t d = tensor->n_dims; d-- > 0;) shape.push_back(tensor->ne[d]);

    std::vector<std::byte> bytes;
    if (raw) {
        if (ends_with(out_path, ".npy")) {
            shape.back() = tensor->n_elements() ? view->bytes.size() / (tensor->n_elements() / tensor->ne[0]) : 0;
            bytes = npy_header("|u1", shape);
        }
        bytes.insert(bytes.end(), view->bytes.begin(), view->bytes.end());
    } else {
        if (!dequant::is_supported(tensor->type)) {
            print_error(fmt::format("dump: tensor '{}' is {}, which has no dequantizer here; --raw writes its bytes",
                                    name, type_label(tensor->type)));
            return exit_unreadable;
        }
        auto values = dequant::to_float(*view, threads);
        if (!values) {
            print_error(values.error().describe());
            return exit_unreadable;
        }
        bytes = npy_header("<f4", shape);
        const std::size_t header = bytes.size();
        bytes.resize(header + values->size() * sizeof(float));
        // float32 little-endian, as '<f4' says (the host is little-endian: dequant requires it)
        std::memcpy(bytes.data() + header, values->data(), values->size() * sizeof(float));
    }
    if (auto w = write_file_atomically(out_path, bytes); !w) {
        print_error(w.error().describe());
        return exit_unreadable;
    }
    return exit_ok;
}

}  // namespace gguf::cli
