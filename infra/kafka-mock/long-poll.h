/*
 * A Kafka-protocol proxy in front of librdkafka's mock brokers that gives fetches Kafka's
 * long-poll semantics and answers fetches from its own copy of the logs. See long-poll.c.
 */
#pragma once

#include <signal.h>

/*
 * Listens on one localhost port per mock broker of `bootstraps` ("host:port,host:port"), prints
 * the proxy's own list as the first line of stdout, and serves until a signal of `stop` arrives
 * (the caller has blocked them). Returns the signal number, or -1 after a setup error.
 */
int long_poll_serve(const char *bootstraps, const sigset_t *stop);
