/* Process lifecycle workloads for tests/kernel/test_process_state.py. Each mode logs what it
 * really did (pids from the kernel, the path it exec'd, getppid() after reparenting) so that
 * the test checks bpfopa's documents against the workload's own account.
 *
 *   storm DIR N         fork+exec N children (several ways of naming the binary); each child
 *                       opens DIR/marker-I; logs "exec I PID ARG"
 *   applet DIR I        what a child runs (as /proc/self/exe or through a symlink)
 *   flood PATH SECONDS  open+close PATH flat out
 *   reuse DIR           a child that exits, then a new child forced onto the same pid through
 *                       /proc/sys/kernel/ns_last_pid; logs "reuse OLD NEW TRIES"
 *   threads DIR         the main thread exits first; another thread opens DIR/thread-0 after
 *                       700 ms, then the process ends; logs "threads PID"
 *   orphan DIR REAPER   a grandchild orphaned by its parent's exit, with this process as a
 *                       subreaper (REAPER=1) or not; opens DIR/orphan-0 once orphaned; logs
 *                       "orphan PID PPID_AFTER OLD_PPID"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void touch(const char *dir, const char *name, long i)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s-%ld", dir, name, i);
	int fd = open(path, O_RDONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int storm(const char *dir, long n)
{
	char self[4096], link[4096], logpath[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0)
		return 1;
	self[len] = 0;
	snprintf(link, sizeof(link), "%s/applet-link", dir);
	unlink(link);
	if (symlink(self, link) != 0)
		return 1;
	snprintf(logpath, sizeof(logpath), "%s/storm.log", dir);
	FILE *log = fopen(logpath, "w");
	if (!log)
		return 1;
	double start = now();
	for (long i = 0; i < n; i++) {
		/* The ways a binary gets named: /proc/self/exe (busybox applets), a symlink, and a
		 * path relative to the working directory. */
		const char *arg = i % 3 == 0 ? "/proc/self/exe" : i % 3 == 1 ? link : "./applet-link";
		char index[32];
		snprintf(index, sizeof(index), "%ld", i);
		pid_t pid = fork();
		if (pid == 0) {
			if (chdir(dir) != 0)
				_exit(126);
			execl(arg, "applet", "applet", dir, index, (char *)NULL);
			_exit(127);
		}
		if (pid < 0)
			return 1;
		fprintf(log, "exec %ld %d %s\n", i, pid, arg);
	}
	int status, failed = 0;
	while (wait(&status) > 0)
		failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fprintf(log, "done %ld %.6f %d\n", n, now() - start, failed);
	fclose(log);
	return failed != 0;
}

static int flood(const char *path, double seconds)
{
	double end = now() + seconds;
	long count = 0;
	while (1) {
		for (int i = 0; i < 1000; i++) {
			int fd = open(path, O_RDONLY);
			if (fd >= 0)
				close(fd);
		}
		count += 1000;
		if (now() >= end)
			break;
	}
	printf("%ld\n", count);
	return 0;
}

/* Forks a child that runs `name` (this binary, as an applet) and waits for it. */
static pid_t run_applet(const char *dir, const char *name, long linger_ms, int wait_for_it)
{
	pid_t pid = fork();
	if (pid == 0) {
		char ms[32];
		snprintf(ms, sizeof(ms), "%ld", linger_ms);
		execl("/proc/self/exe", name, "marker", dir, name, ms, (char *)NULL);
		_exit(127);
	}
	if (wait_for_it)
		waitpid(pid, NULL, 0);
	return pid;
}

static int reuse(const char *dir)
{
	char logpath[4096];
	snprintf(logpath, sizeof(logpath), "%s/reuse.log", dir);
	FILE *log = fopen(logpath, "w");
	pid_t old = run_applet(dir, "old", 0, 1);
	for (int tries = 1; tries <= 2000; tries++) {
		int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
		char value[32];
		int n = snprintf(value, sizeof(value), "%d", old - 1);
		if (fd < 0 || write(fd, value, n) != n)
			return 2;
		close(fd);
		/* The new process lingers past the old one's grace period, then opens again. */
		pid_t pid = run_applet(dir, "new", 1500, 0);
		if (pid == old) {
			waitpid(pid, NULL, 0);
			fprintf(log, "reuse %d %d %d\n", old, pid, tries);
			fclose(log);
			return 0;
		}
		kill(pid, SIGKILL); /* another process took the pid first: again */
		waitpid(pid, NULL, 0);
	}
	return 3;
}

static int orphan(const char *dir, int reaper)
{
	char logpath[4096];
	int pipefd[2];
	snprintf(logpath, sizeof(logpath), "%s/orphan.log", dir);
	if (reaper && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		return 2;
	if (pipe(pipefd) != 0)
		return 2;
	pid_t middle = fork();
	if (middle == 0) {
		pid_t me = getpid();
		pid_t grandchild = fork();
		if (grandchild == 0) {
			char c;
			close(pipefd[1]);
			/* Wait until the middle process is gone, then act as an orphan. */
			while (getppid() == me)
				usleep(1000);
			touch(dir, "orphan", 0);
			FILE *log = fopen(logpath, "w");
			fprintf(log, "orphan %d %d %d\n", getpid(), getppid(), me);
			fclose(log);
			(void)!read(pipefd[0], &c, 1);
			_exit(0);
		}
		_exit(0);
	}
	close(pipefd[0]);
	waitpid(middle, NULL, 0);
	/* Give the orphan time to log, then let it go; a subreaper reaps it. */
	for (int i = 0; i < 5000; i++) {
		struct stat st;
		if (stat(logpath, &st) == 0 && st.st_size > 0)
			break;
		usleep(1000);
	}
	close(pipefd[1]);
	if (reaper)
		while (wait(NULL) > 0)
			;
	return 0;
}

static void *late_thread(void *dir)
{
	usleep(700 * 1000);
	touch(dir, "thread", 0);
	return NULL;
}

static int threads(const char *dir)
{
	char logpath[4096];
	pthread_t thread;
	snprintf(logpath, sizeof(logpath), "%s/threads.log", dir);
	FILE *log = fopen(logpath, "w");
	fprintf(log, "threads %d\n", getpid());
	fclose(log);
	if (pthread_create(&thread, NULL, late_thread, (void *)dir) != 0)
		return 2;
	pthread_exit(NULL); /* the process lives on in the other thread */
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "applet") == 0) {
		touch(argv[2], "marker", atol(argv[3]));
		return 0;
	}
	if (argc >= 5 && strcmp(argv[1], "marker") == 0) {
		touch(argv[2], argv[3], 0);
		usleep(atol(argv[4]) * 1000);
		touch(argv[2], argv[3], 1);
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "storm") == 0)
		return storm(argv[2], atol(argv[3]));
	if (argc >= 4 && strcmp(argv[1], "flood") == 0)
		return flood(argv[2], atof(argv[3]));
	if (argc >= 3 && strcmp(argv[1], "threads") == 0)
		return threads(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "reuse") == 0)
		return reuse(argv[2]);
	if (argc >= 4 && strcmp(argv[1], "orphan") == 0)
		return orphan(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: see the comment at the top of lifecycle.c\n");
	return 64;
}
