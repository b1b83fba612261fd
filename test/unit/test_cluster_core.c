/* The cluster's pure parts: node records and placement, instance records and statuses, and the
 * owner's reconcile decision (src/cluster/node.h, record.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/node.h"
#include "cluster/record.h"
#include "test.h"

static struct anc_node node(const char *name, int max, double load1, const char *labels)
{
    struct anc_node n = {.cores = 2, .memory_mb = 1024, .max_instances = max, .load1 = load1};
    const char *why;
    snprintf(n.name, sizeof(n.name), "%s", name);
    snprintf(n.url, sizeof(n.url), "http://10.0.0.1:8080");
    CHECK_EQ(anc_node_set_labels(&n, labels, &why), 0);
    return n;
}

TEST(node_names)
{
    CHECK(anc_node_name_ok("a"));
    CHECK(anc_node_name_ok("node-1.example_x"));
    CHECK(!anc_node_name_ok(""));
    CHECK(!anc_node_name_ok(".."));
    CHECK(!anc_node_name_ok("a/b"));
    CHECK(!anc_node_name_ok("a b"));
    char long_name[80];
    memset(long_name, 'x', 64);
    long_name[64] = '\0';
    CHECK(!anc_node_name_ok(long_name));
}

TEST(node_labels)
{
    struct anc_node n = {0};
    const char *why = NULL;
    CHECK_EQ(anc_node_set_labels(&n, " binder, gpu,binder ,", &why), 0);
    CHECK_EQ(n.n_labels, 2);
    CHECK(anc_node_has_label(&n, "binder"));
    CHECK(anc_node_has_label(&n, "gpu"));
    CHECK(!anc_node_has_label(&n, "bind"));
    CHECK_EQ(anc_node_set_labels(&n, "a,b,c,d,e,f,g,h,i", &why), -EINVAL);
    CHECK_EQ(anc_node_set_labels(&n, "a/b", &why), -EINVAL);
}

TEST(node_round_trip)
{
    struct anc_node n = node("b", 9, 0.5, "binder,gpu"), back;
    n.running = 3;
    n.since = 1700000000;
    char *text = anc_node_encode(&n), err[128];
    CHECK(text != NULL);
    CHECK(strstr(text, "\"name\"") == NULL);
    CHECK_EQ(anc_node_decode("b", text, strlen(text), &back, err, sizeof(err)), 0);
    CHECK_STREQ(back.name, "b");
    CHECK_STREQ(back.url, n.url);
    CHECK_EQ(back.n_labels, 2);
    CHECK_EQ(back.max_instances, 9);
    CHECK_EQ(back.running, 3);
    CHECK_EQ(back.since, 1700000000);
    free(text);
    static const char *const bad[] = {
        "",
        "{",
        "[]",
        "{\"url\":\"http://x\"}",
        "{\"url\":\"ftp://x\",\"labels\":[],\"cores\":1,\"memory_mb\":1,\"max_instances\":1,"
        "\"running\":0,\"load1\":0,\"since\":0}",
        "{\"url\":\"http://x\",\"labels\":[\"a b\"],\"cores\":1,\"memory_mb\":1,"
        "\"max_instances\":1,\"running\":0,\"load1\":0,\"since\":0}",
        "{\"url\":\"http://x\",\"labels\":[],\"cores\":-1,\"memory_mb\":1,\"max_instances\":1,"
        "\"running\":0,\"load1\":0,\"since\":0}",
        "{\"url\":\"http://x\",\"labels\":[],\"cores\":1,\"memory_mb\":1,\"max_instances\":1,"
        "\"running\":0,\"load1\":0,\"since\":0,\"extra\":1}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        CHECK_EQ(anc_node_decode("b", bad[i], strlen(bad[i]), &back, err, sizeof(err)), -EINVAL);
        CHECK(err[0] != '\0');
    }
    const char *ok = "{\"url\":\"http://x\",\"labels\":[],\"cores\":1,\"memory_mb\":1,"
                     "\"max_instances\":1,\"running\":0,\"load1\":0,\"since\":0}";
    CHECK_EQ(anc_node_decode("a/b", ok, strlen(ok), &back, err, sizeof(err)), -EINVAL);
}

TEST(placement)
{
    struct anc_node nodes[3] = {node("a", 4, 0.1, ""), node("b", 4, 1.5, "binder"),
                                node("c", 2, 0.0, "")};
    int owned[3] = {0, 0, 0};
    /* Spread: each placement goes to the least used share of capacity. */
    int counts[3] = {0};
    for (int i = 0; i < 10; i++) {
        int at = anc_node_place(nodes, owned, 3, ANC_KIND_PATTERN);
        CHECK(at >= 0);
        owned[at]++;
        counts[at]++;
    }
    CHECK_EQ(counts[0], 4);
    CHECK_EQ(counts[1], 4);
    CHECK_EQ(counts[2], 2);
    CHECK_EQ(anc_node_place(nodes, owned, 3, ANC_KIND_X11), -ENOSPC);
    /* android needs binder: only b. */
    int none[3] = {0, 0, 0};
    CHECK_EQ(anc_node_place(nodes, none, 3, ANC_KIND_ANDROID), 1);
    CHECK_EQ(anc_node_place(nodes, owned, 3, ANC_KIND_ANDROID), -ENOSPC);
    CHECK_EQ(anc_node_place(nodes, none, 1, ANC_KIND_ANDROID), -ENODEV);
    CHECK_EQ(anc_node_place(nodes, none, 0, ANC_KIND_X11), -EHOSTDOWN);
    /* Equal shares: the lower load per core wins, then the name. */
    int eq[3] = {1, 1, 0};
    nodes[2].max_instances = 4;
    eq[2] = 1;
    CHECK_EQ(anc_node_place(nodes, eq, 3, ANC_KIND_X11), 2);
    nodes[2].load1 = 0.1;
    CHECK_EQ(anc_node_place(nodes, eq, 3, ANC_KIND_X11), 0);
}

static struct anc_crecord record(const char *owner, bool running)
{
    struct anc_crecord r = {.running = running, .placements = 1, .mod_revision = 7};
    char err[128];
    json_t *req = json_pack("{s:s, s:s, s:i, s:i}", "name", "tc", "kind", "pattern", "width", 320,
                            "height", 240);
    CHECK_EQ(anc_instance_from_request(&r.inst, req, 30, err, sizeof(err)), 0);
    json_decref(req);
    snprintf(r.inst.id, sizeof(r.inst.id), "0123456789ab");
    snprintf(r.owner, sizeof(r.owner), "%s", owner);
    return r;
}

TEST(record_round_trip)
{
    struct anc_crecord r = record("c", true), back;
    r.placements = 2;
    char *text = anc_crecord_encode(&r), err[160];
    CHECK(text != NULL);
    CHECK_EQ(anc_crecord_decode("0123456789ab", text, strlen(text), &back, err, sizeof(err)), 0);
    CHECK_STREQ(back.owner, "c");
    CHECK(back.running);
    CHECK(!back.deleting);
    CHECK_EQ(back.placements, 2);
    CHECK_STREQ(back.inst.name, "tc");
    CHECK_EQ(back.inst.width, 320);
    CHECK_EQ(anc_crecord_decode("0123456789ac", text, strlen(text), &back, err, sizeof(err)),
             -EINVAL);
    CHECK(strstr(err, "id") != NULL);
    for (size_t cut = 0; cut < strlen(text); cut += 7)
        CHECK_EQ(anc_crecord_decode("0123456789ab", text, cut, &back, err, sizeof(err)), -EINVAL);
    free(text);

    struct anc_cstatus s = {.state = ANC_STATE_ERROR, .viewers = 2}, sb;
    snprintf(s.error, sizeof(s.error), "guest died");
    snprintf(s.node, sizeof(s.node), "c");
    text = anc_cstatus_encode(&s);
    CHECK_EQ(anc_cstatus_decode(text, strlen(text), &sb, err, sizeof(err)), 0);
    CHECK_EQ(sb.state, ANC_STATE_ERROR);
    CHECK_STREQ(sb.error, "guest died");
    CHECK_EQ(sb.viewers, 2);
    free(text);
    const char *bad = "{\"state\":\"dancing\",\"error\":\"\",\"node\":\"c\",\"viewers\":0}";
    CHECK_EQ(anc_cstatus_decode(bad, strlen(bad), &sb, err, sizeof(err)), -EINVAL);
}

TEST(reconcile)
{
    struct anc_crecord mine = record("me", true), other = record("b", true);
    struct anc_instance local = mine.inst;
    /* Not mine (or none): remove a copy, else nothing. */
    CHECK_EQ(anc_reconcile(&other, &local, "me", 0), ANC_RC_REMOVE);
    CHECK_EQ(anc_reconcile(NULL, &local, "me", 0), ANC_RC_REMOVE);
    CHECK_EQ(anc_reconcile(&other, NULL, "me", 0), ANC_RC_NONE);
    /* Mine, no copy: create; deleting: remove, then forget. */
    CHECK_EQ(anc_reconcile(&mine, NULL, "me", 0), ANC_RC_CREATE);
    mine.deleting = true;
    CHECK_EQ(anc_reconcile(&mine, &local, "me", 0), ANC_RC_REMOVE);
    CHECK_EQ(anc_reconcile(&mine, NULL, "me", 0), ANC_RC_FORGET);
    mine.deleting = false;
    /* Desired running. */
    local.state = ANC_STATE_STOPPED;
    CHECK_EQ(anc_reconcile(&mine, &local, "me", 0), ANC_RC_START);
    CHECK_EQ(anc_reconcile(&mine, &local, "me", 7), ANC_RC_NONE); /* it ended by itself */
    local.state = ANC_STATE_ERROR;
    CHECK_EQ(anc_reconcile(&mine, &local, "me", 7), ANC_RC_NONE);
    mine.mod_revision = 9; /* asked again */
    CHECK_EQ(anc_reconcile(&mine, &local, "me", 7), ANC_RC_START);
    local.state = ANC_STATE_STARTING;
    CHECK_EQ(anc_reconcile(&mine, &local, "me", 7), ANC_RC_NONE);
    local.state = ANC_STATE_RUNNING;
    CHECK_EQ(anc_reconcile(&mine, &local, "me", 9), ANC_RC_NONE);
    /* Desired stopped. */
    mine.running = false;
    CHECK_EQ(anc_reconcile(&mine, &local, "me", 9), ANC_RC_STOP);
    local.state = ANC_STATE_STOPPING;
    CHECK_EQ(anc_reconcile(&mine, &local, "me", 9), ANC_RC_NONE);
    local.state = ANC_STATE_STOPPED;
    CHECK_EQ(anc_reconcile(&mine, &local, "me", 9), ANC_RC_NONE);
    CHECK_STREQ(anc_rc_op_name(ANC_RC_FORGET), "forget");
}
