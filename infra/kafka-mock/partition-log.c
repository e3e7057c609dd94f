/* The proxy's copies of partition logs; see partition-log.h. */
#include "partition-log.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_LOGS = 4096 };

static plog_t *logs[MAX_LOGS];
static int n_logs;
/* Set for good by a produce the proxy cannot follow (a version it does not parse). */
static int logs_off;

plog_t *plog_find(int broker, const uint8_t *topic, int len, int32_t partition, int create) {
  for (int i = 0; i < n_logs; i++) {
    plog_t *l = logs[i];
    if (l->broker == broker && l->partition == partition && (int)strlen(l->topic) == len && memcmp(l->topic, topic, (size_t)len) == 0) return l;
  }
  if (!create || logs_off || len < 0 || len >= (int)sizeof logs[0]->topic || n_logs == MAX_LOGS) return NULL;
  plog_t *l = calloc(1, sizeof *l);
  if (!l) abort();
  l->broker = broker;
  memcpy(l->topic, topic, (size_t)len);
  l->topic[len] = '\0';
  l->partition = partition;
  l->complete = 1; /* the mock starts empty, and every produce passes through the proxy */
  logs[n_logs++] = l;
  return l;
}

int64_t plog_start(const plog_t *l) { return l->head < l->n ? l->batches[l->head].first : l->end; }

void plog_forget(plog_t *l) {
  for (int i = l->head; i < l->n; i++) free(l->batches[i].bytes);
  for (int i = 0; i < l->n_ahead; i++) free(l->ahead[i].bytes);
  l->head = l->n = l->n_ahead = 0;
  l->bytes = 0;
  l->complete = 0;
}

void plog_forget_all(void) {
  for (int i = 0; i < n_logs; i++) plog_forget(logs[i]);
}

void plog_disable(void) {
  logs_off = 1;
  plog_forget_all();
}

static void append(plog_t *l, batch_t b) {
  if (l->n == l->cap) {
    if (l->head > 0) { /* reuse the room of batches let go */
      memmove(l->batches, l->batches + l->head, (size_t)(l->n - l->head) * sizeof *l->batches);
      l->n -= l->head;
      l->head = 0;
    }
    if (l->n == l->cap) {
      l->cap = l->cap ? l->cap * 2 : 1024;
      l->batches = realloc(l->batches, (size_t)l->cap * sizeof *l->batches);
      if (!l->batches) abort();
    }
  }
  l->batches[l->n++] = b;
  l->bytes += b.len;
  l->end = b.last + 1;
  while (l->bytes > RETAIN_BYTES && l->n - l->head > 1) {
    l->bytes -= l->batches[l->head].len;
    free(l->batches[l->head++].bytes);
  }
}

void plog_take(plog_t *l, batch_t b) {
  if (!l->complete) {
    free(b.bytes);
    return;
  }
  if (b.first != l->end) {
    if (b.first < l->end || l->n_ahead == MAX_AHEAD) {
      free(b.bytes);
      plog_forget(l);
      return;
    }
    l->ahead[l->n_ahead++] = b;
    return;
  }
  append(l, b);
  for (int i = 0; i < l->n_ahead;) {
    if (l->ahead[i].first != l->end) {
      i++;
      continue;
    }
    append(l, l->ahead[i]);
    l->ahead[i] = l->ahead[--l->n_ahead];
    i = 0;
  }
}

int plog_batch_at(const plog_t *l, int64_t offset) {
  int lo = l->head, hi = l->n;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (l->batches[mid].last < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
