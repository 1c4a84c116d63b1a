#include "sirnn/version.h"
#include "kernels/cpu.h"

#include <string.h>

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

static const char *const k_families[] = {"aes", "transpose", "lutrot", "kkpack", "otchain", "lpn"};

const char *sirnn_kernel_family(size_t i)
{
    return i < sizeof(k_families) / sizeof(k_families[0]) ? k_families[i] : NULL;
}

const char *sirnn_kernel_path(const char *family)
{
    const sirnn_kernel_table *t = sirnn_kernels();
    const char *const paths[] = {t->aes_impl, t->transpose_impl, t->lutrot_impl,
                                 t->kkpack_impl, t->otchain_impl, t->lpn_impl};
    for (size_t i = 0; family != NULL && i < sizeof(paths) / sizeof(paths[0]); i++)
        if (strcmp(family, k_families[i]) == 0)
            return paths[i];
    return NULL;
}
