#include "sirnn/version.h"
#include "kernels/cpu.h"

#define SIRNN_STR2(x) #x
#define SIRNN_STR(x) SIRNN_STR2(x)

const char *sirnn_version(void)
{
    return SIRNN_STR(SIRNN_VERSION_MAJOR) "." SIRNN_STR(SIRNN_VERSION_MINOR) "." SIRNN_STR(
        SIRNN_VERSION_PATCH);
}

const char *sirnn_isa_name(void)
{
    return sirnn_isa_level_name(sirnn_cpu_active_isa());
}
