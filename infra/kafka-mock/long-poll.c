/*
 * Kafka's fetch behaviour in front of librdkafka's mock brokers: the long poll, and fetches answered
 * from the proxy's own copy of the logs.
 *
 * Kafka holds a fetch that finds no data until data arrives or its MaxWaitTime runs out. The mock
 * holds it for the whole MaxWaitTime even when data arrives meanwhile, so a consumer there must
 * choose between latency (a long wait) and idle polling (a short one). This proxy restores Kafka's
 * behaviour: it forwards each fetch to the mock with MaxWaitTime 0, and when the answer is empty
 * it parks the fetch until a produce to one of its partitions has been acknowledged (then asks
 * again) or its own MaxWaitTime runs out (then answers empty).
 *
 * The proxy also answers fetches itself, from its own copy of each partition's log. librdkafka's
 * mock finds a fetch's offset by walking the partition's record batches from the oldest it keeps
 * (up to 5 MB of them), so each fetch that finds data cost time in proportion to the log: about
 * 1 ms of CPU per fetch at the end of a log of 5,000 batches, where Kafka looks the offset up in
 * an index. Every produce passes through here, so the proxy keeps the batches the mock acknowledged
 * (with their offsets, partition-log.c) and looks offsets up by binary search. It asks the mock whenever it does not
 * hold what a fetch asks for (an offset it no longer keeps, a partition with transactional
 * records, a gap it could not fill, fetch sessions, request versions it does not parse).
 *
 * Each client connection gets its own connection to its mock broker, and its requests are served
 * one at a time in order, as Kafka does. Metadata and FindCoordinator answers are rewritten to
 * the proxy's ports. Only the request and response versions kafkajs uses (the non-flexible ones)
 * are parsed; any other version passes through untouched, without long polling.
 */
#define _GNU_SOURCE
#include "long-poll.h"
#include "partition-log.h"

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
  int topic_index; /* which of the request's topics it is listed under */
  int64_t offset;
  int32_t max_bytes;
} partition_t;

typedef struct {
  int client, upstream;
  buf_t from_client, from_upstream;
  uint8_t *request; /* the request being served, length-prefixed; NULL when idle */
  size_t request_len;
  int16_t api_key, api_version;
  int broker; /* index in brokers[] */
  int long_poll, parked, watch_all, n_watched;
  int local;     /* the fetch being served is answered from the proxy's logs */
  int32_t max_bytes;
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
static int64_t i64(reader_t *r) {
  uint64_t hi = (uint32_t)i32(r);
  return (int64_t)(hi << 32 | (uint32_t)i32(r));
}
static void put_i64(uint8_t *p, int64_t v) {
  put_i32(p, (int32_t)(v >> 32));
  put_i32(p + 4, (int32_t)v);
}
static void put_i16(uint8_t *p, int16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static int write_all(int fd, const uint8_t *p, size_t n);
static int serve_next(conn_t *c);
typedef void (*record_set_fn)(conn_t *producer, const uint8_t *topic, int len, int32_t partition, uint8_t *records, int32_t size, void *arg);
static int each_record_set(conn_t *producer, record_set_fn each, void *arg);
static void forget_partition(conn_t *producer, const uint8_t *topic, int len, int32_t partition, uint8_t *records, int32_t size, void *arg);

/* ---- what is parsed ---- */

/* Reads the request header (non-flexible layout for the APIs parsed) up to the body. */
static reader_t request_body(const conn_t *c) {
  reader_t r = {c->request + 4, c->request + c->request_len, 1};
  uint8_t *s;
  skip(&r, 2 + 2 + 4); /* api_key, api_version, correlation_id */
  str(&r, &s);         /* client_id */
  return r;
}

/* Whether the proxy still holds what the fetch being served asks for (its logs may have let go since). */
static int holds(const conn_t *c) {
  for (int i = 0; i < c->n_watched; i++) {
    const partition_t *w = &c->watched[i];
    const plog_t *l = plog_find(c->broker, (const uint8_t *)w->topic, (int)strlen(w->topic), w->partition, 0);
    if (!l || !l->complete || w->offset < plog_start(l) || w->offset > l->end) return 0;
  }
  return 1;
}

/* Notes a fetch's partitions and takes over its wait: MaxWaitTime 0 to the mock, the deadline here. */
static void begin_fetch(conn_t *c) {
  reader_t r = request_body(c);
  int v = c->api_version;
  skip(&r, 4); /* replica_id */
  uint8_t *max_wait_at = r.p;
  int32_t max_wait = i32(&r);
  skip(&r, 4); /* min_bytes */
  c->max_bytes = v >= 3 ? i32(&r) : INT32_MAX;
  if (v >= 4) skip(&r, 1); /* isolation_level: no transactional batch is answered from the logs */
  int32_t session_epoch = -1;
  if (v >= 7) {
    skip(&r, 4); /* session_id */
    session_epoch = i32(&r);
  }
  c->n_watched = 0;
  c->watch_all = 0;
  for (int32_t t = 0, topics = count(&r); r.ok && t < topics; t++) {
    uint8_t *name;
    int len = str(&r, &name);
    for (int32_t p = 0, parts = count(&r); r.ok && p < parts; p++) {
      int32_t partition = i32(&r);
      if (v >= 9) skip(&r, 4); /* current_leader_epoch */
      int64_t offset = i64(&r);
      if (v >= 5) skip(&r, 8); /* log_start_offset */
      int32_t max_bytes = i32(&r);
      if (len < 0 || len >= (int)sizeof c->watched[0].topic || c->n_watched == MAX_WATCHED) {
        c->watch_all = 1;
        continue;
      }
      partition_t *w = &c->watched[c->n_watched++];
      memcpy(w->topic, name, (size_t)len);
      w->topic[len] = '\0';
      w->partition = partition;
      w->topic_index = t;
      w->offset = offset;
      w->max_bytes = max_bytes;
    }
  }
  if (!r.ok) return; /* unparsed: the mock answers as it would */
  /* Answered here when the proxy holds every partition it asks for (fetch sessions aside). */
  c->local = v >= 4 && session_epoch == -1 && !c->watch_all && c->n_watched > 0 && holds(c);
  if (max_wait <= 0) return;
  c->long_poll = 1;
  c->deadline_ms = now_ms() + max_wait;
  put_i32(max_wait_at, 0);
}

/* Appends n bytes to b. */
static void put(buf_t *b, const void *p, size_t n) {
  if (b->cap - b->len < n) {
    while (b->cap - b->len < n) b->cap = b->cap ? b->cap * 2 : 4096;
    b->data = realloc(b->data, b->cap);
    if (!b->data) abort();
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}
static void put32(buf_t *b, int32_t v) {
  uint8_t x[4];
  put_i32(x, v);
  put(b, x, 4);
}
static void put64(buf_t *b, int64_t v) {
  uint8_t x[8];
  put_i64(x, v);
  put(b, x, 8);
}
static void put16(buf_t *b, int16_t v) {
  uint8_t x[2];
  put_i16(x, v);
  put(b, x, 2);
}

/*
 * Answers the fetch being served from the proxy's logs, as the mock would with a Fetch response of
 * the request's version: every partition asked for, in the request's order, with the batches from
 * the one holding its offset on, as many as its and the request's byte limits allow (the first
 * batch of the answer always, as Kafka does). Returns whether it was answered: a long-poll fetch
 * that finds nothing stays parked unless `at_deadline`.
 */
static int answer_fetch(conn_t *c, int at_deadline, int *failed) {
  int v = c->api_version;
  size_t total = 0;
  int found = 0;
  buf_t out = {0};
  put32(&out, 0); /* size, set below */
  put(&out, c->request + 8, 4); /* correlation_id */
  if (v >= 1) put32(&out, 0); /* throttle_time_ms */
  if (v >= 7) {
    put16(&out, 0); /* error_code */
    put32(&out, 0); /* session_id */
  }
  int topics = 0;
  for (int i = 0; i < c->n_watched; i++)
    if (i == 0 || c->watched[i].topic_index != c->watched[i - 1].topic_index) topics++;
  put32(&out, topics);
  for (int i = 0; i < c->n_watched;) {
    const partition_t *w = &c->watched[i];
    int16_t len = (int16_t)strlen(w->topic);
    put16(&out, len);
    put(&out, w->topic, (size_t)len);
    int parts = 0;
    while (i + parts < c->n_watched && c->watched[i + parts].topic_index == w->topic_index) parts++;
    put32(&out, parts);
    for (int j = i; j < i + parts; j++) {
      const partition_t *p = &c->watched[j];
      const plog_t *l = plog_find(c->broker, (const uint8_t *)p->topic, (int)strlen(p->topic), p->partition, 0);
      put32(&out, p->partition);
      put16(&out, 0); /* error_code */
      put64(&out, l->end); /* high watermark */
      if (v >= 4) put64(&out, l->end); /* last stable offset: no open transactions */
      if (v >= 5) put64(&out, plog_start(l));
      if (v >= 4) put32(&out, 0); /* aborted transactions */
      if (v >= 11) put32(&out, -1); /* preferred read replica */
      size_t records_at = out.len, part = 0;
      put32(&out, 0); /* records length, set below */
      for (int b = plog_batch_at(l, p->offset); b < l->n; b++) {
        const batch_t *batch = &l->batches[b];
        if (total > 0 && (part + batch->len > (size_t)p->max_bytes || total + batch->len > (size_t)c->max_bytes)) break;
        put(&out, batch->bytes, batch->len);
        part += batch->len;
        total += batch->len;
      }
      put_i32(out.data + records_at, (int32_t)part);
      if (part > 0) found = 1;
    }
    i += parts;
  }
  if (!found && c->long_poll && !at_deadline && now_ms() < c->deadline_ms) {
    free(out.data);
    c->parked = 1; /* answered by on_produced or at the deadline */
    return 0;
  }
  put_i32(out.data, (int32_t)(out.len - 4));
  *failed = write_all(c->client, out.data, out.len) < 0;
  free(out.data);
  c->parked = 0;
  return 1;
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
  /* A produce whose answer will not be read may still have been appended by the mock. */
  if (c->request && c->api_key == API_PRODUCE && c->api_version <= PRODUCE_PARSED) each_record_set(c, forget_partition, NULL);
  close(c->client);
  close(c->upstream);
  free(c->from_client.data);
  free(c->from_upstream.data);
  free(c->request);
  free(c);
  conns[i] = conns[--n_conns];
}

/*
 * Serves a parked fetch again (data arrived, or its deadline passed): from the logs when they still
 * hold it, otherwise by asking the mock (whose empty answer before the deadline parks it again). Returns -1 when the connection failed.
 */
static int serve_parked(conn_t *c, int at_deadline) {
  if (c->local && holds(c)) {
    int failed = 0;
    if (!answer_fetch(c, at_deadline, &failed)) return 0;
    if (failed) return -1;
    free(c->request);
    c->request = NULL;
    return serve_next(c);
  }
  c->local = 0;
  c->parked = 0; /* past its deadline, the mock's answer goes to the client as it is */
  return write_all(c->upstream, c->request, c->request_len);
}

/* Serves the connection's queued requests, one at a time: a fetch the logs hold here, the rest by the mock. */
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
    c->long_poll = c->parked = c->local = 0;
    if (c->api_key == API_FETCH && c->api_version <= FETCH_PARSED) begin_fetch(c);
    if (c->local) {
      int failed = 0;
      if (!answer_fetch(c, 0, &failed)) return 0; /* parked */
      if (failed) return -1;
      free(c->request);
      c->request = NULL;
      continue;
    }
    if (c->api_key == API_PRODUCE && c->api_version > PRODUCE_PARSED) {
      plog_disable();
    }
    if (write_all(c->upstream, c->request, c->request_len) < 0) return -1;
    if (c->api_key == API_PRODUCE && c->api_version <= PRODUCE_PARSED) {
      reader_t body = request_body(c);
      uint8_t *transactional_id;
      if (c->api_version >= 3) str(&body, &transactional_id);
      if (body.ok && i16(&body) == 0) { /* acks=0: Kafka sends no answer, so the offsets stay unknown */
        each_record_set(c, forget_partition, NULL);
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

/* Reads a produce request's topics and partitions: calls `each` with every partition's record set. */
static int each_record_set(conn_t *producer, record_set_fn each, void *arg) {
  reader_t r = request_body(producer);
  uint8_t *transactional_id;
  if (producer->api_version >= 3) str(&r, &transactional_id);
  skip(&r, 2 + 4); /* acks, timeout_ms */
  for (int32_t t = 0, topics = count(&r); r.ok && t < topics; t++) {
    uint8_t *name;
    int len = str(&r, &name);
    for (int32_t p = 0, parts = count(&r); r.ok && p < parts; p++) {
      int32_t partition = i32(&r);
      int32_t size = i32(&r);
      uint8_t *records = r.p;
      if (size > 0) skip(&r, (size_t)size);
      if (r.ok) each(producer, name, len, partition, records, size, arg);
    }
  }
  return r.ok;
}

/* Lets go of a partition's log when what the mock appended to it cannot be known. */
static void forget_partition(conn_t *producer, const uint8_t *topic, int len, int32_t partition, uint8_t *records, int32_t size, void *arg) {
  (void)records, (void)size, (void)arg;
  plog_t *l = plog_find(producer->broker, topic, len, partition, 1);
  if (l) plog_forget(l);
}

/* Copies a partition's acknowledged record batches into its log, with the offsets the mock gave them. */
static void keep_partition(conn_t *producer, const uint8_t *topic, int len, int32_t partition, uint8_t *records, int32_t size, void *arg) {
  plog_t *l = plog_find(producer->broker, topic, len, partition, 1);
  if (!l) return;
  /* This partition's part of the answer (`arg`: where the answer's body starts and ends). */
  reader_t r = {((uint8_t **)arg)[0], ((uint8_t **)arg)[1], 1};
  int v = producer->api_version;
  int found = 0;
  int16_t error = 0;
  int64_t base = -1;
  for (int32_t t = 0, topics = count(&r); r.ok && !found && t < topics; t++) {
    uint8_t *name;
    int name_len = str(&r, &name);
    for (int32_t p = 0, parts = count(&r); r.ok && p < parts; p++) {
      int32_t index = i32(&r);
      int16_t e = i16(&r);
      int64_t b = i64(&r);
      skip(&r, 8 + (v >= 5 ? 8 : 0)); /* log_append_time, log_start_offset */
      if (v >= 8) {
        for (int32_t k = 0, errors = count(&r); r.ok && k < errors; k++) {
          uint8_t *message;
          skip(&r, 4);
          str(&r, &message);
        }
        uint8_t *message;
        str(&r, &message);
      }
      if (r.ok && index == partition && name_len == len && memcmp(name, topic, (size_t)len) == 0) {
        found = 1;
        error = e;
        base = b;
        break;
      }
    }
  }
  if (!r.ok || !found || v < 3) { /* an answer not understood: what was appended is unknown */
    plog_forget(l);
    return;
  }
  if (error != 0) return; /* nothing was appended */
  int64_t next = base;
  for (int32_t at = 0; at < size;) {
    reader_t b = {records + at, records + size, 1};
    skip(&b, 8); /* base_offset */
    int32_t batch_length = i32(&b);
    skip(&b, 4); /* partition_leader_epoch */
    int magic = has(&b, 1) ? *b.p++ : -1;
    skip(&b, 4); /* crc */
    int16_t attributes = i16(&b);
    int32_t last_offset_delta = i32(&b);
    /* Transactions (and their control batches) are left to the mock, which tracks them. */
    if (!b.ok || magic != 2 || batch_length < 49 || (size_t)batch_length + 12 > (size_t)(size - at) || (attributes & 0x30)) {
      plog_forget(l);
      return;
    }
    batch_t copy = {.first = next, .last = next + last_offset_delta, .len = (uint32_t)batch_length + 12};
    copy.bytes = malloc(copy.len);
    if (!copy.bytes) abort();
    memcpy(copy.bytes, records + at, copy.len);
    put_i64(copy.bytes, next);
    plog_take(l, copy);
    next += (int64_t)last_offset_delta + 1;
    at += 12 + batch_length;
  }
}

/*
 * After a produce was acknowledged (and its answer passed on): each partition's batches go into its
 * log, then every fetch parked on the partition is served again.
 */
static void on_produced(conn_t *producer, const uint8_t *topic, int len, int32_t partition, uint8_t *records, int32_t size, void *answer) {
  keep_partition(producer, topic, len, partition, records, size, answer);
  for (int i = 0; i < n_conns; i++) {
    conn_t *c = conns[i];
    if (c->parked && watches(c, topic, len, partition) && serve_parked(c, 0) < 0) shutdown(c->client, SHUT_RDWR);
  }
}

/* One answer of the mock to the request being served. */
static int on_answer(conn_t *c, uint8_t *frame, size_t len) {
  if (c->long_poll && now_ms() < c->deadline_ms && fetch_answer_empty(c, frame, len)) {
    c->parked = 1; /* asked again by on_produced or at the deadline */
    return 0;
  }
  if (c->api_key == API_METADATA && c->api_version <= METADATA_PARSED) rewrite_metadata(c, frame, len);
  if (c->api_key == API_FIND_COORDINATOR && c->api_version <= FIND_COORDINATOR_PARSED) rewrite_coordinator(c, frame, len);
  if (write_all(c->client, frame, len) < 0) return -1;
  if (c->api_key == API_PRODUCE && c->api_version <= PRODUCE_PARSED) {
    uint8_t *answer[2] = {frame + 8, frame + len}; /* after size and correlation_id */
    if (!each_record_set(c, on_produced, answer)) plog_forget_all(); /* a request not understood: trust no log */
  }
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
  c->broker = (int)(b - brokers);
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
      if (serve_parked(c, 1) < 0) shutdown(c->client, SHUT_RDWR);
    }
  }
}
