// Corrupt numbers in an otherwise healthy file: every scalar metadata value set in turn to what a broken
// converter or flipped bits produce (0, 1, the type's largest, -1, NaN, infinity...). Whatever the
// verdict, `check` (forward pass included) and `logits` must end with one of their own exit codes, within
// a time limit: no crash, no hang. Mutated sample files found one of each (block_count 2^31-1 built a
// schema of billions of layers; NaN attention scores aborted the CPU pass).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
using namespace gguf::test;

namespace {

// Values of the same type as `original` that a corrupt file may hold instead.
std::vector<Value> hostile_values(const Value& original) {
    constexpr double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    switch (original.type()) {
        case ValueType::uint8: return {Value::u8(0), Value::u8(255)};
        case ValueType::int8: return {Value::i8(0), Value::i8(-1), Value::i8(127)};
        case ValueType::uint16: return {Value::u16(0), Value::u16(65535)};
        case ValueType::int16: return {Value::i16(0), Value::i16(-1), Value::i16(32767)};
        case ValueType::uint32:
            return {Value::u32(0), Value::u32(1), Value::u32(3), Value::u32(2147483647), Value::u32(4294967295u)};
        case ValueType::int32:
            return {Value::i32(0), Value::i32(-1), Value::i32(3), Value::i32(std::numeric_limits<std::int32_t>::max())};
        case ValueType::uint64:
            return {Value::u64(0), Value::u64(1), Value::u64(std::numeric_limits<std::uint64_t>::max())};
        case ValueType::int64: return {Value::i64(0), Value::i64(-1), Value::i64(std::numeric_limits<std::int64_t>::max())};
        case ValueType::float32:
            return {Value::f32(0), Value::f32(-1), Value::f32(static_cast<float>(nan)), Value::f32(static_cast<float>(inf)),
                    Value::f32(1e30f)};
        case ValueType::float64: return {Value::f64(0), Value::f64(-1), Value::f64(nan), Value::f64(inf), Value::f64(1e300)};
        default: return {};
    }
}

}  // namespace

TEST_CASE("corrupt scalar metadata never crashes or hangs check and logits") {
    const TempDir dir;
    const Writer healthy = build(config("tiny-qwen2", 2));
    const std::string binary = std::string(GGUF_DOCTOR_BINARY_DIR) + "/gguf-doctor";
    std::size_t cases = 0;
    for (const auto& [key, original] : healthy.metadata()) {
        for (const Value& value : hostile_values(original)) {
            Writer w = healthy;
            w.set(key, value);
            const auto path = dir / "hostile.gguf";
            REQUIRE(w.write(path).ok());
            for (const std::string& command : {"check '" + path.string() + "' --json",
                                               "logits '" + path.string() + "' --tokens 1,2,3,4,5,6,7,8,9,10"}) {
                // timeout's 124 (a hang) and a signal's -1 (a crash) both fall outside 0-3.
                const CommandResult r = run_command("timeout 60 " + binary + " " + command + " >/dev/null 2>&1");
                const std::string& key_name = key;  // a lambda cannot capture a structured binding before clang 16
                CAPTURE(key_name);
                CAPTURE(value_type_name(value.type()));
                CAPTURE(command);
                CHECK((r.status >= 0 && r.status <= 3));
            }
            ++cases;
        }
    }
    MESSAGE(cases << " corrupt values, each through check and logits");
    CHECK(cases > 20);  // the fixture has the hyperparameters and token ids to corrupt
}
