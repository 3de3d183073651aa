/* Shared pieces of the benchmark load clients (pop3_load, imap_load):
 * a blocking, buffered connection that can switch to TLS (STARTTLS/STLS),
 * failure reporting that ends the whole process, clocks and CPU counters.
 *
 * The clients are deliberately plain: one thread per connection, blocking
 * I/O, parsing in place in one receive buffer, so that the client costs a
 * few microseconds of CPU per message and the server sets the pace. */
#ifndef POCHTA_BENCH_CONN_H
#define POCHTA_BENCH_CONN_H

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

typedef struct {
    int fd;
    SSL *ssl;          /* NULL until conn_starttls */
    char *buf;         /* received bytes not yet consumed: buf[start, end) */
    size_t cap, start, end;
    char who[32];      /* "client 3", for error messages */
} conn;

/* Name printed before every error ("pop3_load"); set by check_args. */
extern const char *g_prog;

/* Names the program `prog` for error messages; prints "usage: USAGE" and
 * ends the process with status 2 unless it got `want` - 1 arguments. */
void check_args(const char *prog, int argc, int want, const char *usage);

/* Prints "PROG: WHO: message" and ends the process with status 1: a
 * benchmark must not report a figure once anything went wrong. */
void fail(const char *who, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

/* A positive decimal integer argument, or fail. */
unsigned long parse_count(const char *text, const char *what);
/* The same, failing with "WHAT above MAX" when it is larger than max. */
unsigned long parse_count_at_most(const char *text, const char *what, unsigned long max);
/* A TCP port argument (1 to 65535), or fail. */
int parse_port(const char *text);

/* The sizes a message of about `bytes` may have once it went through a
 * server (headers added, lines rewrapped): bytes/2 to 2*bytes + 8192. */
void plausible_sizes(unsigned long bytes, size_t *min, size_t *max);

double now_s(void);        /* monotonic clock, seconds */
double self_cpu_s(void);   /* user + system CPU of this process (all threads) */
/* User + system CPU seconds of the living process tree under root (each
 * process's own counters, all its threads; reaped children not counted). */
double tree_cpu_s(pid_t root);

/* ------------------------------------------------------------- clients */

/* The meeting points of a timed phase: every client thread and the main
 * thread wait at `ready` (clients logged in or done with the last phase),
 * the main thread samples clocks and CPU counters, `go` then starts all
 * clients at once, and `done` tells the main thread that each finished. */
typedef struct {
    pthread_barrier_t ready, go, done;
} phase_sync;

/* For `clients` client threads plus the main thread. */
void phase_sync_init(phase_sync *s, unsigned long clients);

/* Starts one thread per client, run(&clients[i]) for the `count` items of
 * `size` bytes at `clients`, with small stacks (the buffers are on the
 * heap); join_clients waits for them all and frees what this returned. */
pthread_t *start_clients(void *(*run)(void *), void *clients, unsigned long count, size_t size);
void join_clients(pthread_t *threads, unsigned long count);

/* ---------------------------------------------------------- connections */

SSL_CTX *tls_client_ctx(void);

/* Connects to 127.0.0.1:port as "client N" (its name in error messages);
 * reads and writes fail after timeout_s. */
void conn_open(conn *c, int port, int client, int timeout_s);
/* Reads more bytes into the buffer (compacting it first when needed);
 * fails on end of stream, error, timeout, or a full buffer. */
void conn_fill(conn *c);
/* The next CRLF-terminated line, CRLF excluded, consumed from the buffer.
 * The pointer stays valid until the next conn_fill. */
char *conn_line(conn *c, size_t *len);
/* The same when the buffer holds a whole line, else NULL (nothing read). */
char *conn_buffered_line(conn *c, size_t *len);
/* Wants the server to close the connection with nothing more sent. */
void conn_expect_close(conn *c);
void conn_write(conn *c, const void *data, size_t len);
void conn_write_str(conn *c, const char *text);
/* Starts TLS on the socket; the server's STARTTLS/STLS reply must have
 * been the last thing it sent in plain text. */
void conn_starttls(conn *c, SSL_CTX *ctx);
/* "TLSv1.3/TLS_AES_256_GCM_SHA384" of an established TLS connection. */
void conn_tls_name(const conn *c, char *out, size_t size);
void conn_close(conn *c);

#endif
