/* Roles: which session of an instance holds control (its input reaches the guest, its REMB sets
 * the bit rate), hand-offs, and telling every viewer of the instance who holds it. */
#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "input/proto.h"
#include "instance/instance.h"
#include "instance/session_internal.h"

struct anc_session *anc__sessions_controller(struct anc_sessions *s,
                                             const struct anc_instance *inst)
{
    for (struct anc_session *x = s->list; x; x = x->next)
        if (x->inst == inst && x->controller)
            return x;
    return NULL;
}

static void tell(struct anc_sessions *s, struct anc_session *x, const struct anc_session *ctl,
                 uint64_t now)
{
    uint8_t msg[ANC_INPUT_OUT_HEADER_SIZE + ANC_INPUT_OUT_CONTROL_SID_MAX];
    unsigned flags = (x == ctl ? ANC_INPUT_OUT_CONTROL_YOU : 0) |
                     (x->who.control ? ANC_INPUT_OUT_CONTROL_CAN : 0);
    ssize_t n = anc_input_encode_out_control(ctl ? ctl->sid : NULL, flags, msg, sizeof(msg));
    if (x->input_channel >= 0 && n > 0)
        anc__sessions_send_to_page(s, x, msg, (size_t)n, now);
}

static void tell_everyone(struct anc_sessions *s, const struct anc_instance *inst)
{
    struct anc_session *ctl = anc__sessions_controller(s, inst);
    uint64_t now = anc__sessions_now(s);
    for (struct anc_session *x = s->list; x; x = x->next)
        if (x->inst == inst)
            tell(s, x, ctl, now);
    anc__sessions_flush(s);
}

void anc__sessions_tell_control(struct anc_sessions *s, struct anc_session *x)
{
    tell(s, x, anc__sessions_controller(s, x->inst), anc__sessions_now(s));
}

/* The bit rate follows the controller's estimate (stream.h), so the stream learns who it is. */
static void mark(struct anc_session *x, bool controller)
{
    x->controller = controller;
    if (x->inst->stream)
        anc_stream_viewer_set_controller(x->inst->stream, &x->viewer, controller);
}

void anc__sessions_set_controller(struct anc_sessions *s, struct anc_session *x)
{
    struct anc_session *old = anc__sessions_controller(s, x->inst);
    if (old == x)
        return;
    if (old)
        mark(old, false);
    mark(x, true);
    anc_info("session %s of instance %s has control", x->sid, x->inst->id);
    tell_everyone(s, x->inst);
}

void anc__sessions_pass_control(struct anc_sessions *s, const struct anc_instance *inst)
{
    /* The list is newest first: the last control-capable match is the oldest. */
    struct anc_session *next = NULL;
    for (struct anc_session *x = s->list; x; x = x->next)
        if (x->inst == inst && x->who.control)
            next = x;
    if (next) {
        anc__sessions_set_controller(s, next);
        return;
    }
    anc_info("instance %s: nobody holds control", inst->id);
    tell_everyone(s, inst);
}

int anc_sessions_give_control(struct anc_sessions *s, const char *sid,
                              const struct anc_session_who *by)
{
    struct anc_session *x = s->list;
    while (x && strcmp(x->sid, sid) != 0)
        x = x->next;
    if (!x)
        return -ENOENT;
    struct anc_session *ctl = anc__sessions_controller(s, x->inst);
    bool allowed =
        by->admin || (ctl && by->token_id[0] && strcmp(ctl->who.token_id, by->token_id) == 0);
    if (!allowed)
        return -EACCES;
    if (!x->who.control)
        return -EPERM;
    anc__sessions_set_controller(s, x);
    return 0;
}
