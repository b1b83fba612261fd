/* Fuzz target for the agent jar parsers (instance/agent_jar.h): the zip and dex of the file the
 * operator points [android] agent_jar at. The same bytes go to both: as a jar and as a dex. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "instance/agent_jar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int r, const char *v)
{
    if (r == 0 && (strlen(v) == 0 || strlen(v) >= ANC_AGENT_VERSION_MAX))
        __builtin_trap();
    if (r != 0 && r != -ENOENT && r != -EBADMSG && r != -ENAMETOOLONG && r != -EFBIG &&
        r != -ENOMEM)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char v[ANC_AGENT_VERSION_MAX] = "";
    check(anc_agent_jar_version(data, size, v, sizeof(v)), v);
    v[0] = '\0';
    check(anc_agent_dex_version(data, size, v, sizeof(v)), v);
    return 0;
}
