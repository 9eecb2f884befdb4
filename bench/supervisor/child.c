/* The benchmark's supervised child: records its start time, then sleeps, floods or ignores
 * SIGTERM.
 *
 *   child sleep FILE
 *   child ignore-term FILE
 *   child flood FILE RATE SECONDS     prints 1..RATE*SECONDS, one number a line, at RATE lines/s,
 *                                     through stdio's buffer (flushed every 100 lines)
 *   child flood-lines FILE RATE SECONDS  the same, each line with its own write(2), as an
 *                                     unbuffered Python agent does
 *
 * FILE gets one line per start: "PID CLOCK_MONOTONIC_NS".
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    long long started = now_ns();
    if (argc < 3) {
        fprintf(stderr, "usage: child sleep|ignore-term|flood|flood-lines FILE [RATE SECONDS]\n");
        return 2;
    }
    FILE *record = fopen(argv[2], "a");
    if (record) {
        fprintf(record, "%d %lld\n", getpid(), started);
        fclose(record);
    }
    if (strcmp(argv[1], "ignore-term") == 0) {
        signal(SIGTERM, SIG_IGN);
    }
    if (strcmp(argv[1], "flood") == 0 && argc >= 5) {
        long rate = atol(argv[3]);
        long seconds = atol(argv[4]);
        long total = rate * seconds;
        long long begin = now_ns();
        for (long i = 1; i <= total; i++) {
            printf("%ld\n", i);
            if (i % 100 == 0) {
                fflush(stdout);
                long long due = begin + (long long)((double)i / rate * 1e9);
                long long wait = due - now_ns();
                if (wait > 0) {
                    struct timespec ts = {wait / 1000000000LL, wait % 1000000000LL};
                    nanosleep(&ts, NULL);
                }
            }
        }
        fflush(stdout);
    }
    if (strcmp(argv[1], "flood-lines") == 0 && argc >= 5) {
        long rate = atol(argv[3]);
        long seconds = atol(argv[4]);
        long total = rate * seconds;
        long long begin = now_ns();
        char line[32];
        for (long i = 1; i <= total; i++) {
            int length = snprintf(line, sizeof line, "%ld\n", i);
            if (write(1, line, length) != length) {
                return 1;
            }
            /* Paced line by line: the lines reach the pipe spread in time, not in bursts. */
            long long due = begin + (long long)((double)i / rate * 1e9);
            long long wait = due - now_ns();
            if (wait > 0) {
                struct timespec ts = {wait / 1000000000LL, wait % 1000000000LL};
                nanosleep(&ts, NULL);
            }
        }
    }
    for (;;) {
        pause();
    }
}
