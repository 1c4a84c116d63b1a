/*
 * Call groups (include/sirnn/group.h): k independent calls as cooperative
 * tasks over the one lane's channel.
 *
 * Each member runs on a thread of its own, but only the thread that holds
 * the baton runs: the scheduler (the caller's thread) hands it to member 0,
 * which runs until it must wait for the peer, hands it back, then member 1,
 * and so on. A member's sends go to its outbox and its receives read its
 * inbox (the channel's hooks, net/channel.h); when every member waits (or
 * is done) the scheduler sends one frame with every non-empty outbox and
 * reads the peer's next frame into the inboxes. The order of everything is
 * fixed by the members' code alone, never by thread timing, so both
 * parties consume each lane's OT engines and pools in the same order, and
 * the bytes are identical run to run.
 *
 * Frame: u32 count, then per entry u32 member, u64 length, the bytes
 * (little-endian). Entries come in member order; a frame is sent only when
 * it has an entry.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "net/party_internal.h"
#include "sirnn/group.h"

enum { T_READY = 0, T_WAIT = 1, T_DONE = 2 };

typedef struct gtask {
    struct sirnn_mux *mux;
    int index;
    sirnn_group_call *call;
    pthread_t th;
    int started;
    int state;
    size_t want;            /* bytes a waiting member needs in its inbox */
    uint8_t *out;           /* outbox */
    size_t olen, ocap;
    uint8_t *in;            /* inbox: [ipos, ilen) unread */
    size_t ipos, ilen, icap;
} gtask;

struct sirnn_mux {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int current;            /* member holding the baton; -1: the scheduler */
    sirnn_status abort_st;  /* non-zero: end every waiting member with it */
    sirnn_party *party;
    sirnn_channel *ch;      /* the lane's real channel */
    int k;
    gtask *t;
};

/* The member whose thread this is (NULL on every other thread). */
static _Thread_local gtask *tl_task;

int sirnn_group_member_thread(void)
{
    return tl_task != NULL;
}

static gtask *member_of(const sirnn_channel *ch)
{
    gtask *t = tl_task;
    return t != NULL && t->mux->ch == ch ? t : NULL;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap < 4096 ? 4096 : *cap;
    while (c < need)
        c = c > SIZE_MAX / 2 ? need : 2 * c;
    uint8_t *p = realloc(*buf, c);
    if (p == NULL)
        return -1;
    *buf = p;
    *cap = c;
    return 0;
}

/* Give the baton back to the scheduler and wait for it again. */
static void yield_to_scheduler(gtask *t)
{
    struct sirnn_mux *m = t->mux;
    pthread_mutex_lock(&m->mu);
    m->current = -1;
    pthread_cond_broadcast(&m->cv);
    while (m->current != t->index)
        pthread_cond_wait(&m->cv, &m->mu);
    pthread_mutex_unlock(&m->mu);
}

int sirnn_mux_send(sirnn_channel *ch, const void *data, size_t n, sirnn_status *st)
{
    gtask *t = member_of(ch);
    if (t == NULL)
        return 0;
    if (t->mux->abort_st != SIRNN_OK) {
        *st = t->mux->abort_st;
    } else if (n > 0 && data == NULL) {
        *st = SIRNN_ERR_ARG;
    } else if (n > SIZE_MAX - t->olen || grow(&t->out, &t->ocap, t->olen + n) != 0) {
        *st = SIRNN_ERR_NOMEM;
    } else {
        if (n > 0)
            memcpy(t->out + t->olen, data, n);
        t->olen += n;
        *st = SIRNN_OK;
    }
    return 1;
}

int sirnn_mux_flush(sirnn_channel *ch, sirnn_status *st)
{
    gtask *t = member_of(ch);
    if (t == NULL)
        return 0;
    *st = t->mux->abort_st; /* the frame goes out when every member waits */
    return 1;
}

int sirnn_mux_recv(sirnn_channel *ch, void *data, size_t n, sirnn_status *st)
{
    gtask *t = member_of(ch);
    if (t == NULL)
        return 0;
    if (n > 0 && data == NULL) {
        *st = SIRNN_ERR_ARG;
        return 1;
    }
    while (t->mux->abort_st == SIRNN_OK && t->ilen - t->ipos < n) {
        t->state = T_WAIT;
        t->want = n;
        yield_to_scheduler(t);
    }
    *st = t->mux->abort_st;
    if (*st != SIRNN_OK)
        return 1;
    t->state = T_READY;
    if (n > 0)
        memcpy(data, t->in + t->ipos, n);
    t->ipos += n;
    if (t->ipos == t->ilen)
        t->ipos = t->ilen = 0;
    return 1;
}

static void *task_main(void *arg)
{
    gtask *t = arg;
    struct sirnn_mux *m = t->mux;
    tl_task = t;
    pthread_mutex_lock(&m->mu);
    while (m->current != t->index)
        pthread_cond_wait(&m->cv, &m->mu);
    pthread_mutex_unlock(&m->mu);
    const sirnn_status st =
        m->abort_st != SIRNN_OK ? m->abort_st : t->call->fn(m->party, t->call->arg);
    pthread_mutex_lock(&m->mu);
    t->call->status = st;
    t->state = T_DONE;
    m->current = -1;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* Hand the baton to member i and wait until it gives it back. */
static void run_member(struct sirnn_mux *m, int i)
{
    pthread_mutex_lock(&m->mu);
    m->current = i;
    pthread_cond_broadcast(&m->cv);
    while (m->current != -1)
        pthread_cond_wait(&m->cv, &m->mu);
    pthread_mutex_unlock(&m->mu);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* One frame of every non-empty outbox (none when all are empty). */
static sirnn_status send_frame(struct sirnn_mux *m)
{
    uint32_t count = 0;
    for (int i = 0; i < m->k; i++)
        count += m->t[i].olen > 0;
    if (count == 0)
        return SIRNN_OK;
    uint8_t hdr[12];
    put32(hdr, count);
    sirnn_status st = sirnn_channel_send(m->ch, hdr, 4);
    for (int i = 0; st == SIRNN_OK && i < m->k; i++) {
        gtask *t = &m->t[i];
        if (t->olen == 0)
            continue;
        put32(hdr, (uint32_t)i);
        for (int b = 0; b < 8; b++)
            hdr[4 + b] = (uint8_t)((uint64_t)t->olen >> (8 * b));
        st = sirnn_channel_send(m->ch, hdr, 12);
        if (st == SIRNN_OK)
            st = sirnn_channel_send(m->ch, t->out, t->olen);
        t->olen = 0;
    }
    return st == SIRNN_OK ? sirnn_channel_flush(m->ch) : st;
}

/* The peer's next frame into the inboxes. */
static sirnn_status recv_frame(struct sirnn_mux *m)
{
    uint8_t hdr[12];
    sirnn_status st = sirnn_channel_recv(m->ch, hdr, 4);
    if (st != SIRNN_OK)
        return st;
    const uint64_t count = get_le(hdr, 4);
    if (count == 0 || count > (uint64_t)m->k)
        return SIRNN_ERR_PEER_MISMATCH;
    int last = -1;
    for (uint64_t e = 0; e < count; e++) {
        st = sirnn_channel_recv(m->ch, hdr, 12);
        if (st != SIRNN_OK)
            return st;
        const uint64_t who = get_le(hdr, 4), len = get_le(hdr + 4, 8);
        if (who >= (uint64_t)m->k || (int)who <= last || len == 0 ||
            len > SIRNN_GROUP_MAX_MESSAGE)
            return SIRNN_ERR_PEER_MISMATCH;
        last = (int)who;
        gtask *t = &m->t[who];
        if (t->ipos > 0) { /* compact before growing */
            memmove(t->in, t->in + t->ipos, t->ilen - t->ipos);
            t->ilen -= t->ipos;
            t->ipos = 0;
        }
        if (t->ilen + len > SIRNN_GROUP_MAX_MESSAGE + (size_t)SIRNN_GROUP_MAX_MESSAGE)
            return SIRNN_ERR_PEER_MISMATCH; /* a member that never reads */
        if (grow(&t->in, &t->icap, t->ilen + (size_t)len) != 0)
            return SIRNN_ERR_NOMEM;
        st = sirnn_channel_recv(m->ch, t->in + t->ilen, (size_t)len);
        if (st != SIRNN_OK)
            return st;
        t->ilen += (size_t)len;
    }
    return SIRNN_OK;
}

static int io_failure(sirnn_status st)
{
    return st != SIRNN_OK && st != SIRNN_ERR_ARG && st != SIRNN_ERR_UNSUPPORTED;
}

/* The scheduler: passes over the members, frames out, frames in, until
 * every member is done; on a failure, ends the waiting members with it. */
static sirnn_status schedule(struct sirnn_mux *m)
{
    sirnn_status st = SIRNN_OK;
    for (;;) {
        int waiting = 0;
        for (int i = 0; i < m->k; i++) {
            gtask *t = &m->t[i];
            if (t->state == T_DONE)
                continue;
            if (t->state == T_READY || t->ilen - t->ipos >= t->want)
                run_member(m, i);
            if (t->state == T_DONE && io_failure(t->call->status))
                return t->call->status;
            waiting += t->state == T_WAIT;
        }
        st = send_frame(m);
        if (st != SIRNN_OK || waiting == 0)
            return st;
        st = recv_frame(m);
        if (st != SIRNN_OK)
            return st;
    }
}

static sirnn_status run_sequential(sirnn_party *party, size_t k, sirnn_group_call *calls)
{
    for (size_t i = 0; i < k; i++) {
        calls[i].status = calls[i].fn(party, calls[i].arg);
        if (io_failure(calls[i].status)) {
            for (size_t j = i + 1; j < k; j++)
                calls[j].status = SIRNN_ERR_STATE;
            break;
        }
    }
    for (size_t i = 0; i < k; i++)
        if (calls[i].status != SIRNN_OK)
            return calls[i].status;
    return SIRNN_OK;
}

sirnn_status sirnn_group_run(sirnn_party *party, size_t k, sirnn_group_call *calls)
{
    sirnn_status st = sirnn_party_usable(party);
    if (st != SIRNN_OK || k == 0)
        return st;
    if (calls == NULL || k > SIRNN_GROUP_MAX)
        return sirnn_party_error(party, SIRNN_ERR_ARG,
                                 "group_run: NULL calls or more than %d members",
                                 SIRNN_GROUP_MAX);
    for (size_t i = 0; i < k; i++)
        if (calls[i].fn == NULL)
            return sirnn_party_error(party, SIRNN_ERR_ARG, "group_run: member %zu has no fn",
                                     i);
    for (unsigned i = 0; i < party->nlanes; i++)
        if (party->lanes[i].ch.mux != NULL || tl_task != NULL)
            return sirnn_party_error(party, SIRNN_ERR_STATE,
                                     "group_run: called inside a group");
    for (size_t i = 0; i < k; i++)
        calls[i].status = SIRNN_ERR_STATE;
    if (party->nlanes != 1 || k == 1)
        return run_sequential(party, k, calls);

    struct sirnn_mux m;
    memset(&m, 0, sizeof(m));
    m.t = calloc(k, sizeof(gtask));
    if (m.t == NULL)
        return sirnn_party_error(party, SIRNN_ERR_NOMEM, "group_run: out of memory");
    pthread_mutex_init(&m.mu, NULL);
    pthread_cond_init(&m.cv, NULL);
    m.current = -1;
    m.party = party;
    m.ch = &party->lanes[0].ch;
    m.k = (int)k;
    int nstarted = 0;
    for (int i = 0; i < m.k; i++) {
        gtask *t = &m.t[i];
        t->mux = &m;
        t->index = i;
        t->call = &calls[i];
        t->state = T_READY;
        if (pthread_create(&t->th, NULL, task_main, t) != 0)
            break;
        t->started = 1;
        nstarted++;
    }
    if (nstarted < m.k) {
        st = SIRNN_ERR_NOMEM;
        m.abort_st = SIRNN_ERR_STATE; /* nothing sent yet: members end at once */
    } else {
        m.ch->mux = &m;
        st = schedule(&m);
        if (st != SIRNN_OK)
            m.abort_st = st;
    }
    /* End the members still waiting (none on success), one at a time; the
     * hooks stay on until then, so none of them touches the channel. */
    for (int i = 0; i < m.k; i++) {
        while (m.t[i].started && m.t[i].state != T_DONE)
            run_member(&m, i);
        if (m.t[i].started)
            pthread_join(m.t[i].th, NULL);
    }
    m.ch->mux = NULL;
    int leftover = 0;
    for (int i = 0; i < m.k; i++) {
        leftover |= m.t[i].ilen > m.t[i].ipos || m.t[i].olen > 0;
        free(m.t[i].out);
        free(m.t[i].in);
    }
    free(m.t);
    pthread_cond_destroy(&m.cv);
    pthread_mutex_destroy(&m.mu);
    if (st == SIRNN_ERR_NOMEM && nstarted < m.k)
        return sirnn_party_error(party, st, "group_run: cannot start a member's thread");
    if (st == SIRNN_OK && leftover)
        st = SIRNN_ERR_PEER_MISMATCH; /* messages no member read: out of step */
    if (io_failure(st))
        return sirnn_party_fail(party, st, "group_run: a member's exchange failed");
    for (int i = 0; i < (int)k; i++)
        if (calls[i].status != SIRNN_OK)
            return calls[i].status;
    return SIRNN_OK;
}
