#include "gguf/audit/report.hpp"

namespace gguf::audit {

bool AuditReport::passed() const {
    if (!dump && !trace) return false;
    return (!dump || dump->passed()) && (!trace || trace->passed());
}

}  // namespace gguf::audit
