/* POP3 RETR load client for bench/pop3-retr.sh.
 *
 *   pop3_load PORT USER PASSWORD CLIENTS MSGS WINDOW BYTES
 *
 * CLIENTS threads, one connection each, log in to 127.0.0.1:PORT: greeting,
 * STLS, TLS handshake, then "USER <u>" and "PASS" sent together, where <u>
 * is USER with the client's number put before the '@' (pop@example.test ->
 * pop0@example.test, pop1@...). Once all are logged in they start together
 * and each sends RETR 1..MSGS, keeping WINDOW commands in flight (a new
 * batch whenever fewer are outstanding, as the Python client did), then
 * QUIT once every client is done, after which the server must close.
 *
 * Every reply is checked: it starts with +OK, its message ends in the
 * dot line, and the message holds between BYTES/2 and 2*BYTES+8192 bytes;
 * exactly MSGS come back per client. Anything else ends the process with
 * status 1 and a message on stderr.
 *
 * Prints one line: "messages seconds client_cpu_seconds tls" -- the
 * messages of all clients, the time from the common start to the last
 * client's last message, this process's CPU over that time (all threads),
 * and client 0's TLS version/cipher. */
#define _GNU_SOURCE
#include "conn.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int index;
    conn c;
    double finish;      /* when its last message was complete */
    char tls[96];
    /* reply parser, kept across reads */
    int in_body;        /* between a +OK line and the dot line */
    int at_line_start;  /* inside a body: the next byte starts a line */
    size_t body_len;
} client;

static int g_port;
static const char *g_user, *g_password;
static unsigned long g_clients, g_msgs, g_window, g_bytes;
static size_t g_min_size, g_max_size;
static SSL_CTX *g_ctx;
static phase_sync g_sync;

static void expect_ok(client *cl, const char *what) {
    size_t len;
    char *line = conn_line(&cl->c, &len);
    if (len < 3 || memcmp(line, "+OK", 3) != 0)
        fail(cl->c.who, "%s: unexpected reply '%.*s'", what, (int)(len > 200 ? 200 : len), line);
}

/* Consumes what the buffer holds of RETR replies; returns how many
 * messages it completed. A message's body is scanned line by line with
 * memchr, so only line starts are looked at for the terminating dot. */
static unsigned long parse_replies(client *cl, unsigned long retr_number) {
    conn *c = &cl->c;
    unsigned long completed = 0;
    while (c->start < c->end) {
        char *p = c->buf + c->start;
        size_t avail = c->end - c->start;
        if (!cl->in_body) {
            char *nl = memchr(p, '\n', avail);
            if (!nl) {
                if (avail > 512) fail(c->who, "RETR %lu: status line over 512 bytes", retr_number + completed);
                break;
            }
            size_t len = (size_t)(nl - p) + 1;
            if (len < 5 || memcmp(p, "+OK", 3) != 0 || p[len - 2] != '\r')
                fail(c->who, "RETR %lu: unexpected reply '%.*s'", retr_number + completed,
                     (int)(len > 200 ? 200 : len - 1), p);
            c->start += len;
            cl->in_body = cl->at_line_start = 1;
            cl->body_len = 0;
            continue;
        }
        if (cl->at_line_start && p[0] == '.') {
            if (avail < 3) break;  /* ".\r\n" or a dot-stuffed line: need 3 bytes */
            if (p[1] == '\r' && p[2] == '\n') {
                if (cl->body_len < g_min_size || cl->body_len > g_max_size)
                    fail(c->who, "RETR %lu: a message of %zu bytes, expected %zu to %zu",
                         retr_number + completed, cl->body_len, g_min_size, g_max_size);
                c->start += 3;
                cl->in_body = 0;
                completed++;
                continue;
            }
        }
        char *nl = memchr(p, '\n', avail);
        size_t len = nl ? (size_t)(nl - p) + 1 : avail;
        cl->body_len += len;
        cl->at_line_start = nl != NULL;
        c->start += len;
        if (cl->body_len > g_max_size)
            fail(c->who, "RETR %lu: message longer than %zu bytes (no end line)", retr_number + completed,
                 g_max_size);
    }
    return completed;
}

static void login(client *cl) {
    conn_open(&cl->c, g_port, cl->index, 60);
    expect_ok(cl, "greeting");
    conn_write_str(&cl->c, "STLS\r\n");
    expect_ok(cl, "STLS");
    conn_starttls(&cl->c, g_ctx);
    conn_tls_name(&cl->c, cl->tls, sizeof cl->tls);
    const char *at = strchr(g_user, '@');
    char text[600];
    int n = snprintf(text, sizeof text, "USER %.*s%d%s\r\nPASS %s\r\n", (int)(at - g_user), g_user, cl->index, at,
                     g_password);
    if (n < 0 || (size_t)n >= sizeof text) fail(cl->c.who, "user name or password too long");
    conn_write(&cl->c, text, (size_t)n);
    expect_ok(cl, "USER");
    expect_ok(cl, "PASS");
}

static void retrieve_all(client *cl) {
    /* "RETR n\r\n" is at most 15 bytes for n <= 100000000 */
    char *batch = malloc(g_window * 16);
    if (!batch) fail(cl->c.who, "out of memory");
    unsigned long sent = 0, done = 0;
    while (done < g_msgs) {
        if (sent < g_msgs && sent - done < g_window) {
            unsigned long k = g_window - (sent - done);
            if (k > g_msgs - sent) k = g_msgs - sent;
            size_t len = 0;
            for (unsigned long i = 1; i <= k; i++) len += (size_t)sprintf(batch + len, "RETR %lu\r\n", sent + i);
            conn_write(&cl->c, batch, len);
            sent += k;
        }
        conn_fill(&cl->c);
        done += parse_replies(cl, done + 1);
        if (done > sent) fail(cl->c.who, "more RETR replies than RETR commands");
    }
    if (cl->in_body || cl->c.start != cl->c.end)
        fail(cl->c.who, "data after the last RETR reply");
    free(batch);
}

static void *client_main(void *arg) {
    client *cl = arg;
    login(cl);
    pthread_barrier_wait(&g_sync.ready);
    pthread_barrier_wait(&g_sync.go);
    retrieve_all(cl);
    cl->finish = now_s();
    pthread_barrier_wait(&g_sync.done);
    conn_write_str(&cl->c, "QUIT\r\n");
    expect_ok(cl, "QUIT");
    /* A surplus RETR reply would have shifted every reply by one and been
     * taken for the QUIT reply: the server must now close, silent. */
    conn_expect_close(&cl->c);
    conn_close(&cl->c);
    return NULL;
}

int main(int argc, char **argv) {
    check_args("pop3_load", argc, 8, "pop3_load PORT USER PASSWORD CLIENTS MSGS WINDOW BYTES");
    g_port = parse_port(argv[1]);
    g_user = argv[2];
    g_password = argv[3];
    g_clients = parse_count_at_most(argv[4], "CLIENTS", 10000);
    g_msgs = parse_count(argv[5], "MSGS");
    g_window = parse_count_at_most(argv[6], "WINDOW", 100000);
    g_bytes = parse_count(argv[7], "BYTES");
    if (!strchr(g_user, '@')) fail("arguments", "USER must contain '@'");
    if (strpbrk(g_user, "\r\n") || strpbrk(g_password, "\r\n")) fail("arguments", "line breaks in USER or PASSWORD");
    plausible_sizes(g_bytes, &g_min_size, &g_max_size);

    g_ctx = tls_client_ctx();
    phase_sync_init(&g_sync, g_clients);
    client *clients = calloc(g_clients, sizeof *clients);
    if (!clients) fail("main", "out of memory");
    for (unsigned long i = 0; i < g_clients; i++) clients[i].index = (int)i;
    pthread_t *threads = start_clients(client_main, clients, g_clients, sizeof *clients);

    pthread_barrier_wait(&g_sync.ready);  /* everyone logged in */
    double cpu0 = self_cpu_s(), t0 = now_s();
    pthread_barrier_wait(&g_sync.go);
    pthread_barrier_wait(&g_sync.done);
    double cpu1 = self_cpu_s(), last = t0;
    for (unsigned long i = 0; i < g_clients; i++)
        if (clients[i].finish > last) last = clients[i].finish;
    join_clients(threads, g_clients);
    printf("%lu %.4f %.4f %s\n", g_clients * g_msgs, last - t0, cpu1 - cpu0, clients[0].tls);
    free(clients);
    SSL_CTX_free(g_ctx);
    return 0;
}
