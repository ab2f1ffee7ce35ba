/*
 * traffic: the e2e suite's traffic generator, run inside the VM (static
 * binary, built with `gcc -static` by test/e2e/vm/build-image.sh).
 *
 * It exists because the session table of a NAT64 only shows TCP states such
 * as V6_FIN_RCV (the IPv6 side sent a FIN) if real endpoints half-close real
 * connections and then keep them open, which busybox's nc cannot do.
 *
 * Client modes keep the sockets they made open for ever: once every socket is
 * in the wanted state the process forks, the parent exits 0 (so a scenario
 * script can run them one after the other and knows the packets went through)
 * and the child sleeps holding the sockets, detached from stdio.
 *
 *   traffic server ADDR...
 *       IPv4 server. On each ADDR:
 *         TCP 7000  accepts and holds the connection, never sends a FIN;
 *         TCP 7001  accepts and at once half-closes (shutdown SHUT_WR: FIN);
 *         UDP 7000  echoes datagrams.
 *       It never closes a connection, so the states the clients leave stay.
 *       Like the clients, it goes to the background once it listens: when
 *       the command returns, the server is ready.
 *
 *   traffic tcp SRC6 DST6 PORT COUNT ACTION
 *       COUNT connections from SRC6 to [DST6]:PORT, then ACTION on each:
 *         hold       nothing: the connection stays ESTABLISHED;
 *         shut       shutdown(SHUT_WR): our FIN only, Jool's V6_FIN_RCV;
 *         wait-fin   wait for the server's FIN (port 7001), keep ours:
 *                    V4_FIN_RCV;
 *         both-fin   wait for the server's FIN, then send ours:
 *                    V4_FIN_V6_FIN_RCV;
 *         rst        abortive close (SO_LINGER 0): an RST, Jool's TRANS;
 *         syn        non-blocking connect to a peer that never answers,
 *                    only SYNs go out: V6_INIT.
 *
 *   traffic udp SRC6 DST6 PORT COUNT DESTS
 *       COUNT sockets (so COUNT source ports: COUNT BIB entries) each send
 *       one datagram to each of the ports PORT .. PORT+DESTS-1 (COUNT*DESTS
 *       sessions); replies are not waited for (UDP sessions need none).
 *
 *   traffic icmp SRC6 DST6 COUNT FIRST_ID
 *       COUNT ICMPv6 echo requests with identifiers FIRST_ID.. (one ICMP
 *       session each), through a raw socket.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SOCKS 4096
#define TIMEOUT_MS 10000

static void __attribute__((noreturn)) die(const char *what)
{
	perror(what);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: traffic server ADDR...\n"
		"       traffic tcp SRC6 DST6 PORT COUNT hold|shut|wait-fin|both-fin|rst|syn\n"
		"       traffic udp SRC6 DST6 PORT COUNT DESTS\n"
		"       traffic icmp SRC6 DST6 COUNT FIRST_ID\n");
	exit(2);
}

static struct sockaddr_in6 addr6(const char *s, int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET6, s, &a.sin6_addr) != 1) {
		fprintf(stderr, "traffic: bad IPv6 address %s\n", s);
		exit(2);
	}
	return a;
}

/* Fork; the parent exits 0 (the job is done), the detached child goes on with the sockets. */
static void detach(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid > 0)
		_exit(0);
	setsid();
	int devnull = open("/dev/null", O_RDWR);
	dup2(devnull, 0);
	dup2(devnull, 1);
	dup2(devnull, 2);
}

/* Detach, and hold the sockets (in their current state) until killed. */
static void hold_forever(void)
{
	detach();
	for (;;)
		pause();
}

/* Waits until fd is readable and reads; returns 0 on EOF (the peer's FIN). */
static int wait_eof(int fd)
{
	char buf[512];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	for (;;) {
		int r = poll(&p, 1, TIMEOUT_MS);
		if (r == 0) {
			fprintf(stderr, "traffic: timed out waiting for the peer's FIN\n");
			exit(1);
		}
		if (r < 0)
			die("poll");
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0)
			die("read");
	}
}

static int tcp_client(int argc, char **argv)
{
	if (argc != 7)
		usage();
	struct sockaddr_in6 src = addr6(argv[2], 0);
	struct sockaddr_in6 dst = addr6(argv[3], atoi(argv[4]));
	int count = atoi(argv[5]);
	const char *action = argv[6];
	int syn = !strcmp(action, "syn");
	static int fds[MAX_SOCKS];

	if (count < 1 || count > MAX_SOCKS)
		usage();
	if (strcmp(action, "hold") && strcmp(action, "shut") && strcmp(action, "wait-fin") &&
	    strcmp(action, "both-fin") && strcmp(action, "rst") && !syn)
		usage();

	for (int i = 0; i < count; i++) {
		int fd = socket(AF_INET6, SOCK_STREAM | (syn ? SOCK_NONBLOCK : 0), 0);
		if (fd < 0)
			die("socket");
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)))
			die("bind");
		if (!syn) {
			/* A connect that hangs means the translation is broken. */
			struct timeval tv = { .tv_sec = TIMEOUT_MS / 1000 };
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		}
		if (connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
			if (!(syn && errno == EINPROGRESS))
				die("connect");
		}
		fds[i] = fd;
	}

	for (int i = 0; i < count; i++) {
		int fd = fds[i];
		if (!strcmp(action, "shut")) {
			if (shutdown(fd, SHUT_WR))
				die("shutdown");
		} else if (!strcmp(action, "wait-fin")) {
			wait_eof(fd);
		} else if (!strcmp(action, "both-fin")) {
			wait_eof(fd);
			if (shutdown(fd, SHUT_WR))
				die("shutdown");
		} else if (!strcmp(action, "rst")) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			close(fd);
		}
	}
	if (!strcmp(action, "rst"))
		return 0;
	/* Give our last FIN/SYN a moment to cross the translator before the
	 * scenario looks at the table (the scenario also waits for it to settle). */
	usleep(200 * 1000);
	hold_forever();
	return 0;
}

static int udp_client(int argc, char **argv)
{
	if (argc != 7)
		usage();
	struct sockaddr_in6 src = addr6(argv[2], 0);
	int port = atoi(argv[4]);
	int count = atoi(argv[5]);
	int dests = atoi(argv[6]);
	for (int i = 0; i < count; i++) {
		int fd = socket(AF_INET6, SOCK_DGRAM, 0);
		if (fd < 0)
			die("socket");
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)))
			die("bind");
		for (int d = 0; d < dests; d++) {
			struct sockaddr_in6 dst = addr6(argv[3], port + d);
			if (sendto(fd, "ping", 4, 0, (struct sockaddr *)&dst, sizeof(dst)) != 4)
				die("sendto");
		}
		close(fd);
	}
	return 0;
}

static int icmp_client(int argc, char **argv)
{
	if (argc != 6)
		usage();
	struct sockaddr_in6 src = addr6(argv[2], 0);
	struct sockaddr_in6 dst = addr6(argv[3], 0);
	int count = atoi(argv[4]);
	int first = atoi(argv[5]);
	/* Raw ICMPv6 socket: the kernel fills in the checksum. */
	int fd = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	if (fd < 0)
		die("socket");
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)))
		die("bind");
	for (int i = 0; i < count; i++) {
		struct icmp6_hdr h = { .icmp6_type = ICMP6_ECHO_REQUEST };
		h.icmp6_id = htons((uint16_t)(first + i));
		h.icmp6_seq = htons(1);
		if (sendto(fd, &h, sizeof(h), 0, (struct sockaddr *)&dst, sizeof(dst)) != sizeof(h))
			die("sendto");
	}
	close(fd);
	return 0;
}

static int server(int argc, char **argv)
{
	static struct pollfd p[MAX_SOCKS];
	static int kind[MAX_SOCKS]; /* 0 = hold listener, 1 = fin listener, 2 = udp, 3 = conn */
	int n = 0, one = 1;

	if (argc < 3)
		usage();
	signal(SIGPIPE, SIG_IGN);
	for (int a = 2; a < argc; a++) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		if (inet_pton(AF_INET, argv[a], &sa.sin_addr) != 1)
			usage();
		for (int k = 0; k < 3; k++) {
			int fd = socket(AF_INET, k == 2 ? SOCK_DGRAM : SOCK_STREAM, 0);
			if (fd < 0)
				die("socket");
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			sa.sin_port = htons(k == 1 ? 7001 : 7000);
			if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
				die("bind");
			if (k != 2 && listen(fd, 512))
				die("listen");
			p[n].fd = fd;
			p[n].events = POLLIN;
			kind[n++] = k;
		}
	}
	/* Listening: hand the sockets to a detached child, and return. */
	detach();
	for (;;) {
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		int cur = n;
		for (int i = 0; i < cur; i++) {
			if (!p[i].revents)
				continue;
			if (kind[i] == 0 || kind[i] == 1) {
				int c = accept(p[i].fd, NULL, NULL);
				if (c < 0)
					continue;
				if (kind[i] == 1)
					shutdown(c, SHUT_WR);
				if (n < MAX_SOCKS) {
					p[n].fd = c;
					p[n].events = POLLIN;
					kind[n++] = 3;
				}
			} else if (kind[i] == 2) {
				char buf[2048];
				struct sockaddr_storage from;
				socklen_t fl = sizeof(from);
				ssize_t r = recvfrom(p[i].fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
				if (r > 0)
					sendto(p[i].fd, buf, (size_t)r, 0, (struct sockaddr *)&from, fl);
			} else {
				char buf[2048];
				ssize_t r = read(p[i].fd, buf, sizeof(buf));
				if (r <= 0)
					/* EOF or RST: stop watching, but do not close
					 * (closing would send our FIN). */
					p[i].fd = -p[i].fd - 1;
			}
		}
	}
	return 0; /* not reached */
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "server"))
		return server(argc, argv);
	if (!strcmp(argv[1], "tcp"))
		return tcp_client(argc, argv);
	if (!strcmp(argv[1], "udp"))
		return udp_client(argc, argv);
	if (!strcmp(argv[1], "icmp"))
		return icmp_client(argc, argv);
	usage();
	return 2;
}
