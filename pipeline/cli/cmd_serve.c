/*
 * cmd_serve.c - newsmine serve: the pipeline over HTTP (libmicrohttpd).
 *
 *   POST /v1/extract   a JSON record ({"text":..,"id":..,"dct":..,"source":..}),
 *                      or text/plain with ?id=&dct=; answers the output record
 *   POST /v1/batch     JSONL in, JSONL out (streamed, chunked), one line a
 *                      record; a bad line gets {"line":N,"error":".."} in its
 *                      place, the rest goes on
 *   GET  /healthz      {"status":"ok"}
 *   GET  /v1/version   {"newsmine":..,"models":..,"taxonomy":..,"tagger":..}: the
 *                      library's version and the digests of what it loaded
 *
 * The models are loaded once and shared; each of the daemon's pool threads
 * makes its own pipeline the first time it needs one.  Limits: a body cap
 * (--max-body, default 16M: past it the body is read and dropped and the
 * answer is 413), a per-connection timeout (--timeout, a slow client is
 * cut off), a connection cap (--max-connections).  Bad input gets a 4xx
 * with {"error":".."}.  Listens on 127.0.0.1 by default.  SIGTERM or
 * SIGINT: stop accepting, let the requests in flight finish, exit 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sys/types.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_tree.h>

#include "cli.h"

typedef struct server {
    const nm_model *m;
    size_t max_body;
    pthread_key_t pipe_key;
} server;

/* A request's body as it arrives. */
typedef struct req {
    char *body;
    size_t len, cap;
    bool too_big;
} req;

/* A growable answer. */
typedef struct out {
    char *p;
    size_t len, cap;
    bool failed;
} out;

static void out_put(out *o, const char *s, size_t n)
{
    if (o->failed)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t c = o->cap ? o->cap * 2 : 4096;
        while (c < o->len + n + 1)
            c *= 2;
        char *p = realloc(o->p, c);
        if (!p) {
            o->failed = true;
            return;
        }
        o->p = p;
        o->cap = c;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

/* S as a JSON string (S is UTF-8). */
static void out_put_cb(void *ctx, const char *p, size_t n) { out_put(ctx, p, n); }

/* S as a JSON string (S is UTF-8). */
static void out_json_str(out *o, const char *s) { cli_json_str(s, strlen(s), out_put_cb, o); }

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, out *o, const char *type)
{
    struct MHD_Response *r;
    if (o->failed) {
        static const char oom[] = "{\"error\":\"out of memory\"}";
        r = MHD_create_response_from_buffer(sizeof(oom) - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        free(o->p);
    } else {
        r = MHD_create_response_from_buffer(o->len, o->p ? o->p : (char *)"", o->p ? MHD_RESPMEM_MUST_FREE
                                                                                  : MHD_RESPMEM_PERSISTENT);
    }
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result answer_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
    out o = {0};
    out_put(&o, "{\"error\":", 9);
    out_json_str(&o, msg);
    out_put(&o, "}", 1);
    return answer(c, status, &o, "application/json");
}

/* This pool thread's pipeline, made the first time. */
static nm_pipeline *thread_pipeline(server *s)
{
    nm_pipeline *p = pthread_getspecific(s->pipe_key);
    if (!p && nm_pipeline_new(&p, s->m, NULL) == 0)
        pthread_setspecific(s->pipe_key, p);
    return p;
}

static void free_pipeline(void *p) { nm_pipeline_free(p); }

/* Run the pipeline over one JSON record (TEXT N bytes); the output record,
 * or why not, into O.  @return 0, or -1 with MSG set (a client error). */
static int extract_json(server *s, const char *text, size_t n, out *o, char *msg, size_t msglen)
{
    char *copy = malloc(n + 1);
    if (!copy) {
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    memcpy(copy, text, n);
    copy[n] = '\0';
    char err[256] = "";
    yajl_val v = yajl_tree_parse(copy, err, sizeof(err));
    free(copy);
    if (!v || !YAJL_IS_OBJECT(v)) {
        snprintf(msg, msglen, "invalid JSON%s%s", v ? ": not an object" : ": ", v ? "" : err);
        /* yajl's message spans lines, with a pointer under the text: one line */
        char *w = msg;
        for (char *p = msg; *p; p++)
            if (!((*p == ' ' || *p == '\n') && (w == msg || w[-1] == ' ')))
                *w++ = *p == '\n' ? ' ' : *p;
        while (w > msg && w[-1] == ' ')
            w--;
        *w = '\0';
        yajl_tree_free(v);
        return -1;
    }
    /* yajl_tree_get takes its path as const char ** */
    const char *k_text[] = {"text", NULL}, *k_id[] = {"id", NULL}, *k_dct[] = {"dct", NULL},
               *k_source[] = {"source", NULL};
    yajl_val t = yajl_tree_get(v, k_text, yajl_t_string), id = yajl_tree_get(v, k_id, yajl_t_string);
    yajl_val dct = yajl_tree_get(v, k_dct, yajl_t_string), src = yajl_tree_get(v, k_source, yajl_t_string);
    if (!t) {
        snprintf(msg, msglen, "the record has no \"text\" string");
        yajl_tree_free(v);
        return -1;
    }
    nm_doc_opts d = {0};
    d.id = id ? YAJL_GET_STRING(id) : NULL;
    d.dct = dct ? YAJL_GET_STRING(dct) : NULL;
    d.source = src ? YAJL_GET_STRING(src) : NULL;
    const char *body = YAJL_GET_STRING(t);
    int rc = -1;
    nm_pipeline *p = thread_pipeline(s);
    const nm_result *r;
    if (!p) {
        snprintf(msg, msglen, "out of memory");
    } else if (nm_pipeline_run(p, body, strlen(body), &d, &r) < 0) {
        snprintf(msg, msglen, "%s", nm_pipeline_errmsg(p));
    } else {
        const char *json;
        size_t len;
        nm_result_json(r, &json, &len);
        out_put(o, json, len);
        rc = 0;
    }
    yajl_tree_free(v);
    return rc;
}

static enum MHD_Result on_extract(server *s, struct MHD_Connection *c, req *q)
{
    const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    char msg[512];
    out o = {0};
    if (type && !strncmp(type, "text/plain", 10)) {
        if (!nm_utf8_valid(q->body ? q->body : "", q->len))
            return answer_error(c, MHD_HTTP_BAD_REQUEST, "the text is not valid UTF-8");
        nm_doc_opts d = {0};
        d.id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "id");
        d.dct = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "dct");
        nm_pipeline *p = thread_pipeline(s);
        const nm_result *r;
        if (!p)
            return answer_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        if (nm_pipeline_run(p, q->body ? q->body : "", q->len, &d, &r) < 0)
            return answer_error(c, MHD_HTTP_BAD_REQUEST, nm_pipeline_errmsg(p));
        const char *json;
        size_t len;
        nm_result_json(r, &json, &len);
        out_put(&o, json, len);
        return answer(c, MHD_HTTP_OK, &o, "application/json");
    }
    if (extract_json(s, q->body ? q->body : "", q->len, &o, msg, sizeof(msg)) < 0) {
        free(o.p);
        return answer_error(c, MHD_HTTP_BAD_REQUEST, msg);
    }
    return answer(c, MHD_HTTP_OK, &o, "application/json");
}

/* /v1/batch streams its answer: each line of the body is run when the
 * client is ready for more, so the answer is never held whole. */
typedef struct batch_stream {
    server *s;
    const req *q;
    size_t pos;  /* in the body: the next line */
    size_t line; /* its number */
    out pending; /* the answer to the last line, not yet all sent */
    size_t sent; /* of pending */
} batch_stream;

static ssize_t batch_next(void *cls, uint64_t offset, char *buf, size_t max)
{
    batch_stream *b = cls;
    (void)offset;
    while (b->sent == b->pending.len) {
        const req *q = b->q;
        if (!q->body || b->pos >= q->len)
            return MHD_CONTENT_READER_END_OF_STREAM;
        b->pending.len = b->sent = 0;
        const char *nl = memchr(q->body + b->pos, '\n', q->len - b->pos);
        size_t n = nl ? (size_t)(nl - (q->body + b->pos)) : q->len - b->pos;
        const char *line = q->body + b->pos;
        b->pos += n + 1;
        b->line++;
        if (!n || (n == 1 && line[0] == '\r'))
            continue; /* a blank line: no record */
        char msg[512];
        if (extract_json(b->s, line, n, &b->pending, msg, sizeof(msg)) < 0) {
            char head[64];
            snprintf(head, sizeof(head), "{\"line\":%zu,\"error\":", b->line);
            out_put(&b->pending, head, strlen(head));
            out_json_str(&b->pending, msg);
            out_put(&b->pending, "}", 1);
        }
        out_put(&b->pending, "\n", 1);
        if (b->pending.failed)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = b->pending.len - b->sent < max ? b->pending.len - b->sent : max;
    memcpy(buf, b->pending.p + b->sent, n);
    b->sent += n;
    return (ssize_t)n;
}

static void batch_free(void *cls)
{
    batch_stream *b = cls;
    free(b->pending.p);
    free(b);
}

static enum MHD_Result on_batch(server *s, struct MHD_Connection *c, req *q)
{
    batch_stream *b = calloc(1, sizeof(*b));
    if (!b)
        return answer_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    b->s = s;
    b->q = q;
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, batch_next, b, batch_free);
    if (!r) {
        batch_free(b);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/x-ndjson");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *data_size, void **con_cls)
{
    server *s = cls;
    (void)version;
    req *q = *con_cls;
    if (!q) { /* the headers: make room for the body */
        if (!(q = calloc(1, sizeof(*q))))
            return MHD_NO;
        *con_cls = q;
        return MHD_YES;
    }
    if (*data_size) { /* a piece of the body */
        if (!q->too_big && q->len + *data_size > s->max_body)
            q->too_big = true; /* read on, keep nothing: then 413 */
        if (!q->too_big) {
            if (q->len + *data_size + 1 > q->cap) {
                size_t cap = q->cap ? q->cap : 65536;
                while (cap < q->len + *data_size + 1)
                    cap *= 2;
                char *b = realloc(q->body, cap);
                if (!b)
                    return MHD_NO;
                q->body = b;
                q->cap = cap;
            }
            memcpy(q->body + q->len, data, *data_size);
            q->len += *data_size;
            q->body[q->len] = '\0';
        }
        *data_size = 0;
        return MHD_YES;
    }
    bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    if (q->too_big)
        return answer_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "the body is over --max-body");
    if (!strcmp(url, "/healthz") && get) {
        out o = {0};
        out_put(&o, "{\"status\":\"ok\"}", 15);
        return answer(c, MHD_HTTP_OK, &o, "application/json");
    }
    if (!strcmp(url, "/v1/version") && get) {
        out o = {0};
        out_put(&o, "{\"newsmine\":", 12);
        out_json_str(&o, nm_version());
        static const char *const what[][2] = {
            {"models", NULL}, {"taxonomy", "clause-triggers"}, {"tagger", "ner-weights"}};
        for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
            const char *dg = nm_model_digest(s->m, what[i][1]);
            out_put(&o, ",\"", 2);
            out_put(&o, what[i][0], strlen(what[i][0]));
            out_put(&o, "\":", 2);
            if (dg) {
                out_put(&o, "\"sha256:", 8);
                out_put(&o, dg, 16);
                out_put(&o, "\"", 1);
            } else {
                out_put(&o, "null", 4);
            }
        }
        out_put(&o, "}", 1);
        return answer(c, MHD_HTTP_OK, &o, "application/json");
    }
    if (!strcmp(url, "/v1/extract") && post)
        return on_extract(s, c, q);
    if (!strcmp(url, "/v1/batch") && post)
        return on_batch(s, c, q);
    if (!strcmp(url, "/healthz") || !strcmp(url, "/v1/version") || !strcmp(url, "/v1/extract") ||
        !strcmp(url, "/v1/batch"))
        return answer_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed here");
    return answer_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint");
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    req *q = *con_cls;
    if (q) {
        free(q->body);
        free(q);
        *con_cls = NULL;
    }
}

enum { OPT_LISTEN = 256, OPT_THREADS, OPT_MAX_BODY, OPT_TIMEOUT, OPT_MAX_CONN, OPT_MODELS, OPT_HELP };

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},   {"threads", required_argument, NULL, OPT_THREADS},
        {"max-body", required_argument, NULL, OPT_MAX_BODY}, {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"max-connections", required_argument, NULL, OPT_MAX_CONN},
        {"models", required_argument, NULL, OPT_MODELS},   {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *listen = "127.0.0.1:8080", *models = NULL;
    long threads = 2, timeout = 30, max_conn = 256;
    size_t max_body = (size_t)16 << 20;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end;
        switch (ch) {
        case OPT_LISTEN: listen = optarg; break;
        case OPT_THREADS:
        case OPT_TIMEOUT:
        case OPT_MAX_CONN: {
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 100000) {
                cli_error("--%s: expected a positive number, not \"%s\"",
                          ch == OPT_THREADS ? "threads" : ch == OPT_TIMEOUT ? "timeout" : "max-connections", optarg);
                return EXIT_FATAL;
            }
            *(ch == OPT_THREADS ? &threads : ch == OPT_TIMEOUT ? &timeout : &max_conn) = v;
            break;
        }
        case OPT_MAX_BODY:
            if (cli_parse_size(optarg, &max_body) < 0) {
                cli_error("--max-body: expected a size such as 16M, not \"%s\"", optarg);
                return EXIT_FATAL;
            }
            break;
        case OPT_MODELS: models = optarg; break;
        case OPT_HELP:
            fputs("usage: newsmine serve [--listen HOST:PORT] [--threads N] [--max-body BYTES]\n"
                  "                      [--timeout SECONDS] [--max-connections N] [--models DIR]\n",
                  stdout);
            return EXIT_ALL_GOOD;
        default: return EXIT_FATAL;
        }
    }
    /* HOST:PORT, an IPv4 address (port 0: any free one, printed) */
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    const char *colon = strrchr(listen, ':');
    char host[64];
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || (size_t)(colon - listen) >= sizeof(host) || *end || port < 0 || port > 65535) {
        cli_error("--listen: expected HOST:PORT (an IPv4 address), not \"%s\"", listen);
        return EXIT_FATAL;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        cli_error("--listen: \"%s\" is not an IPv4 address", host);
        return EXIT_FATAL;
    }
    addr.sin_port = htons((uint16_t)port);
    nm_model *m = cli_load_model(models);
    if (!m)
        return EXIT_FATAL;
    server s = {.m = m, .max_body = max_body};
    pthread_key_create(&s.pipe_key, free_pipeline);
    /* SIGTERM and SIGINT are waited for below, in this thread alone */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request,
        &s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)timeout, MHD_OPTION_CONNECTION_LIMIT, (unsigned)max_conn,
        MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
    if (!d) {
        cli_error("--listen %s: cannot listen there: %s", listen, strerror(errno));
        nm_model_free(m);
        return EXIT_FATAL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "newsmine: listening on %s:%u (%ld threads)\n", host, info ? info->port : (unsigned)port,
            threads);
    int sig = 0;
    sigwait(&sigs, &sig);
    fprintf(stderr, "newsmine: %s: finishing the requests in flight\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    MHD_quiesce_daemon(d); /* no new connections */
    /* the requests in flight finish (a client that stalls is cut off by
     * --timeout anyway); then the daemon stops */
    for (int waited = 0; waited < 20 * (int)(timeout + 5); waited++) {
        const union MHD_DaemonInfo *ci = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (!ci || ci->num_connections == 0)
            break;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(d);
    nm_model_free(m);
    return EXIT_ALL_GOOD;
}
