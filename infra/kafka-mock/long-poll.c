/*
 * Kafka's fetch long poll in front of librdkafka's mock brokers.
 *
 * Kafka holds a fetch that finds no data until data arrives or its MaxWaitTime runs out. The mock
 * holds it for the whole MaxWaitTime even when data arrives meanwhile, so a consumer there must
 * choose between latency (a long wait) and idle polling (a short one). This proxy restores Kafka's
 * behaviour: it forwards each fetch to the mock with MaxWaitTime 0, and when the answer is empty
 * it parks the fetch until a produce to one of its partitions has been acknowledged (then asks
 * again) or its own MaxWaitTime runs out (then answers empty).
 *
 * Each client connection gets its own connection to its mock broker, and its requests are served
 * one at a time in order, as Kafka does. Metadata and FindCoordinator answers are rewritten to
 * the proxy's ports. Only the request and response versions kafkajs uses (the non-flexible ones)
 * are parsed; any other version passes through untouched, without long polling.
 */
#define _GNU_SOURCE
#include "long-poll.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { API_PRODUCE = 0, API_FETCH = 1, API_METADATA = 3, API_FIND_COORDINATOR = 10 };
/* The highest non-flexible version of each API: the layouts parsed below. */
enum { FETCH_PARSED = 11, PRODUCE_PARSED = 8, METADATA_PARSED = 8, FIND_COORDINATOR_PARSED = 2 };
enum { MAX_BROKERS = 32, MAX_CONNS = 2048, MAX_WATCHED = 64, MAX_FRAME = 256 << 20 };

typedef struct {
  uint8_t *data;
  size_t len, cap;
} buf_t;

typedef struct {
  char topic[256];
  int32_t partition;
} partition_t;

typedef struct {
  int client, upstream;
  buf_t from_client, from_upstream;
  uint8_t *request; /* the request being served, length-prefixed; NULL when idle */
  size_t request_len;
  int16_t api_key, api_version;
  int long_poll, parked, watch_all, n_watched;
  int64_t deadline_ms;
  partition_t watched[MAX_WATCHED];
} conn_t;

typedef struct {
  int listener, proxy_port, broker_port;
} broker_t;

static broker_t brokers[MAX_BROKERS];
static int n_brokers;
static conn_t *conns[MAX_CONNS];
static int n_conns;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- big-endian reading with bounds checks: a short read sets ok = 0 ---- */

typedef struct {
  uint8_t *p, *end;
  int ok;
} reader_t;

static int has(reader_t *r, size_t n) {
  if (r->ok && (size_t)(r->end - r->p) >= n) return 1;
  r->ok = 0;
  return 0;
}
static void skip(reader_t *r, size_t n) {
  if (has(r, n)) r->p += n;
}
static int16_t i16(reader_t *r) {
  if (!has(r, 2)) return 0;
  int16_t v = (int16_t)((r->p[0] << 8) | r->p[1]);
  r->p += 2;
  return v;
}
static int32_t i32(reader_t *r) {
  if (!has(r, 4)) return 0;
  uint32_t v = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) | ((uint32_t)r->p[2] << 8) | r->p[3];
  r->p += 4;
  return (int32_t)v;
}
static void put_i32(uint8_t *p, int32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
/* A (nullable) string: returns its length, -1 for null, and points *s at it. */
static int str(reader_t *r, uint8_t **s) {
  int16_t n = i16(r);
  *s = r->p;
  if (n > 0) skip(r, (size_t)n);
  return n;
}
/* A (nullable) array's element count. */
static int32_t count(reader_t *r) { return i32(r); }

/* ---- what is parsed ---- */

/* Reads the request header (non-flexible layout for the APIs parsed) up to the body. */
static reader_t request_body(conn_t *c) {
  reader_t r = {c->request + 4, c->request + c->request_len, 1};
  uint8_t *s;
  skip(&r, 2 + 2 + 4); /* api_key, api_version, correlation_id */
  str(&r, &s);         /* client_id */
  return r;
}

/* Notes a fetch's partitions and takes over its wait: MaxWaitTime 0 to the mock, the deadline here. */
static void begin_fetch(conn_t *c) {
  reader_t r = request_body(c);
  int v = c->api_version;
  skip(&r, 4); /* replica_id */
  uint8_t *max_wait_at = r.p;
  int32_t max_wait = i32(&r);
  skip(&r, 4);                /* min_bytes */
  if (v >= 3) skip(&r, 4);    /* max_bytes */
  if (v >= 4) skip(&r, 1);    /* isolation_level */
  if (v >= 7) skip(&r, 4 + 4); /* session_id, session_epoch */
  c->n_watched = 0;
  c->watch_all = 0;
  for (int32_t t = 0, topics = count(&r); r.ok && t < topics; t++) {
    uint8_t *name;
    int len = str(&r, &name);
    for (int32_t p = 0, parts = count(&r); r.ok && p < parts; p++) {
      int32_t partition = i32(&r);
      skip(&r, (v >= 9 ? 4 : 0) + 8 + (v >= 5 ? 8 : 0) + 4); /* leader epoch, offset, log start, max bytes */
      if (len < 0 || len >= (int)sizeof c->watched[0].topic || c->n_watched == MAX_WATCHED) {
        c->watch_all = 1;
        continue;
      }
      partition_t *w = &c->watched[c->n_watched++];
      memcpy(w->topic, name, (size_t)len);
      w->topic[len] = '\0';
      w->partition = partition;
    }
  }
  if (!r.ok || max_wait <= 0) return; /* unparsed or no wait asked: the mock answers as it would */
  c->long_poll = 1;
  c->deadline_ms = now_ms() + max_wait;
  put_i32(max_wait_at, 0);
}

/* Whether a fetch answer carries no records and no error (the kind Kafka would have held). */
static int fetch_answer_empty(const conn_t *c, uint8_t *frame, size_t len) {
  reader_t r = {frame + 4 + 4, frame + len, 1}; /* size, correlation_id */
  int v = c->api_version;
  if (v >= 1) skip(&r, 4); /* throttle_time_ms */
  if (v >= 7) {
    if (i16(&r) != 0) return 0;
    skip(&r, 4); /* session_id */
  }
  for (int32_t t = 0, topics = count(&r); r.ok && t < topics; t++) {
    uint8_t *name;
    str(&r, &name);
    for (int32_t p = 0, parts = count(&r); r.ok && p < parts; p++) {
      skip(&r, 4); /* partition */
      if (i16(&r) != 0) return 0;
      skip(&r, 8 + (v >= 4 ? 8 : 0) + (v >= 5 ? 8 : 0)); /* high watermark, last stable, log start */
      if (v >= 4) {
        int32_t aborted = count(&r);
        if (aborted > 0) skip(&r, (size_t)aborted * 16);
      }
      if (v >= 11) skip(&r, 4); /* preferred_read_replica */
      int32_t records = i32(&r);
      if (records > 0) return 0;
    }
  }
  return r.ok;
}

static int port_of_proxy(int broker_port) {
  for (int i = 0; i < n_brokers; i++)
    if (brokers[i].broker_port == broker_port) return brokers[i].proxy_port;
  return broker_port;
}

/* Points a broker address (host string, then port) of an answer at the proxy. */
static void rewrite_address(reader_t *r) {
  uint8_t *host;
  str(r, &host);
  if (!has(r, 4)) return;
  uint8_t *at = r->p;
  put_i32(at, port_of_proxy(i32(r)));
}

static void rewrite_metadata(const conn_t *c, uint8_t *frame, size_t len) {
  reader_t r = {frame + 8, frame + len, 1};
  if (c->api_version >= 3) skip(&r, 4); /* throttle_time_ms */
  for (int32_t b = 0, n = count(&r); r.ok && b < n; b++) {
    skip(&r, 4); /* node_id */
    rewrite_address(&r);
    uint8_t *rack;
    if (c->api_version >= 1) str(&r, &rack);
  }
}

static void rewrite_coordinator(const conn_t *c, uint8_t *frame, size_t len) {
  reader_t r = {frame + 8, frame + len, 1};
  uint8_t *message;
  if (c->api_version >= 1) skip(&r, 4); /* throttle_time_ms */
  skip(&r, 2);                          /* error_code */
  if (c->api_version >= 1) str(&r, &message);
  skip(&r, 4); /* node_id */
  rewrite_address(&r);
}

/* ---- I/O ---- */

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int fill(buf_t *b, int fd) {
  if (b->cap - b->len < 65536) {
    b->cap = b->cap ? b->cap * 2 : 131072;
    b->data = realloc(b->data, b->cap);
    if (!b->data) abort();
  }
  ssize_t n = recv(fd, b->data + b->len, b->cap - b->len, 0);
  if (n < 0 && errno == EINTR) return 0;
  if (n <= 0) return -1;
  b->len += (size_t)n;
  return 0;
}

/* The length of the complete length-prefixed frame at the start of b, 0 if incomplete, -1 if absurd. */
static long frame_at(const buf_t *b) {
  if (b->len < 4) return 0;
  int32_t size = (int32_t)(((uint32_t)b->data[0] << 24) | ((uint32_t)b->data[1] << 16) | ((uint32_t)b->data[2] << 8) | b->data[3]);
  if (size < 8 || size > MAX_FRAME) return -1;
  return b->len >= (size_t)size + 4 ? (long)size + 4 : 0;
}

static void consume(buf_t *b, size_t n) {
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
}

static void close_conn(int i) {
  conn_t *c = conns[i];
  close(c->client);
  close(c->upstream);
  free(c->from_client.data);
  free(c->from_upstream.data);
  free(c->request);
  free(c);
  conns[i] = conns[--n_conns];
}

/* Sends the next queued request of the connection to the mock when none is being served. */
static int serve_next(conn_t *c) {
  while (!c->request) {
    long n = frame_at(&c->from_client);
    if (n < 0) return -1;
    if (n == 0) return 0;
    c->request = malloc((size_t)n);
    if (!c->request) abort();
    memcpy(c->request, c->from_client.data, (size_t)n);
    c->request_len = (size_t)n;
    consume(&c->from_client, (size_t)n);
    reader_t r = {c->request + 4, c->request + n, 1};
    c->api_key = i16(&r);
    c->api_version = i16(&r);
    c->long_poll = c->parked = 0;
    if (c->api_key == API_FETCH && c->api_version <= FETCH_PARSED) begin_fetch(c);
    if (write_all(c->upstream, c->request, c->request_len) < 0) return -1;
    if (c->api_key == API_PRODUCE && c->api_version <= PRODUCE_PARSED) {
      reader_t body = request_body(c);
      uint8_t *transactional_id;
      if (c->api_version >= 3) str(&body, &transactional_id);
      if (body.ok && i16(&body) == 0) { /* acks=0: Kafka sends no answer */
        free(c->request);
        c->request = NULL;
      }
    }
  }
  return 0;
}

static int watches(const conn_t *c, const uint8_t *topic, int len, int32_t partition) {
  if (c->watch_all) return 1;
  for (int i = 0; i < c->n_watched; i++)
    if (c->watched[i].partition == partition && (int)strlen(c->watched[i].topic) == len && memcmp(c->watched[i].topic, topic, (size_t)len) == 0) return 1;
  return 0;
}

/* Asks the mock again for every parked fetch of a partition the acknowledged produce wrote to. */
static void wake_fetches(conn_t *producer) {
  reader_t r = request_body(producer);
  uint8_t *transactional_id;
  if (producer->api_version >= 3) str(&r, &transactional_id);
  skip(&r, 2 + 4); /* acks, timeout_ms */
  for (int32_t t = 0, topics = count(&r); r.ok && t < topics; t++) {
    uint8_t *name;
    int len = str(&r, &name);
    for (int32_t p = 0, parts = count(&r); r.ok && p < parts; p++) {
      int32_t partition = i32(&r);
      int32_t records = i32(&r);
      if (records > 0) skip(&r, (size_t)records);
      if (!r.ok) break;
      for (int i = 0; i < n_conns; i++) {
        conn_t *c = conns[i];
        if (!c->parked || !watches(c, name, len, partition)) continue;
        c->parked = 0;
        if (write_all(c->upstream, c->request, c->request_len) < 0) shutdown(c->client, SHUT_RDWR);
      }
    }
  }
}

/* One answer of the mock to the request being served. */
static int on_answer(conn_t *c, uint8_t *frame, size_t len) {
  if (c->long_poll && now_ms() < c->deadline_ms && fetch_answer_empty(c, frame, len)) {
    c->parked = 1; /* asked again by wake_fetches or at the deadline */
    return 0;
  }
  if (c->api_key == API_METADATA && c->api_version <= METADATA_PARSED) rewrite_metadata(c, frame, len);
  if (c->api_key == API_FIND_COORDINATOR && c->api_version <= FIND_COORDINATOR_PARSED) rewrite_coordinator(c, frame, len);
  if (write_all(c->client, frame, len) < 0) return -1;
  if (c->api_key == API_PRODUCE && c->api_version <= PRODUCE_PARSED) wake_fetches(c);
  free(c->request);
  c->request = NULL;
  return serve_next(c);
}

static int on_upstream(conn_t *c) {
  if (fill(&c->from_upstream, c->upstream) < 0) return -1;
  for (;;) {
    long n = frame_at(&c->from_upstream);
    if (n < 0) return -1;
    if (n == 0) return 0;
    if (!c->request) return -1; /* an answer nobody asked for */
    int rc = on_answer(c, c->from_upstream.data, (size_t)n);
    consume(&c->from_upstream, (size_t)n);
    if (rc < 0) return -1;
  }
}

static int listen_local(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 512) < 0 || getsockname(fd, (struct sockaddr *)&a, &alen) < 0) return -1;
  *port = ntohs(a.sin_port);
  return fd;
}

static void accept_client(broker_t *b) {
  int client = accept4(b->listener, NULL, NULL, SOCK_CLOEXEC);
  if (client < 0) return;
  int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)b->broker_port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (n_conns == MAX_CONNS || upstream < 0 || connect(upstream, (struct sockaddr *)&a, sizeof a) < 0) {
    fprintf(stderr, "kafka-mock: cannot serve a new connection (%s)\n", n_conns == MAX_CONNS ? "too many" : strerror(errno));
    close(client);
    if (upstream >= 0) close(upstream);
    return;
  }
  int one = 1;
  setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  conn_t *c = calloc(1, sizeof *c);
  if (!c) abort();
  c->client = client;
  c->upstream = upstream;
  conns[n_conns++] = c;
}

int long_poll_serve(const char *bootstraps, const sigset_t *stop) {
  int sigfd = signalfd(-1, stop, SFD_CLOEXEC);
  if (sigfd < 0) return -1;
  char list[4096] = "";
  for (const char *p = bootstraps; p && *p && n_brokers < MAX_BROKERS;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char *colon = memrchr(p, ':', len);
    if (!colon) return -1;
    broker_t *b = &brokers[n_brokers++];
    b->broker_port = atoi(colon + 1);
    b->listener = listen_local(&b->proxy_port);
    if (b->listener < 0) return -1;
    snprintf(list + strlen(list), sizeof list - strlen(list), "%s127.0.0.1:%d", n_brokers > 1 ? "," : "", b->proxy_port);
    p = end ? end + 1 : NULL;
  }
  printf("%s\n", list);
  fflush(stdout);

  static struct pollfd fds[1 + MAX_BROKERS + 2 * MAX_CONNS];
  for (;;) {
    int n = 0, timeout = -1;
    int64_t now = now_ms();
    fds[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
    for (int i = 0; i < n_brokers; i++) fds[n++] = (struct pollfd){.fd = brokers[i].listener, .events = POLLIN};
    for (int i = 0; i < n_conns; i++) {
      fds[n++] = (struct pollfd){.fd = conns[i]->client, .events = POLLIN};
      fds[n++] = (struct pollfd){.fd = conns[i]->upstream, .events = POLLIN};
      if (conns[i]->parked) {
        int64_t left = conns[i]->deadline_ms - now;
        if (left < 0) left = 0;
        if (timeout < 0 || left < timeout) timeout = (int)left;
      }
    }
    if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR) return -1;
    if (fds[0].revents) {
      struct signalfd_siginfo si;
      if (read(sigfd, &si, sizeof si) == sizeof si) return (int)si.ssi_signo;
    }
    for (int i = 0; i < n_brokers; i++)
      if (fds[1 + i].revents) accept_client(&brokers[i]);
    /* Connections were numbered before the accepts; closing one moves the last into its slot,
     * so walk backwards over the ones polled. */
    int polled = (n - 1 - n_brokers) / 2;
    for (int i = polled - 1; i >= 0; i--) {
      struct pollfd *cf = &fds[1 + n_brokers + 2 * i], *uf = cf + 1;
      conn_t *c = conns[i];
      int failed = 0;
      if (uf->revents) failed = on_upstream(c) < 0;
      if (!failed && cf->revents) failed = fill(&c->from_client, c->client) < 0 || serve_next(c) < 0;
      if (failed) close_conn(i);
    }
    now = now_ms();
    for (int i = 0; i < n_conns; i++) {
      conn_t *c = conns[i];
      if (!c->parked || c->deadline_ms > now) continue;
      c->parked = 0; /* the deadline passed: the mock's next answer goes to the client as it is */
      if (write_all(c->upstream, c->request, c->request_len) < 0) shutdown(c->client, SHUT_RDWR);
    }
  }
}
