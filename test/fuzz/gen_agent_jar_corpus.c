/* Writes the agent_jar fuzz corpus from test/unit/jar_builder.c: */
/*   cc -D_GNU_SOURCE -Itest/unit -Isrc test/fuzz/gen_agent_jar_corpus.c test/unit/jar_builder.c -lz -o /tmp/gen && /tmp/gen test/fuzz/corpus/agent_jar */
#include <stdio.h>
#include "jar_builder.h"
static void out(const char *dir, const char *name, const struct jb_buf *b)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    jb_write_file(p, b->b, b->n);
}
int main(int argc, char **argv)
{
    const char *dir = argv[1];
    struct jb_buf dex, jar;
    jb_make_dex(&dex, "3.3.3", JB_T_STRING, true);
    out(dir, "dex_3.3.3", &dex);
    jb_make_jar(&jar, &dex, 0);
    out(dir, "jar_stored_3.3.3", &jar);
    jb_make_jar(&jar, &dex, 8);
    out(dir, "jar_deflated_3.3.3", &jar);
    jb_make_dex(&dex, "1.25", JB_T_STRING, true);
    jb_make_jar(&jar, &dex, 8);
    out(dir, "jar_deflated_1.25", &jar);
    jb_make_dex(&dex, "3.3.3", JB_T_Z, true);
    out(dir, "dex_version_boolean", &dex);
    jb_make_dex(&dex, "3.3.3", JB_T_STRING, false);
    out(dir, "dex_no_values", &dex);
    jb_make_jar(&jar, &dex, 0);
    out(dir, "jar_stored_no_values", &jar);
    return 0;
}
