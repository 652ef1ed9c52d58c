// How closely two sets of logits agree: the measures the agreement tests, the CPU/GPU comparison and
// `diff --logits` report.
#pragma once

#include <cstdint>

#include "gguf/forward/forward.hpp"

namespace gguf::forward {

struct LogitsAgreement {
    std::uint64_t positions = 0;
    double max_abs_diff = 0;         // max |candidate - reference| over every logit
    double max_abs_reference = 0;    // max |reference|
    double relative_diff = 0;        // max_abs_diff / max_abs_reference
    std::uint64_t argmax_mismatches = 0;  // positions whose top-1 token differs
    double mean_kl = 0;              // mean over positions of KL(softmax(reference) || softmax(candidate)), nats
    double max_kl = 0;
};

// Compares row by row; both must have the same shape (else positions = 0 and everything is 0). Rows
// holding non-finite values count as mismatches with infinite divergence.
LogitsAgreement compare_logits(const Logits& reference, const Logits& candidate);

}  // namespace gguf::forward
