/*
 * The proxy's own copy of each partition's log (long-poll.c answers fetches from it): the record
 * batches the mock acknowledged, with the offsets it gave them, the newest RETAIN_BYTES of each.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum { MAX_AHEAD = 64, RETAIN_BYTES = 4 << 20 };

/* One record batch of a partition, its base offset set to what the mock assigned. */
typedef struct {
  int64_t first, last;
  uint8_t *bytes;
  uint32_t len;
} batch_t;

/* A partition's log: batches [head, n) of `batches`, offsets [plog_start(), end). */
typedef struct {
  int broker;
  char topic[256];
  int32_t partition;
  int complete; /* 0 once something was missed: then every fetch of it goes to the mock */
  int64_t end;
  batch_t *batches;
  int head, n, cap;
  size_t bytes;
  batch_t ahead[MAX_AHEAD]; /* acknowledged past a gap (answers read out of order), waiting for it */
  int n_ahead;
} plog_t;

/* The log of a partition on a broker; made (complete, empty) with `create`. NULL when there is none or no room. */
plog_t *plog_find(int broker, const uint8_t *topic, int len, int32_t partition, int create);
/* The oldest offset the log holds. */
int64_t plog_start(const plog_t *l);
/* Takes a batch the mock acknowledged (`bytes` is the log's from now on): appended, or kept aside past a gap. */
void plog_take(plog_t *l, batch_t b);
/* The first batch holding `offset` or a later one; l->n when none. */
int plog_batch_at(const plog_t *l, int64_t offset);
/* Lets go of a log whose contents can no longer be known: its fetches go to the mock from now on. */
void plog_forget(plog_t *l);
void plog_forget_all(void);
/* Lets go of every log and makes no more. */
void plog_disable(void);
