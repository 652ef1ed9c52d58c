#include "cli.hpp"

#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <iterator>

namespace gguf::cli {

std::optional<int> parse(const std::vector<std::string>& args, std::string_view command, std::string_view usage,
                         po::options_description& options, const po::positional_options_description& positional,
                         po::variables_map& vm) {
    options.add_options()("help,h", "show this help");
    try {
        po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
        if (vm.count("help")) {
            std::cout << "usage: gguf-doctor " << command << " " << usage << "\n\n" << options << "\n";
            return exit_ok;
        }
        po::notify(vm);
    } catch (const po::required_option& e) {
        // Boost names a missing positional argument by its option name ("--file"), which the user never
        // typed; name it as the usage line does.
        std::string name = e.get_option_name();
        const std::string bare = name.substr(name.find_first_not_of('-'));
        for (unsigned i = 0; i < std::min(positional.max_total_count(), 16u); ++i)
            if (positional.name_for_position(i) == bare) {
                name = bare;
                for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                break;
            }
        std::cerr << "gguf-doctor " << command << ": missing " << name << "\n"
                  << "usage: gguf-doctor " << command << " " << usage << "\n"
                  << "(see gguf-doctor " << command << " --help)\n";
        return exit_usage;
    } catch (const po::error& e) {
        std::cerr << "gguf-doctor " << command << ": " << e.what() << "\n"
                  << "usage: gguf-doctor " << command << " " << usage << "\n"
                  << "(see gguf-doctor " << command << " --help)\n";
        return exit_usage;
    }
    return std::nullopt;
}

std::optional<Container> open_model(const std::string& path) {
    auto model = gguf::open(path);
    if (!model) {
        print_error(model.error().describe());
        return std::nullopt;
    }
    return std::move(*model);
}

std::optional<std::string> read_file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) return std::nullopt;
    return bytes;
}

void print_error(std::string_view message) { std::cerr << "gguf-doctor: " << message << "\n"; }

bool glob_match(std::string_view pattern, std::string_view name) {
    return ::fnmatch(std::string(pattern).c_str(), std::string(name).c_str(), 0) == 0;
}

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }
bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace gguf::cli
