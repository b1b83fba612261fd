/* The libiptc adapter: commits the rules of fw_rule.h into the legacy xtables of the current
 * network namespace. Blocking (each table is read, changed and committed with getsockopt/
 * setsockopt round trips) and not thread-safe: call at daemon start and teardown only, on the
 * loop thread, never from a callback that must stay fast. */
#pragma once

#include <stddef.h>

#include "net/fw_rule.h"

/* Makes the tables hold exactly the given rules among those carrying our comment, in list order:
 * a chain whose rules of ours already are the wanted ones in that order is left alone (setup is
 * idempotent); otherwise our rules in it are deleted and the wanted ones added, inserted (-I, at
 * the top) or appended (-A) as each rule says, which also drops stale ones (an older subnet or
 * policy). Rules without our comment are never touched. Returns 0 or -errno, with a message naming table, rule and likely cause in err. */
int anc_fw_apply(const struct anc_fw_rule *rules, size_t n, char *err, size_t errlen);

/* Removes every rule with our comment from the chains the given rules touch; leaves all else.
 * Returns 0 or -errno with a message. */
int anc_fw_remove(const struct anc_fw_rule *rules, size_t n, char *err, size_t errlen);

/* Counts rules in table/chain: all of them, and those with our comment (either may be NULL).
 * Returns 0 or -errno. Used by tests and diagnostics. */
int anc_fw_count(const char *table, const char *chain, int *total, int *ours);

/* Whether exactly this rule (with our comment) is present: 1, 0, or -errno. */
int anc_fw_present(const struct anc_fw_rule *r);
