#!/bin/sh
# The include rules of docs/architecture.md ("Modules, who owns what, who calls whom"): calls run
# one way, downwards (ancloudd.c → http/ → instance/ → {agent, media, rtc, container, net, input}
# → base/), so base/ includes nothing of ours, the modules under instance/ include neither it nor
# http/, and instance/ never includes http/ (the metrics registry is base/'s, not the server's).
# Usage: layering.sh SRC_DIR; prints every include that breaks a rule and fails if there is one.
src=${1:?usage: layering.sh SRC_DIR}
[ -d "$src/base" ] && [ -d "$src/instance" ] || { echo "layering.sh: $src is not the source tree" >&2; exit 2; }
bad=$({
    grep -rnE '#include "(http|instance|rtc|media|input|agent|container|net)/' "$src/base"
    for d in agent media rtc container net input; do
        grep -rnE '#include "(http|instance)/' "$src/$d"
    done
    grep -rn '#include "http/' "$src/instance"
} | sed "s|^$src/||")
if [ -n "$bad" ]; then
    echo "includes against docs/architecture.md's layering:"
    echo "$bad"
    exit 1
fi
echo "layering: ok"
