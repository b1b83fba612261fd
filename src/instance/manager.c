#include "instance/manager.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/rmtree_uv.h"
#include "container/image.h"
#include "container/profile_android.h"
#include "instance/agent_jar.h"
#include "instance/create_check.h"
#include "instance/manager_internal.h"
#include "instance/store.h"
#include "media/encpool.h"
#include "instance/runtime.h"
#include "media/stream.h"
#include "net/network.h"

static void update_metrics(struct anc_manager *m)
{
    size_t running = 0, encoders = 0;
    for (struct anc_instance *i = m->list; i; i = i->next) {
        running += i->state == ANC_STATE_RUNNING;
        encoders += i->stream != NULL;
    }
    anc_metric_set(m->m_instances, (double)m->count);
    anc_metric_set(m->m_running, (double)running);
    anc_metric_set(m->m_encoders, (double)encoders);
}

/* Persists a state before acting on it. */
static int transition(struct anc_manager *m, struct anc_instance *inst, enum anc_instance_state to,
                      const char *error)
{
    enum anc_instance_state from = inst->state;
    inst->state = to;
    snprintf(inst->error, sizeof(inst->error), "%s", error ? error : "");
    int r = anc_store_put(m->store, inst, inst->revision, &inst->revision);
    if (r < 0) {
        inst->state = from;
        anc_error("instance %s: cannot persist state %s: %s", inst->id, anc_instance_state_name(to),
                  strerror(-r));
        return r;
    }
    update_metrics(m);
    return 0;
}

static void env_for(struct anc_manager *m, const struct anc_instance *inst,
                    struct anc_runtime_env *env)
{
    const struct anc_config *c = m->cfg;
    *env = (struct anc_runtime_env){
        .loop = m->loop,
        .pool = &m->pool,
        .run_dir = c->run_dir,
        .state_dir = c->state_dir,
        .log_max = (size_t)c->log_max_kib * 1024,
        .image_dir = c->image_dir,
        .images = m->images,
        .net = m->net,
        .android_boot_timeout_s = c->android_boot_timeout_s,
        .android_agent_jar = c->android_agent_jar,
        .android_binder = c->android_binder,
        .stream = {.width = inst->width,
                   .height = inst->height,
                   .fps = inst->fps,
                   .bitrate_kbps = inst->bitrate_kbps ? inst->bitrate_kbps : c->bitrate_kbps,
                   .min_bitrate_kbps = c->min_bitrate_kbps,
                   .max_bitrate_kbps = c->max_bitrate_kbps,
                   .bitrate_lowest = strcmp(c->bitrate_policy, "lowest") == 0,
                   .preset = c->preset}};
}

/* Guests find each other by name: every running container's address goes to dnsmasq as NAME and
 * NAME.<domain> (instance names are host names only when they are valid ones; others are
 * skipped by dnsmasq's hosts writer). */
static void publish_hosts(struct anc_manager *m)
{
    struct anc_network *net = m->net;
    if (!net)
        return;
    struct anc_dnsmasq_host *hosts = calloc(m->count ? m->count : 1, sizeof(*hosts));
    size_t n = 0;
    if (!hosts)
        return;
    for (struct anc_instance *i = m->list; i; i = i->next) {
        uint32_t addr;
        if (!anc_instance_has_image(i) || !i->rt || anc_network_lookup(net, i->id, &addr) < 0)
            continue;
        snprintf(hosts[n].name, sizeof(hosts[n].name), "%s", i->name);
        hosts[n++].addr = addr;
    }
    int r = anc_network_set_hosts(net, hosts, n);
    if (r < 0)
        anc_warn("network: cannot publish guest names to dnsmasq: %s", strerror(-r));
    free(hosts);
}

/* An android instance keeps <state_dir>/instances/<id>/ (its /data, its overlay's upper layer)
 * across stops and restarts; deleting the instance deletes it. It is renamed aside at once (a new
 * instance can never see it) and removed on the pool. */
static void delete_guest_data(struct anc_manager *m, const struct anc_instance *inst)
{
    char dir[PATH_MAX + 64];
    if (inst->kind != ANC_KIND_ANDROID)
        return;
    char aside[PATH_MAX + 64];
    snprintf(dir, sizeof(dir), "%s/instances/%s", m->cfg->state_dir, inst->id);
    snprintf(aside, sizeof(aside), "%s/instances/.deleted-%s", m->cfg->state_dir, inst->id);
    int r = anc_remove_tree_later(m->loop, dir, aside);
    if (r < 0 && r != -ENOENT)
        anc_warn("instance %s: cannot remove its data %s: %s", inst->id, dir, strerror(-r));
}

static void free_instance(struct anc_manager *m, struct anc_instance *inst)
{
    delete_guest_data(m, inst);
    for (struct anc_instance **pp = &m->list; *pp; pp = &(*pp)->next) {
        if (*pp == inst) {
            *pp = inst->next;
            break;
        }
    }
    m->count--;
    free(inst);
    update_metrics(m);
}

static void on_started(struct anc_instance *inst, const char *error, void *data)
{
    struct anc_manager *m = data;
    if (error && inst->state == ANC_STATE_STOPPING)
        return; /* finishing a previous daemon's stop: on_stopped settles it */
    if (error) {
        anc_error("instance %s (%s) failed to start: %s", inst->id, inst->name, error);
        transition(m, inst, ANC_STATE_ERROR, error);
        return;
    }
    if (inst->state == ANC_STATE_STARTING) {
        transition(m, inst, ANC_STATE_RUNNING, NULL);
        anc_info("instance %s (%s) running", inst->id, inst->name);
        publish_hosts(m);
    } else if (inst->state == ANC_STATE_STOPPING) {
        /* Taken over after a restart only to finish the stop a previous daemon began. */
        anc_runtime_stop(inst);
    }
}

static void on_died(struct anc_instance *inst, const char *reason, void *data)
{
    struct anc_manager *m = data;
    anc_error("instance %s (%s): %s", inst->id, inst->name, reason);
    m->events.instance_ended(m->events.arg, inst);
    if (m->closing)
        return;
    transition(m, inst, ANC_STATE_ERROR, reason);
    if (inst->restart == ANC_RESTART_ALWAYS ||
        (inst->restart == ANC_RESTART_ON_FAILURE && !anc__manager_clean_exit(reason))) {
        inst->pending_restart = true;
    }
}

static void maybe_closed(struct anc_manager *m);

static void on_stopped(struct anc_instance *inst, void *data)
{
    struct anc_manager *m = data;
    char err[256];
    if (m->closing) {
        maybe_closed(m);
        return;
    }
    if (inst->state == ANC_STATE_STOPPING || inst->state == ANC_STATE_STARTING)
        transition(m, inst, ANC_STATE_STOPPED, NULL);
    anc_info("instance %s (%s) stopped", inst->id, inst->name);
    if (anc_instance_has_image(inst))
        publish_hosts(m);
    if (inst->pending_delete) {
        anc_store_delete(m->store, inst->id, inst->revision);
        anc_info("instance %s (%s) deleted", inst->id, inst->name);
        free_instance(m, inst);
        return;
    }
    if (inst->pending_restart) {
        inst->pending_restart = false;
        if (inst->state == ANC_STATE_ERROR) { /* died: the policy restarts it after a back-off */
            anc__manager_schedule_restart(m, inst);
            return;
        }
        if (anc__manager_do_start(m, inst, err, sizeof(err)) < 0)
            anc_error("instance %s: restart: %s", inst->id, err);
    }
}

static void on_clipboard(struct anc_instance *inst, const char *utf8, size_t len, void *data)
{
    struct anc_manager *m = data;
    if (m->events.instance_clipboard)
        m->events.instance_clipboard(m->events.arg, inst, utf8, len);
}

static const struct anc_runtime_callbacks runtime_cbs = {
    .on_started = on_started,
    .on_died = on_died,
    .on_stopped = on_stopped,
    .on_clipboard = on_clipboard,
};

static int begin_runtime(struct anc_manager *m, struct anc_instance *inst, bool adopt, char *err,
                         size_t errlen)
{
    struct anc_runtime_env env;
    int r = inst->state == ANC_STATE_STOPPING ? 0 : transition(m, inst, ANC_STATE_STARTING, NULL);
    if (r < 0) {
        snprintf(err, errlen, "cannot persist the state: %s", strerror(-r));
        return r;
    }
    env_for(m, inst, &env);
    inst->restart_at_ms = 0;
    inst->started_ms = uv_now(m->loop);
    r = adopt ? anc_runtime_adopt(inst, &env, &runtime_cbs, m)
              : anc_runtime_start(inst, &env, &runtime_cbs, m);
    if (r < 0) {
        snprintf(err, errlen, "cannot start: %s", strerror(-r));
        transition(m, inst, ANC_STATE_ERROR, err);
    }
    return r;
}

int anc_manager_start(struct anc_manager *m, struct anc_instance *inst, char *err, size_t errlen)
{
    if ((inst->state != ANC_STATE_STOPPED && inst->state != ANC_STATE_ERROR) || inst->rt) {
        snprintf(err, errlen, "instance is %s", anc_instance_state_name(inst->state));
        return -EALREADY;
    }
    return anc__manager_do_start(m, inst, err, errlen);
}

int anc_manager_stop(struct anc_manager *m, struct anc_instance *inst, char *err, size_t errlen)
{
    if (inst->state == ANC_STATE_STOPPED || inst->state == ANC_STATE_STOPPING) {
        snprintf(err, errlen, "instance is %s", anc_instance_state_name(inst->state));
        return -EALREADY;
    }
    int r = transition(m, inst, inst->rt ? ANC_STATE_STOPPING : ANC_STATE_STOPPED, NULL);
    if (r < 0) {
        snprintf(err, errlen, "cannot persist the state: %s", strerror(-r));
        return r;
    }
    m->events.instance_ended(m->events.arg, inst);
    anc_runtime_stop(inst);
    return 0;
}

int anc_manager_restart(struct anc_manager *m, struct anc_instance *inst, char *err, size_t errlen)
{
    if (!inst->rt)
        return anc_manager_start(m, inst, err, errlen);
    inst->pending_restart = true;
    int r = anc_manager_stop(m, inst, err, errlen);
    if (r < 0)
        inst->pending_restart = false;
    return r;
}

/* A stored instance joins the list. */
static void add(struct anc_manager *m, struct anc_instance *inst)
{
    inst->next = m->list;
    m->list = inst;
    m->count++;
    update_metrics(m);
}

int anc_manager_create(struct anc_manager *m, json_t *req, struct anc_instance **out, char *err,
                       size_t errlen)
{
    struct anc_instance *inst = calloc(1, sizeof(*inst));
    if (!inst)
        return -ENOMEM;
    int r = anc_instance_from_request(inst, req, m->cfg->fps, err, errlen);
    if (r == 0)
        r = anc_create_check(m->cfg, m->android_host_check, inst, err, errlen);
    for (struct anc_instance *i = m->list; r == 0 && i; i = i->next) {
        if (strcmp(i->name, inst->name) == 0) {
            snprintf(err, errlen, "name: an instance named \"%s\" exists (%s)", i->name, i->id);
            r = -EEXIST;
        }
    }
    if (r == 0)
        r = anc_store_put(m->store, inst, 0, &inst->revision);
    if (r < 0) {
        free(inst);
        return r;
    }
    add(m, inst);
    anc_info("instance %s (%s, %s %dx%d@%d) created", inst->id, inst->name,
             anc_instance_kind_name(inst->kind), inst->width, inst->height, inst->fps);
    *out = inst;
    return 0;
}

int anc_manager_delete(struct anc_manager *m, struct anc_instance *inst)
{
    char err[128];
    if (inst->rt) {
        inst->pending_delete = true;
        if (inst->state != ANC_STATE_STOPPING)
            anc_manager_stop(m, inst, err, sizeof(err));
        return 0;
    }
    int r = anc_store_delete(m->store, inst->id, inst->revision);
    if (r < 0 && r != -ENOENT)
        return r;
    anc_info("instance %s (%s) deleted", inst->id, inst->name);
    free_instance(m, inst);
    return 0;
}

int anc_manager_adopt(struct anc_manager *m, const struct anc_instance *spec,
                      struct anc_instance **out)
{
    if (anc_manager_find(m, spec->id))
        return -EEXIST;
    struct anc_instance *inst = calloc(1, sizeof(*inst));
    if (!inst)
        return -ENOMEM;
    *inst = *spec;
    inst->state = ANC_STATE_STOPPED;
    inst->error[0] = '\0';
    inst->stream = NULL;
    inst->rt = NULL;
    inst->viewers = 0;
    inst->pending_delete = inst->pending_restart = false;
    int r = anc_store_put(m->store, inst, 0, &inst->revision);
    if (r == -EEXIST) /* a copy left by a run that ended before its delete: take it over */
        r = anc_store_delete(m->store, inst->id, 0) == 0
                ? anc_store_put(m->store, inst, 0, &inst->revision)
                : r;
    if (r < 0) {
        free(inst);
        return r;
    }
    add(m, inst);
    anc_info("instance %s (%s, %s) placed here", inst->id, inst->name,
             anc_instance_kind_name(inst->kind));
    *out = inst;
    return 0;
}

struct anc_instance *anc_manager_find(struct anc_manager *m, const char *id)
{
    for (struct anc_instance *i = m->list; i; i = i->next)
        if (strcmp(i->id, id) == 0)
            return i;
    return NULL;
}

struct anc_instance *anc_manager_first(struct anc_manager *m)
{
    return m->list;
}

void anc_manager_log_path(struct anc_manager *m, const struct anc_instance *inst, char *out,
                          size_t len)
{
    struct anc_runtime_env env;
    env_for(m, inst, &env);
    anc_runtime_log_path(&env, inst, out, len);
}

size_t anc_manager_count(const struct anc_manager *m)
{
    return m->count;
}

json_t *anc_manager_instance_json(struct anc_manager *m, const struct anc_instance *inst)
{
    json_t *o = anc_instance_to_json(inst);
    if (!o)
        return NULL;
    json_object_set_new(o, "viewers", json_integer(inst->viewers));
    json_object_set_new(o, "restarts", json_integer(inst->restarts));
    if (inst->restart_at_ms) {
        uint64_t now = uv_now(m->loop);
        json_object_set_new(
            o, "restart_in_ms",
            json_integer(inst->restart_at_ms > now ? (json_int_t)(inst->restart_at_ms - now) : 0));
    }
    if (inst->stream) {
        struct anc_stream_stats st;
        anc_stream_get_stats(inst->stream, &st);
        json_object_set_new(o, "stream",
                            json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:i, s:I}", "frames_captured",
                                      (json_int_t)st.frames_captured, "frames_encoded",
                                      (json_int_t)st.frames_encoded, "frames_replaced",
                                      (json_int_t)st.frames_replaced, "keyframes",
                                      (json_int_t)st.keyframes, "bytes_encoded",
                                      (json_int_t)st.bytes_encoded, "last_encode_ms",
                                      st.last_encode_ms, "bitrate_kbps", st.bitrate_kbps,
                                      "ticks_idle", (json_int_t)st.ticks_idle));
    }
    return o;
}

int anc__manager_do_start(struct anc_manager *m, struct anc_instance *inst, char *err,
                          size_t errlen)
{
    return begin_runtime(m, inst, false, err, errlen);
}

static void on_found(void *arg, const struct anc_instance *rec)
{
    struct anc_manager *m = arg;
    struct anc_instance *inst = malloc(sizeof(*inst));
    if (!inst)
        return;
    *inst = *rec;
    inst->stream = NULL;
    inst->viewers = 0;
    inst->next = m->list;
    m->list = inst;
    m->count++;
}

static void on_bad(void *arg, const char *path, const char *reason)
{
    (void)arg;
    anc_error("instance record %s is corrupt (%s); moved aside to %s.corrupt", path, reason, path);
}

/* After a restart: what was running runs again, a guest that survived the previous daemon (a
 * linux container on its Xvfb) taken over rather than restarted; what was mid-transition settles
 * (a stop that was under way is finished, on whatever of the guest is left). */
static void resume(struct anc_manager *m, bool (*keep)(void *arg, const struct anc_instance *inst),
                   void *arg)
{
    char err[256];
    for (struct anc_instance *i = m->list; i; i = i->next) {
        enum anc_instance_state was = i->state;
        if (keep && !keep(arg, i)) {
            if (was != ANC_STATE_STOPPED && was != ANC_STATE_ERROR)
                transition(m, i, ANC_STATE_STOPPED, NULL);
            continue;
        }
        if (was == ANC_STATE_STOPPING && i->kind == ANC_KIND_PATTERN)
            transition(m, i, ANC_STATE_STOPPED, NULL);
        if (was != ANC_STATE_RUNNING && was != ANC_STATE_STARTING &&
            !(was == ANC_STATE_STOPPING && i->kind != ANC_KIND_PATTERN))
            continue;
        if (begin_runtime(m, i, true, err, sizeof(err)) < 0)
            anc_error("instance %s: %s", i->id, err);
    }
}

static void register_metrics(struct anc_manager *m, struct anc_metrics *reg)
{
    m->m_instances = anc_metrics_gauge(reg, "ancloud_instances", NULL, "instances on this host");
    m->m_running =
        anc_metrics_gauge(reg, "ancloud_instances_running", NULL, "instances in state running");
    m->m_restarts = anc_metrics_counter(reg, "ancloud_instance_restarts_total", NULL,
                                        "instances started again by their restart policy");
    m->m_encoders =
        anc_metrics_gauge(reg, "ancloud_encoders", NULL,
                          "encoders (one per streaming instance, whatever its viewers)");
}

/* At start, the agent jar's version is checked once and the verdict logged: android instances
 * cannot be created (nor run their agent) until it is right. Other kinds do not need it. */
static void check_agent_jar(const struct anc_config *cfg)
{
    char why[ANC_AGENT_WHY_MAX];
    int r = anc_agent_jar_check(cfg->android_agent_jar, why, sizeof(why));
    if (r == 0)
        anc_info("android agent: %s is scrcpy-server " ANC_AGENT_VERSION, cfg->android_agent_jar);
    else if (r == -ENOENT) /* the common case of a host that runs no Android guests */
        anc_info("%s (needed only by android instances)", why);
    else
        anc_warn("%s (android instances are refused until then)", why);
}

int anc_manager_new(const struct anc_manager_deps *deps, struct anc_manager **out)
{
    const struct anc_config *cfg = deps->cfg;
    struct anc_manager *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->loop = deps->loop;
    m->cfg = cfg;
    m->net = deps->net;
    m->events = deps->events;
    m->android_host_check =
        deps->android_host_check ? deps->android_host_check : anc_android_check_host;
    m->store = deps->store;
    m->images = anc_image_mounts_new(cfg->image_dir, cfg->run_dir);
    m->restart_timer = malloc(sizeof(*m->restart_timer));
    int r = m->images && m->restart_timer
                ? anc_encpool_init(&m->pool, m->loop, cfg->encoder_threads)
                : -ENOMEM;
    if (r < 0) {
        free(m->restart_timer);
        anc_error("cannot start the encoder pool: %s", strerror(-r));
        anc_image_mounts_free(m->images);
        free(m);
        return r;
    }
    uv_timer_init(m->loop, m->restart_timer);
    m->restart_timer->data = m;
    register_metrics(m, deps->metrics);
    r = anc_store_list(m->store, on_found, on_bad, m);
    if (r < 0)
        anc_error("cannot read the instance records: %s", strerror(-r));
    anc_info("%zu instance record(s) loaded; encoder pool of %d thread(s)", m->count,
             anc_encpool_threads(&m->pool));
    check_agent_jar(cfg);
    *out = m;
    m->resume_deferred = deps->defer_resume;
    if (!deps->defer_resume)
        resume(m, NULL, NULL);
    update_metrics(m);
    return 0;
}

void anc_manager_resume(struct anc_manager *m,
                        bool (*keep)(void *arg, const struct anc_instance *inst), void *arg)
{
    if (!m->resume_deferred)
        return;
    m->resume_deferred = false;
    resume(m, keep, arg);
    update_metrics(m);
}

static void on_pool_closed(struct anc_encpool *pool)
{
    struct anc_manager *m =
        (struct anc_manager *)((char *)pool - offsetof(struct anc_manager, pool));
    void (*done)(void *, bool) = m->done;
    void *arg = m->done_arg;
    bool left_running = m->guests_left_running;
    while (m->list) {
        struct anc_instance *next = m->list->next;
        free(m->list);
        m->list = next;
    }
    anc_image_mounts_free(m->images);
    free(m);
    if (done)
        done(arg, left_running);
}

/* At shutdown: once every runtime has stopped, the pool closes. */
static void maybe_closed(struct anc_manager *m)
{
    for (struct anc_instance *i = m->list; i; i = i->next)
        if (i->rt)
            return;
    anc_encpool_close(&m->pool, on_pool_closed);
}

/* Records keep their state, so the next start resumes what was running. */
void anc_manager_close(struct anc_manager *m, void (*done)(void *arg, bool guests_left_running),
                       void *arg)
{
    if (!m) {
        done(arg, false);
        return;
    }
    m->done = done;
    m->done_arg = arg;
    m->closing = true;
    uv_close((uv_handle_t *)m->restart_timer, (uv_close_cb)free);
    bool any = false;
    for (struct anc_instance *i = m->list; i; i = i->next) {
        if (!i->rt)
            continue;
        any = true;
        if (m->cfg->keep_running_on_exit && anc_runtime_detach(i) == 0)
            m->guests_left_running = true;
        else
            anc_runtime_stop(i);
    }
    if (!any)
        maybe_closed(m);
}
