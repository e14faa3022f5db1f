/*
 * bench/nat_conn.c - new TCP connections/s for bench/nat.sh: a server
 * that accepts and closes, and a client that connects and closes, each
 * bounded in time (and the client in count). Built by nat.sh with cc.
 *
 *   nat_conn serve PORT SECONDS
 *   nat_conn connect ADDR PORT COUNT PROCS SECONDS
 *
 * The client runs PROCS processes, COUNT / PROCS connections each, one
 * after the other (connect, then close at once: the pod's side sends the
 * first FIN), and prints "OK FAILED SECONDS" with SECONDS the wall time
 * of the whole run. A connect that takes over a second counts as failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
serve(int port, int secs)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port) };
	int one = 1, l;
	double end = now() + secs;

	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) != 0 || bind(l, (struct sockaddr *)&a,
	    sizeof(a)) != 0 || listen(l, 4096) != 0) {
		perror("nat_conn: listen");
		return 1;
	}
	while (now() < end) {
		struct pollfd p = { l, POLLIN, 0 };
		int c;

		if (poll(&p, 1, 200) <= 0)
			continue;
		c = accept(l, NULL, NULL);
		if (c >= 0)
			close(c);
	}
	return 0;
}

/* 0 if a connection to a was made within a second (and closed). */
static int
one_conn(const struct sockaddr_in *a)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), rc = -1;
	struct pollfd p;
	int err = 0;
	socklen_t el = sizeof(err);

	if (s < 0)
		return -1;
	if (connect(s, (const struct sockaddr *)a, sizeof(*a)) == 0) {
		rc = 0;
	} else if (errno == EINPROGRESS) {
		p = (struct pollfd){ s, POLLOUT, 0 };
		if (poll(&p, 1, 1000) == 1 &&
		    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == 0 &&
		    err == 0)
			rc = 0;
	}
	close(s);
	return rc;
}

static int
client(const char *addr, int port, long count, int procs, int secs)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port) };
	double t0, end;
	long ok = 0, bad = 0;
	int fd[2];

	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1 || procs < 1 ||
	    procs > 64 || pipe(fd) != 0)
		return 2;
	t0 = now();
	end = t0 + secs;
	for (int i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			long r[2] = { 0, 0 };

			close(fd[0]);
			for (long k = i; k < count && now() < end; k += procs)
				r[one_conn(&a) == 0 ? 0 : 1]++;
			if (write(fd[1], r, sizeof(r)) != (ssize_t)sizeof(r))
				_exit(1);
			_exit(0);
		}
	}
	close(fd[1]);
	for (int i = 0; i < procs; i++) {
		long r[2];

		if (read(fd[0], r, sizeof(r)) == (ssize_t)sizeof(r)) {
			ok += r[0];
			bad += r[1];
		}
	}
	while (wait(NULL) > 0)
		;
	printf("%ld %ld %.4f\n", ok, bad, now() - t0);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]), atoi(argv[3]));
	if (argc == 7 && strcmp(argv[1], "connect") == 0)
		return client(argv[2], atoi(argv[3]), atol(argv[4]),
		    atoi(argv[5]), atoi(argv[6]));
	fprintf(stderr, "usage: nat_conn serve PORT SECONDS\n"
	    "       nat_conn connect ADDR PORT COUNT PROCS SECONDS\n");
	return 2;
}
