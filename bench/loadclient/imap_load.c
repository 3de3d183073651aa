/* IMAP FETCH load client for bench/imap-fetch.sh.
 *
 *   imap_load PORT USER PASSWORD CLIENTS MSGS BYTES SERVER_PID
 *
 * CLIENTS threads, one connection each, all as USER: greeting, STARTTLS,
 * TLS handshake, LOGIN. Then three phases, each started for all clients at
 * once (a barrier) and ended by the last client's tagged OK:
 *   0. SELECT INBOX                                 (must report MSGS EXISTS)
 *   1. FETCH 1:* (FLAGS ENVELOPE BODYSTRUCTURE)
 *   2. FETCH 1:* BODY.PEEK[]
 * LOGOUT only once the last phase's CPU sample is taken (Dovecot's imap
 * process would exit and take its CPU counters with it).
 *
 * Every FETCH phase must bring, per client, exactly MSGS "* n FETCH"
 * responses, each n in 1..MSGS once; literals ({n}) are skipped by their
 * counts; phase 1's responses must name FLAGS, ENVELOPE and BODYSTRUCTURE,
 * phase 2's must hold BODY[] as one literal of BYTES/2 to 2*BYTES+8192
 * bytes; and the tagged reply must be OK. Anything else ends the process
 * with status 1 and a message on stderr.
 *
 * Prints one line:
 *   "select_s meta_s full_s meta_cpu full_cpu meta_client_cpu full_client_cpu tls"
 * phase times (common start to the last client's tagged OK), the CPU
 * seconds SERVER_PID's process tree used in each FETCH phase, this
 * process's CPU seconds in each FETCH phase, and client 0's TLS. */
#define _GNU_SOURCE
#include "conn.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PHASE_SELECT, PHASE_META, PHASE_FULL, PHASES };
static const char *const COMMANDS[PHASES] = {
    "SELECT INBOX",
    "FETCH 1:* (FLAGS ENVELOPE BODYSTRUCTURE)",
    "FETCH 1:* BODY.PEEK[]",
};

enum { HAS_FLAGS = 1, HAS_ENVELOPE = 2, HAS_BODYSTRUCTURE = 4, HAS_BODY = 8 };

/* What one client has seen of one phase's responses. */
typedef struct {
    int phase;
    char tag[8];
    size_t tag_len;
    unsigned long fetches;
    unsigned char *seen;    /* one byte per message number */
    int exists_ok;          /* SELECT: "* MSGS EXISTS" came */
    /* the response being read */
    int at_start;           /* the next line starts a response */
    int in_fetch;
    unsigned long seq;
    size_t literal_left;    /* bytes of a literal still to skip */
    size_t literal_bytes;
    unsigned literals, tokens;
} phase_state;

typedef struct {
    int index;
    conn c;
    double finish[PHASES];
    char tls[96];
} client;

static int g_port;
static const char *g_user, *g_password;
static unsigned long g_clients, g_msgs, g_bytes;
static size_t g_min_size, g_max_size;
static SSL_CTX *g_ctx;
static phase_sync g_sync;

/* Reads lines up to the tagged reply (no literals expected) and wants OK. */
static void expect_tagged_ok(client *cl, const char *tag) {
    size_t tl = strlen(tag);
    for (;;) {
        size_t len;
        char *line = conn_line(&cl->c, &len);
        if (len > tl && memcmp(line, tag, tl) == 0 && line[tl] == ' ') {
            if (len < tl + 3 || memcmp(line + tl + 1, "OK", 2) != 0)
                fail(cl->c.who, "%s failed: '%.*s'", tag, (int)(len > 300 ? 300 : len), line);
            return;
        }
    }
}

static int has(const char *p, size_t len, const char *token) { return memmem(p, len, token, strlen(token)) != NULL; }

/* "{123}" at the end of a line: a literal of 123 bytes follows. */
static int literal_at_end(const char *p, size_t len, size_t *size) {
    if (len < 3 || p[len - 1] != '}') return 0;
    size_t i = len - 1, digits = 0;
    size_t v = 0, scale = 1;
    while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9') {
        if (++digits > 12) return 0;
        v += (size_t)(p[i - 1] - '0') * scale;
        scale *= 10;
        i--;
    }
    if (digits == 0 || i == 0 || p[i - 1] != '{') return 0;
    *size = v;
    return 1;
}

/* A response's first line: counts "* n FETCH (" and notes "* n EXISTS". */
static void begin_response(client *cl, phase_state *st, const char *p, size_t len) {
    st->in_fetch = 0;
    if (len < 2 || p[0] != '*' || p[1] != ' ') fail(cl->c.who, "unexpected line '%.*s'", (int)(len > 200 ? 200 : len), p);
    if (len >= 5 && (memcmp(p + 2, "BAD", 3) == 0 || memcmp(p + 2, "BYE", 3) == 0))
        fail(cl->c.who, "'%.*s'", (int)(len > 200 ? 200 : len), p);
    size_t i = 2;
    unsigned long n = 0;
    while (i < len && i < 14 && p[i] >= '0' && p[i] <= '9') n = n * 10 + (unsigned long)(p[i++] - '0');
    if (i == 2) return;  /* "* OK", "* FLAGS", ...: not counted */
    if (len - i >= 8 && memcmp(p + i, " FETCH (", 8) == 0) {
        if (st->phase == PHASE_SELECT) fail(cl->c.who, "a FETCH response to SELECT");
        if (n < 1 || n > g_msgs) fail(cl->c.who, "'* %lu FETCH' outside 1:%lu", n, g_msgs);
        if (st->seen[n - 1]) fail(cl->c.who, "'* %lu FETCH' twice in one phase", n);
        st->seen[n - 1] = 1;
        st->fetches++;
        st->in_fetch = 1;
        st->seq = n;
        st->literal_bytes = 0;
        st->literals = st->tokens = 0;
    } else if (len - i == 7 && memcmp(p + i, " EXISTS", 7) == 0) {
        st->exists_ok = n == g_msgs;
    }
}

static void note_tokens(phase_state *st, const char *p, size_t len) {
    if (st->phase == PHASE_META) {
        if (has(p, len, "FLAGS (")) st->tokens |= HAS_FLAGS;
        if (has(p, len, "ENVELOPE (")) st->tokens |= HAS_ENVELOPE;
        if (has(p, len, "BODYSTRUCTURE (")) st->tokens |= HAS_BODYSTRUCTURE;
    } else if (st->phase == PHASE_FULL && has(p, len, "BODY[] {")) {
        st->tokens |= HAS_BODY;
    }
}

static void end_response(client *cl, phase_state *st) {
    st->at_start = 1;
    if (!st->in_fetch) return;
    if (st->phase == PHASE_META && st->tokens != (HAS_FLAGS | HAS_ENVELOPE | HAS_BODYSTRUCTURE))
        fail(cl->c.who, "FETCH %lu lacks FLAGS, ENVELOPE or BODYSTRUCTURE", st->seq);
    if (st->phase == PHASE_FULL) {
        if (st->tokens != HAS_BODY || st->literals != 1)
            fail(cl->c.who, "FETCH %lu: BODY[] is not one literal", st->seq);
        if (st->literal_bytes < g_min_size || st->literal_bytes > g_max_size)
            fail(cl->c.who, "FETCH %lu: BODY[] of %zu bytes, expected %zu to %zu", st->seq, st->literal_bytes,
                 g_min_size, g_max_size);
    }
    st->in_fetch = 0;
}

/* Consumes what the buffer holds; returns 1 once the tagged OK came. */
static int parse_responses(client *cl, phase_state *st) {
    conn *c = &cl->c;
    for (;;) {
        if (st->literal_left > 0) {
            size_t k = c->end - c->start;
            if (k > st->literal_left) k = st->literal_left;
            c->start += k;
            st->literal_left -= k;
            if (st->literal_left > 0) return 0;
        }
        size_t len;
        char *p = conn_buffered_line(c, &len);
        if (!p) return 0;
        if (st->at_start) {
            if (len > st->tag_len && memcmp(p, st->tag, st->tag_len) == 0 && p[st->tag_len] == ' ') {
                if (len < st->tag_len + 3 || memcmp(p + st->tag_len + 1, "OK", 2) != 0)
                    fail(c->who, "%s failed: '%.*s'", COMMANDS[st->phase], (int)(len > 300 ? 300 : len), p);
                return 1;
            }
            begin_response(cl, st, p, len);
        }
        if (st->in_fetch) note_tokens(st, p, len);
        size_t size;
        if (literal_at_end(p, len, &size)) {
            if (size > (size_t)1 << 31) fail(c->who, "a literal of %zu bytes", size);
            st->literal_left = size;
            st->literal_bytes += size;
            st->literals++;
            st->at_start = 0;  /* the response goes on after the literal */
            continue;
        }
        end_response(cl, st);
    }
}

static void run_phase(client *cl, int phase, unsigned char *seen) {
    phase_state st = {.phase = phase, .seen = seen, .at_start = 1};
    st.tag_len = (size_t)snprintf(st.tag, sizeof st.tag, "p%d", phase);
    memset(seen, 0, g_msgs);
    char command[64];
    int n = snprintf(command, sizeof command, "%s %s\r\n", st.tag, COMMANDS[phase]);
    conn_write(&cl->c, command, (size_t)n);
    while (!parse_responses(cl, &st)) conn_fill(&cl->c);
    if (st.literal_left > 0 || !st.at_start) fail(cl->c.who, "tagged reply inside a response");
    if (phase == PHASE_SELECT && !st.exists_ok) fail(cl->c.who, "SELECT did not report %lu EXISTS", g_msgs);
    if (phase != PHASE_SELECT && st.fetches != g_msgs)
        fail(cl->c.who, "%s: %lu FETCH responses, expected %lu", COMMANDS[phase], st.fetches, g_msgs);
}

static void login(client *cl) {
    conn_open(&cl->c, g_port, cl->index, 300);
    size_t len;
    char *greeting = conn_line(&cl->c, &len);
    if (len < 4 || memcmp(greeting, "* OK", 4) != 0) fail(cl->c.who, "greeting '%.*s'", (int)(len > 200 ? 200 : len), greeting);
    conn_write_str(&cl->c, "s1 STARTTLS\r\n");
    expect_tagged_ok(cl, "s1");
    conn_starttls(&cl->c, g_ctx);
    conn_tls_name(&cl->c, cl->tls, sizeof cl->tls);
    char text[600];
    int n = snprintf(text, sizeof text, "l1 LOGIN \"%s\" \"%s\"\r\n", g_user, g_password);
    if (n < 0 || (size_t)n >= sizeof text) fail(cl->c.who, "user name or password too long");
    conn_write(&cl->c, text, (size_t)n);
    expect_tagged_ok(cl, "l1");
}

static void *client_main(void *arg) {
    client *cl = arg;
    unsigned char *seen = malloc(g_msgs);
    if (!seen) fail("main", "out of memory");
    login(cl);
    for (int phase = 0; phase < PHASES; phase++) {
        pthread_barrier_wait(&g_sync.ready);
        pthread_barrier_wait(&g_sync.go);
        run_phase(cl, phase, seen);
        cl->finish[phase] = now_s();
        pthread_barrier_wait(&g_sync.done);
    }
    pthread_barrier_wait(&g_sync.ready);  /* the last CPU sample is taken */
    conn_write_str(&cl->c, "z LOGOUT\r\n");
    expect_tagged_ok(cl, "z");
    conn_close(&cl->c);
    free(seen);
    return NULL;
}

int main(int argc, char **argv) {
    check_args("imap_load", argc, 8, "imap_load PORT USER PASSWORD CLIENTS MSGS BYTES SERVER_PID");
    g_port = parse_port(argv[1]);
    g_user = argv[2];
    g_password = argv[3];
    g_clients = parse_count_at_most(argv[4], "CLIENTS", 10000);
    g_msgs = parse_count(argv[5], "MSGS");
    g_bytes = parse_count(argv[6], "BYTES");
    pid_t server = (pid_t)parse_count(argv[7], "SERVER_PID");
    if (strpbrk(g_user, "\"\\\r\n") || strpbrk(g_password, "\"\\\r\n"))
        fail("arguments", "USER and PASSWORD must not hold quotes, backslashes or line breaks");
    plausible_sizes(g_bytes, &g_min_size, &g_max_size);

    g_ctx = tls_client_ctx();
    phase_sync_init(&g_sync, g_clients);
    client *clients = calloc(g_clients, sizeof *clients);
    if (!clients) fail("main", "out of memory");
    for (unsigned long i = 0; i < g_clients; i++) clients[i].index = (int)i;
    pthread_t *threads = start_clients(client_main, clients, g_clients, sizeof *clients);

    double seconds[PHASES], server_cpu[PHASES], client_cpu[PHASES];
    for (int phase = 0; phase < PHASES; phase++) {
        pthread_barrier_wait(&g_sync.ready);  /* every client waits to send */
        double s0 = tree_cpu_s(server), c0 = self_cpu_s(), t0 = now_s();
        pthread_barrier_wait(&g_sync.go);
        pthread_barrier_wait(&g_sync.done);
        double c1 = self_cpu_s(), s1 = tree_cpu_s(server), last = t0;
        for (unsigned long i = 0; i < g_clients; i++)
            if (clients[i].finish[phase] > last) last = clients[i].finish[phase];
        seconds[phase] = last - t0;
        server_cpu[phase] = s1 - s0;
        client_cpu[phase] = c1 - c0;
    }
    pthread_barrier_wait(&g_sync.ready);
    join_clients(threads, g_clients);
    printf("%.4f %.4f %.4f %.3f %.3f %.4f %.4f %s\n", seconds[0], seconds[1], seconds[2], server_cpu[1],
           server_cpu[2], client_cpu[1], client_cpu[2], clients[0].tls);
    free(clients);
    SSL_CTX_free(g_ctx);
    return 0;
}
