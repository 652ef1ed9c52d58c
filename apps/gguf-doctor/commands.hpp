// The subcommands; each lives in commands/<name>.cpp.
#pragma once

#include <string>
#include <vector>

namespace gguf::cli {

int run_info(const std::vector<std::string>& args);
int run_stats(const std::vector<std::string>& args);
int run_dump(const std::vector<std::string>& args);
int run_check(const std::vector<std::string>& args);
int run_tokenize(const std::vector<std::string>& args);
int run_logits(const std::vector<std::string>& args);
int run_trace(const std::vector<std::string>& args);
int run_audit(const std::vector<std::string>& args);
int run_hash(const std::vector<std::string>& args);
int run_diff(const std::vector<std::string>& args);
int run_edit(const std::vector<std::string>& args);
int run_split(const std::vector<std::string>& args);
int run_merge(const std::vector<std::string>& args);
int run_fix(const std::vector<std::string>& args);
int run_fit(const std::vector<std::string>& args);

}  // namespace gguf::cli
