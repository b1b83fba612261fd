/* Fuzz target: the values a node reads from etcd under the cluster prefix (src/cluster/node.h,
 * record.h): a node record, an instance record, a status. The first byte picks which and the
 * key's name; a value that decodes is encoded again and must decode to the same thing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/node.h"
#include "cluster/record.h"

static void node(const char *text, size_t len)
{
    struct anc_node n, back;
    char err[300];
    if (anc_node_decode("n1", text, len, &n, err, sizeof(err)) < 0)
        return;
    char *again = anc_node_encode(&n);
    if (!again)
        return;
    if (anc_node_decode("n1", again, strlen(again), &back, err, sizeof(err)) < 0 ||
        strcmp(back.url, n.url) != 0 || back.n_labels != n.n_labels)
        abort();
    free(again);
}

static void record(const char *text, size_t len)
{
    static struct anc_crecord r, back; /* large: off the stack */
    char err[600];
    if (anc_crecord_decode("0123456789ab", text, len, &r, err, sizeof(err)) < 0)
        return;
    char *again = anc_crecord_encode(&r);
    if (!again)
        return;
    if (anc_crecord_decode("0123456789ab", again, strlen(again), &back, err, sizeof(err)) < 0 ||
        strcmp(back.owner, r.owner) != 0 || back.running != r.running ||
        strcmp(back.inst.name, r.inst.name) != 0)
        abort();
    free(again);
}

static void status(const char *text, size_t len)
{
    struct anc_cstatus s;
    char err[300];
    if (anc_cstatus_decode(text, len, &s, err, sizeof(err)) == 0)
        free(anc_cstatus_encode(&s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 3) {
    case 0:
        node(text, len);
        break;
    case 1:
        record(text, len);
        break;
    default:
        status(text, len);
        break;
    }
    return 0;
}
