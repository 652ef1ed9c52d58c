// What every subcommand shares: exit codes, option parsing with --help, error printing, glob matching.
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/container.hpp"

namespace gguf::cli {

// Documented in README.md and docs/cli.md; scripts depend on them.
enum ExitCode : int {
    exit_ok = 0,
    exit_findings = 1,    // check/audit/hash --check/diff found what --fail-on asks to fail on
    exit_unreadable = 2,  // an input file cannot be read or parsed
    exit_usage = 3,       // bad command line
};

namespace po = boost::program_options;

struct Command {
    std::string_view name;
    std::string_view summary;
    int (*run)(const std::vector<std::string>& args);
};

// Parses `args` against `options` (plus --help) and `positional` names. Prints help and returns
// exit_ok when --help is given, prints the problem and returns exit_usage on bad input, nullopt to go on.
std::optional<int> parse(const std::vector<std::string>& args, std::string_view command, std::string_view usage,
                         po::options_description& options, const po::positional_options_description& positional,
                         po::variables_map& vm);

// Opens a model or prints why not (to stderr) and returns nullopt; callers return exit_unreadable.
std::optional<Container> open_model(const std::string& path);

// A whole file's bytes as they are (texts given to check and tokenize); nullopt when it cannot be read.
std::optional<std::string> read_file_bytes(const std::string& path);

// Prints an error to stderr as "gguf-doctor: <message>".
void print_error(std::string_view message);

// Shell-style glob (*, ?, [...]) over a tensor name.
bool glob_match(std::string_view pattern, std::string_view name);

// Whether stdout/stderr is a terminal (colour, progress bars).
bool stdout_is_terminal();
bool stderr_is_terminal();

}  // namespace gguf::cli
