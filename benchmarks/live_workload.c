/* Paced syscall workloads for benchmarks/live_bench.py: what `bpfopa run` sees on a real host.
 *
 *   live_workload opens RATE SECONDS DIR     open+close of ordinary files in DIR
 *   live_workload mix RATE SECONDS DIR       the same, with 1 in 20 events one the rules watch
 *   live_workload storm RATE SECONDS LOG     fork + exec of /bin/true; each child's pid to LOG
 *
 * RATE is operations per second (0: as fast as it can). Pacing is by the clock, in 1 ms slices,
 * so a slow consumer shows as loss, never as a slower workload. Prints one JSON line: the
 * operations done, the seconds taken, and the syscalls made.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FILES 64 /* distinct ordinary paths, so dedup does not merge every open */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char paths[FILES][512];
static long syscalls_made;

static void ordinary_open(long i) {
    int fd = open(paths[i % FILES], O_RDONLY);
    if (fd >= 0) close(fd);
    syscalls_made += 2;
}

/* One event the default rules care about, in rotation: a sensitive read (alerts: the workload
 * is no trusted reader), a file written below /etc, a connect to a closed loopback port, and
 * rarely a shell (fork+exec costs ~100x an open). */
static void interesting(long k) {
    switch (k % 20) {
    case 0: {
        pid_t pid = fork();
        if (pid == 0) {
            execl("/bin/sh", "sh", "-c", ":", (char *)NULL);
            _exit(127);
        }
        if (pid > 0) waitpid(pid, NULL, 0);
        syscalls_made += 3;
        break;
    }
    case 1: case 2: case 3: case 4: case 5: {
        char name[64];
        snprintf(name, sizeof name, "/etc/bpfopa-live-bench-%d", getpid());
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) close(fd);
        unlink(name);
        syscalls_made += 3;
        break;
    }
    case 6: case 7: case 8: case 9: {
        int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(1)};
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (s >= 0) {
            connect(s, (struct sockaddr *)&addr, sizeof addr);
            close(s);
        }
        syscalls_made += 3;
        break;
    }
    default: {
        int fd = open("/etc/shadow", O_RDONLY);
        if (fd >= 0) close(fd);
        syscalls_made += 2;
    }
    }
}

static FILE *storm_log;

static void storm_one(long i) {
    (void)i;
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    if (pid > 0) {
        fprintf(storm_log, "%d\n", pid);
        waitpid(pid, NULL, 0);
    }
    syscalls_made += 3;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s opens|mix|storm RATE SECONDS DIR|LOG\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    double rate = atof(argv[2]), seconds = atof(argv[3]);
    void (*op)(long) = ordinary_open;
    int mix = 0;
    if (strcmp(mode, "storm") == 0) {
        storm_log = fopen(argv[4], "w");
        if (!storm_log) { perror(argv[4]); return 1; }
        op = storm_one;
    } else {
        mix = strcmp(mode, "mix") == 0;
        for (int i = 0; i < FILES; i++) {
            snprintf(paths[i], sizeof paths[i], "%s/ordinary-%02d.txt", argv[4], i);
            int fd = open(paths[i], O_WRONLY | O_CREAT, 0644);
            if (fd < 0) { perror(paths[i]); return 1; }
            close(fd);
        }
    }
    long done = 0;
    double start = now(), end = start + seconds;
    for (double t = start; t < end; t = now()) {
        long due = rate > 0 ? (long)((t - start) * rate) + 1 : done + 1000;
        if (done >= due) {
            struct timespec slice = {0, 1000000};
            nanosleep(&slice, NULL);
            continue;
        }
        while (done < due) {
            if (mix && done % 20 == 19) interesting(done / 20);
            else op(done);
            done++;
        }
    }
    double took = now() - start;
    if (storm_log) fclose(storm_log);
    printf("{\"ops\": %ld, \"seconds\": %.3f, \"syscalls\": %ld}\n", done, took, syscalls_made);
    return 0;
}
