// Running a command line and reading a file back whole, for tests that drive programs and check their output.
#pragma once

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace gguf::test {

struct CommandResult {
    int status = -1;  // the exit code; -1 when a signal ended the process (a crash), which no exit code can mean
    std::string out;  // what the command line wrote to stdout; callers redirect stderr where they want it
};

// The line goes through /bin/sh (popen), so callers can quote paths and redirect streams as in a shell.
inline CommandResult run_command(const std::string& command_line) {
    CommandResult result;
    FILE* pipe = ::popen(command_line.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[65536];
    // Read to the end before pclose: a child writing more than the pipe holds would otherwise block forever.
    while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) result.out.append(buffer, n);
    const int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

// Binary mode: .gguf and .npy files are compared byte for byte. A missing file reads as "" so that the
// assertion about its content, not an exception here, says what went wrong.
inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace gguf::test
