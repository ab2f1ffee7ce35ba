/*
 * vm-agent: the command server that runs inside the e2e VM.
 *
 * Why a tiny C server rather than `busybox nc -e` or tcpsvd: a command's
 * stdout, its stderr and its exit status must all reach the host unmixed over
 * one connection, with stdout streamed (session tables can be megabytes).
 * That needs framing, which a shell handler cannot do without buffering or
 * escaping, and it needs the command killed when the host side goes away
 * (the exporter kills `jool-vm` on --jool.timeout). Both are a few lines here.
 *
 * The host reaches it through QEMU's user-mode network with
 * `-nic user,restrict=on,hostfwd=tcp:127.0.0.1:HOSTPORT-GUEST:PORT`: one TCP
 * connection per command, so concurrent calls are independent (one forked
 * process each) and nothing else in the VM is reachable from outside.
 *
 * Protocol (all integers are 32-bit big-endian):
 *   request:  argc, then argc times (len, bytes)       -- argv, execvp'd as is
 *   response: frames (type byte, len, bytes); type
 *             'O' = a chunk of stdout, 'E' = a chunk of stderr,
 *             'X' = exit status (len 4, payload = code; 128+N for signal N),
 *                   always the last frame.
 * The command's stdin is /dev/null. It runs in its own process group, which is
 * killed (SIGKILL) when the client disconnects before the command ends.
 *
 * Usage: vm-agent PORT        (listens on 0.0.0.0:PORT, forks per connection)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 4096
#define MAX_REQUEST (1 << 20)

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_u32(int fd, uint32_t *v)
{
	uint32_t be;
	if (read_full(fd, &be, 4))
		return -1;
	*v = ntohl(be);
	return 0;
}

static int send_frame(int fd, char type, const void *data, uint32_t len)
{
	char hdr[5];
	uint32_t be = htonl(len);
	hdr[0] = type;
	memcpy(hdr + 1, &be, 4);
	if (write_full(fd, hdr, 5))
		return -1;
	return len ? write_full(fd, data, len) : 0;
}

static void serve(int sock)
{
	uint32_t argc, total = 0;
	char **argv;
	int out[2], err[2];
	pid_t pid;

	if (read_u32(sock, &argc) || argc == 0 || argc > MAX_ARGS)
		_exit(2);
	argv = calloc(argc + 1, sizeof(char *));
	for (uint32_t i = 0; i < argc; i++) {
		uint32_t len;
		if (read_u32(sock, &len) || (total += len) > MAX_REQUEST)
			_exit(2);
		argv[i] = malloc(len + 1);
		if (read_full(sock, argv[i], len))
			_exit(2);
		argv[i][len] = 0;
	}

	if (pipe(out) || pipe(err))
		_exit(2);
	signal(SIGCHLD, SIG_DFL);
	pid = fork();
	if (pid < 0)
		_exit(2);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		setpgid(0, 0);
		dup2(devnull, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]); close(out[1]); close(err[0]); close(err[1]);
		close(sock);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "vm-agent: cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(out[1]);
	close(err[1]);

	struct pollfd fds[3] = {
		{ .fd = out[0], .events = POLLIN },
		{ .fd = err[0], .events = POLLIN },
		/* Only to notice that the client went away (no request data follows). */
		{ .fd = sock, .events = POLLIN | POLLRDHUP },
	};
	int open_pipes = 2;
	static char buf[65536];
	while (open_pipes) {
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[2].revents) {
			/* Client closed (or sent garbage): stop the command. */
			kill(-pid, SIGKILL);
			waitpid(pid, NULL, 0);
			_exit(1);
		}
		for (int i = 0; i < 2; i++) {
			if (!fds[i].revents)
				continue;
			ssize_t n = read(fds[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_pipes--;
				continue;
			}
			if (send_frame(sock, i == 0 ? 'O' : 'E', buf, (uint32_t)n)) {
				kill(-pid, SIGKILL);
				waitpid(pid, NULL, 0);
				_exit(1);
			}
		}
	}

	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	uint32_t code = WIFEXITED(status) ? (uint32_t)WEXITSTATUS(status)
		      : WIFSIGNALED(status) ? 128u + (uint32_t)WTERMSIG(status) : 255u;
	uint32_t be = htonl(code);
	send_frame(sock, 'X', &be, 4);
	shutdown(sock, SHUT_WR);
	_exit(0);
}

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 7777;
	int one = 1;
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 64)) {
		perror("vm-agent: bind/listen");
		return 1;
	}
	signal(SIGCHLD, SIG_IGN); /* connection handlers are reaped automatically */
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "vm-agent: listening on port %d\n", port);
	for (;;) {
		int c = accept(ls, NULL, NULL);
		if (c < 0)
			continue;
		pid_t pid = fork();
		if (pid == 0) {
			close(ls);
			serve(c);
		}
		close(c);
	}
}
