#define _GNU_SOURCE
#include "conn.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

/* Big enough for the longest line the benchmarks meet (a FETCH response's
 * ENVELOPE + BODYSTRUCTURE is about 1 KiB); a longer one is an error. */
#define CONN_BUFFER (1u << 20)
/* Free room wanted at the end before a read: one TLS record and some. */
#define READ_ROOM (64u << 10)

const char *g_prog = "loadclient";

void fail(const char *who, const char *fmt, ...) {
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    for (char *p = text; *p; p++)  /* quoted server bytes: one readable line */
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = ' ';
    /* The first failure speaks; a second thread failing meanwhile (often
     * of the same cause) waits here until the process is gone. */
    static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&once);
    fprintf(stderr, "%s: %s: %s\n", g_prog, who, text);
    fflush(stderr);
    /* _exit, not exit: atexit handlers (OpenSSL's cleanup) must not run
     * while other threads are inside SSL_read. Ends every thread, so no
     * figure comes out of a failed run. */
    _exit(1);
}

void check_args(const char *prog, int argc, int want, const char *usage) {
    g_prog = prog;
    if (argc != want) {
        fprintf(stderr, "usage: %s\n", usage);
        exit(2);
    }
}

unsigned long parse_count(const char *text, const char *what) {
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v == 0 || text[0] == '-' || v > 100000000ul)
        fail("arguments", "%s must be a positive integer (got '%s')", what, text);
    return v;
}

unsigned long parse_count_at_most(const char *text, const char *what, unsigned long max) {
    unsigned long v = parse_count(text, what);
    if (v > max) fail("arguments", "%s above %lu", what, max);
    return v;
}

int parse_port(const char *text) {
    unsigned long v = parse_count(text, "PORT");
    if (v > 65535) fail("arguments", "PORT out of range");
    return (int)v;
}

void plausible_sizes(unsigned long bytes, size_t *min, size_t *max) {
    *min = bytes / 2;
    *max = 2 * bytes + 8192;
}

double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double self_cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* ------------------------------------------------------------ process tree */

typedef struct {
    pid_t pid, ppid;
    unsigned long long ticks;
    int in_tree;
} proc_entry;

static int by_pid(const void *a, const void *b) {
    pid_t x = ((const proc_entry *)a)->pid, y = ((const proc_entry *)b)->pid;
    return (x > y) - (x < y);
}

/* Reads /proc/PID/stat: parent and utime + stime (fields 4, 14, 15). */
static int read_stat(pid_t pid, pid_t *ppid, unsigned long long *ticks) {
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return -1;
    text[n] = '\0';
    char *p = strrchr(text, ')');  /* the command name may hold spaces */
    if (!p) return -1;
    int parent;
    unsigned long long ut, st;
    if (sscanf(p + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &parent, &ut, &st) != 3)
        return -1;
    *ppid = parent;
    *ticks = ut + st;
    return 0;
}

double tree_cpu_s(pid_t root) {
    DIR *d = opendir("/proc");
    if (!d) fail("cpu", "cannot open /proc");
    size_t n = 0, cap = 512;
    proc_entry *all = malloc(cap * sizeof *all);
    if (!all) fail("cpu", "out of memory");
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        proc_entry pe = {.pid = (pid_t)atoi(e->d_name), .in_tree = 0};
        if (read_stat(pe.pid, &pe.ppid, &pe.ticks) != 0) continue;  /* gone meanwhile */
        if (n == cap) {
            cap *= 2;
            proc_entry *grown = realloc(all, cap * sizeof *all);
            if (!grown) fail("cpu", "out of memory");
            all = grown;
        }
        pe.in_tree = pe.pid == root;
        all[n++] = pe;
    }
    closedir(d);
    qsort(all, n, sizeof *all, by_pid);
    /* Grow the tree from the root until no process joins: the depth of a
     * server's tree is small (Dovecot: master -> login/imap processes). */
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < n; i++) {
            if (all[i].in_tree) continue;
            proc_entry key = {.pid = all[i].ppid};
            proc_entry *parent = bsearch(&key, all, n, sizeof *all, by_pid);
            if (parent && parent->in_tree) all[i].in_tree = changed = 1;
        }
    }
    unsigned long long ticks = 0;
    for (size_t i = 0; i < n; i++)
        if (all[i].in_tree) ticks += all[i].ticks;
    free(all);
    return (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

/* ----------------------------------------------------------------- clients */

void phase_sync_init(phase_sync *s, unsigned long clients) {
    unsigned n = (unsigned)clients + 1;
    pthread_barrier_init(&s->ready, NULL, n);
    pthread_barrier_init(&s->go, NULL, n);
    pthread_barrier_init(&s->done, NULL, n);
}

pthread_t *start_clients(void *(*run)(void *), void *clients, unsigned long count, size_t size) {
    pthread_t *threads = calloc(count, sizeof *threads);
    if (!threads) fail("main", "out of memory");
    for (unsigned long i = 0; i < count; i++) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        if (pthread_create(&threads[i], &attr, run, (char *)clients + i * size) != 0)
            fail("main", "pthread_create failed");
        pthread_attr_destroy(&attr);
    }
    return threads;
}

void join_clients(pthread_t *threads, unsigned long count) {
    for (unsigned long i = 0; i < count; i++) pthread_join(threads[i], NULL);
    free(threads);
}

/* -------------------------------------------------------------- connection */

SSL_CTX *tls_client_ctx(void) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) fail("tls", "SSL_CTX_new failed");
    /* Like the Python client before it: self-signed test certificates, so
     * no verification; OpenSSL's default protocol and cipher choices. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    /* Fewer read() calls: OpenSSL pulls what the socket holds at once. */
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_default_read_buffer_len(ctx, 64 * 1024);
    return ctx;
}

static const char *tls_error(void) {
    static _Thread_local char text[256];
    unsigned long e = ERR_get_error();
    if (e == 0) return errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno);
    ERR_error_string_n(e, text, sizeof text);
    return text;
}

void conn_open(conn *c, int port, int client, int timeout_s) {
    memset(c, 0, sizeof *c);
    snprintf(c->who, sizeof c->who, "client %d", client);
    c->cap = CONN_BUFFER;
    c->buf = malloc(c->cap);
    if (!c->buf) fail(c->who, "out of memory");
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) fail(c->who, "socket: %s", strerror(errno));
    struct timeval tv = {.tv_sec = timeout_s};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    /* Nagle's algorithm stays on, as in the Python client this replaces
     * (TCP_NODELAY made no difference beyond the noise in A/B runs). */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        fail(c->who, "connect to 127.0.0.1:%d: %s", port, strerror(errno));
}

void conn_fill(conn *c) {
    if (c->start == c->end) c->start = c->end = 0;
    if (c->cap - c->end < READ_ROOM && c->start > 0) {
        memmove(c->buf, c->buf + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    if (c->end == c->cap) fail(c->who, "a line longer than %zu bytes", c->cap);
    size_t room = c->cap - c->end;
    if (c->ssl) {
        errno = 0;
        int n = SSL_read(c->ssl, c->buf + c->end, room > 1u << 30 ? 1 << 30 : (int)room);
        if (n <= 0) {
            int err = SSL_get_error(c->ssl, n);
            if (err == SSL_ERROR_ZERO_RETURN) fail(c->who, "the server closed the connection");
            if ((err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0) ||
                ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
                fail(c->who, "the server closed the connection");
            fail(c->who, "TLS read failed: %s", tls_error());
        }
        c->end += (size_t)n;
    } else {
        ssize_t n = recv(c->fd, c->buf + c->end, room, 0);
        if (n == 0) fail(c->who, "the server closed the connection");
        if (n < 0) {
            if (errno == EINTR) return;
            fail(c->who, "read failed: %s", errno == EAGAIN ? "timed out" : strerror(errno));
        }
        c->end += (size_t)n;
    }
}

char *conn_buffered_line(conn *c, size_t *len) {
    char *p = c->buf + c->start;
    char *nl = memchr(p, '\n', c->end - c->start);
    if (!nl) return NULL;
    size_t n = (size_t)(nl - p);
    if (n == 0 || p[n - 1] != '\r') fail(c->who, "a line ends in a bare LF");
    c->start += n + 1;
    *len = n - 1;
    return p;
}

char *conn_line(conn *c, size_t *len) {
    char *line;
    while ((line = conn_buffered_line(c, len)) == NULL) conn_fill(c);
    return line;
}

void conn_expect_close(conn *c) {
    size_t left = c->end - c->start;
    if (left > 0) fail(c->who, "data after the last reply: '%.*s'", (int)(left > 80 ? 80 : left), c->buf + c->start);
    for (;;) {
        char byte;
        if (c->ssl) {
            errno = 0;
            ERR_clear_error();
            int n = SSL_read(c->ssl, &byte, 1);
            if (n > 0) break;
            int err = SSL_get_error(c->ssl, n);
            if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && errno == 0) ||
                ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
                return;
            fail(c->who, "waiting for the server to close: %s", tls_error());
        }
        ssize_t n = recv(c->fd, &byte, 1, 0);
        if (n == 0) return;
        if (n > 0) break;
        if (errno != EINTR) fail(c->who, "waiting for the server to close: %s", strerror(errno));
    }
    fail(c->who, "data after the last reply");
}

void conn_write(conn *c, const void *data, size_t len) {
    const char *p = data;
    while (len > 0) {
        if (c->ssl) {
            int chunk = len > 1u << 30 ? 1 << 30 : (int)len;
            errno = 0;
            int n = SSL_write(c->ssl, p, chunk);
            if (n <= 0) fail(c->who, "TLS write failed: %s", tls_error());
            p += n;
            len -= (size_t)n;
        } else {
            ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) fail(c->who, "write failed: %s", errno == EAGAIN ? "timed out" : strerror(errno));
            p += n;
            len -= (size_t)n;
        }
    }
}

void conn_write_str(conn *c, const char *text) { conn_write(c, text, strlen(text)); }

void conn_starttls(conn *c, SSL_CTX *ctx) {
    /* Bytes after the reply would be plain text injected before TLS. */
    if (c->start != c->end) fail(c->who, "the server sent data after its STARTTLS reply");
    c->start = c->end = 0;
    c->ssl = SSL_new(ctx);
    if (!c->ssl) fail(c->who, "SSL_new failed");
    SSL_set_fd(c->ssl, c->fd);
    errno = 0;
    if (SSL_connect(c->ssl) != 1) fail(c->who, "TLS handshake failed: %s", tls_error());
}

void conn_tls_name(const conn *c, char *out, size_t size) {
    if (!c->ssl) {
        snprintf(out, size, "none");
        return;
    }
    snprintf(out, size, "%s/%s", SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl));
}

void conn_close(conn *c) {
    if (c->ssl) SSL_free(c->ssl);
    if (c->fd >= 0) close(c->fd);
    free(c->buf);
    c->ssl = NULL;
    c->fd = -1;
    c->buf = NULL;
}
