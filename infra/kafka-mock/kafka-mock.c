/*
 * Hosts librdkafka's mock Kafka cluster as a long-lived local broker.
 *
 *   kafka-mock [BROKERS] [TOPIC:PARTITIONS ...]
 *
 * Prints the bootstrap server list as the first line of stdout, then serves until SIGTERM or
 * SIGINT and exits 0. The mock listens on random localhost ports (librdkafka 2.0 has no port
 * setting), so callers must read the printed list on every start. Clients reach the mock through
 * long-poll.c, which answers fetches as Kafka does (when data arrives, not at the deadline, and
 * from an offset index rather than a walk of the log).
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include "long-poll.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  int first_topic = 1, brokers = 1;
  if (argc > 1 && strspn(argv[1], "0123456789") == strlen(argv[1])) {
    brokers = atoi(argv[1]);
    first_topic = 2;
  }
  if (brokers < 1) { fprintf(stderr, "kafka-mock: BROKERS must be >= 1\n"); return 2; }

  /* Block the stop signals before librdkafka starts its threads, so that they inherit the mask
   * and only sigwait() below receives them. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);

  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* This handle only hosts the cluster; hide its notice about having no bootstrap.servers. */
  rd_kafka_conf_set(conf, "log_level", "4", err, sizeof err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) { fprintf(stderr, "kafka-mock: rd_kafka_new: %s\n", err); return 1; }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) { fprintf(stderr, "kafka-mock: could not create the mock cluster\n"); return 1; }

  for (int i = first_topic; i < argc; i++) {
    char name[256];
    int partitions = 1;
    const char *colon = strrchr(argv[i], ':');
    size_t len = colon ? (size_t)(colon - argv[i]) : strlen(argv[i]);
    if (colon) partitions = atoi(colon + 1);
    if (len == 0 || len >= sizeof name || partitions < 1) {
      fprintf(stderr, "kafka-mock: bad topic spec '%s' (want name:partitions)\n", argv[i]);
      return 2;
    }
    memcpy(name, argv[i], len);
    name[len] = '\0';
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, name, partitions, brokers);
    if (e) { fprintf(stderr, "kafka-mock: topic %s: %s\n", name, rd_kafka_err2str(e)); return 1; }
    fprintf(stderr, "kafka-mock: topic %s with %d partition(s)\n", name, partitions);
  }

  int sig = long_poll_serve(rd_kafka_mock_cluster_bootstraps(mc), &stop);
  if (sig < 0) { perror("kafka-mock: long-poll proxy"); return 1; }
  fprintf(stderr, "kafka-mock: signal %d, shutting down\n", sig);
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
