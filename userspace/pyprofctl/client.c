// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofctl's client of pyprofd's socket: connect, send one request, read its reply. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include "base/util.h"
#include "ctl.h"

#define PYPROFCTL_TIMEOUT_S 30

static int exit_for_reply(int err)
{
	switch (err) {
	case -ESRCH:
	case -EACCES:
	case -EPERM:
		return EXIT_NO_PROCESS;
	case -ENOENT:
	case -EPROTONOSUPPORT:
		return EXIT_NOT_PYTHON;
	case -EBUSY:
		return EXIT_NO_DAEMON;
	case -EINVAL:
	case -E2BIG:
		return EXIT_USAGE;
	default:
		return EXIT_ERROR;
	}
}

size_t reply_bytes;

/* Reads the header line, byte by byte so no payload is consumed.  Returns its length or -errno. */
static int read_header(int fd, char *hdr, size_t sz)
{
	size_t hlen = 0;

	for (;;) {
		ssize_t r = recv(fd, hdr + hlen, 1, 0);

		if (r <= 0)
			return r < 0 ? -errno : -ECONNRESET;
		if (hdr[hlen++] == '\n')
			return (int)hlen;
		if (hlen >= sz - 1)
			return -EPROTO;
	}
}

static int read_payload(int fd, struct strbuf *out, size_t want, char *msg, size_t msgsz)
{
	while (out->len < want) {
		char buf[65536];
		size_t chunk = want - out->len < sizeof(buf) ? want - out->len : sizeof(buf);
		ssize_t r = recv(fd, buf, chunk, 0);

		if (r <= 0) {
			snprintf(msg, msgsz, "reply cut short (%zu of %zu bytes)", out->len, want);
			return r < 0 ? -errno : -ECONNRESET;
		}
		if (strbuf__append(out, buf, r)) {
			snprintf(msg, msgsz, "out of memory");
			return -ENOMEM;
		}
		reply_bytes += (size_t)r;
	}
	return 0;
}

static int connect_daemon(char *msg, size_t msgsz)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = PYPROFCTL_TIMEOUT_S };
	int fd, err;

	if (strlen(cfg.socket_path) >= sizeof(sa.sun_path)) {
		snprintf(msg, msgsz, "socket path too long: '%s'", cfg.socket_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, cfg.socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		snprintf(msg, msgsz, "socket: %s", strerror(-err));
		return err;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		snprintf(msg, msgsz, "pyprofd is not running? cannot connect to '%s': %s",
			 cfg.socket_path, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

int call(const struct proto_request *req, struct reply *rep, char *msg, size_t msgsz)
{
	char line[PROTO_MAX_REQUEST + 1], hdr[PROTO_MAX_MESSAGE + 64];
	int fd, n, hlen, err, send_errno = 0, status = EXIT_ERROR;
	size_t want = 0;

	n = proto__format_request(req, line, sizeof(line));
	if (n < 0) {
		snprintf(msg, msgsz, "invalid request");
		return EXIT_USAGE;
	}
	fd = connect_daemon(msg, msgsz);
	if (fd < 0)
		return EXIT_NO_DAEMON;
	/*
	 * A daemon that refuses the connection (too many clients) writes its
	 * ERR line and closes without reading: the send then fails (EPIPE,
	 * ECONNRESET) but that line still waits to be read.
	 */
	if (send(fd, line, n, MSG_NOSIGNAL) != n)
		send_errno = errno ?: EIO;
	hlen = read_header(fd, hdr, sizeof(hdr));
	if (hlen < 0) {
		if (send_errno)
			snprintf(msg, msgsz, "cannot send request: %s", strerror(send_errno));
		else if (hlen == -EPROTO)
			snprintf(msg, msgsz, "malformed reply from pyprofd");
		else
			snprintf(msg, msgsz, "no reply from pyprofd: %s",
				 hlen == -ECONNRESET ? "connection closed" : strerror(-hlen));
		goto cleanup;
	}
	reply_bytes += (size_t)hlen;
	err = proto__parse_reply_header(hdr, (size_t)hlen, &want, msg, msgsz);
	if (err < 0) {
		if (hlen > 4 && memcmp(hdr, "ERR ", 4) == 0)
			rep->err = err;
		if (err == -EPROTO && !*msg)
			snprintf(msg, msgsz, "malformed reply from pyprofd");
		status = err == -EPROTO ? EXIT_ERROR : exit_for_reply(err);
		goto cleanup;
	}
	rep->has_range = proto__reply_field(hdr, (size_t)hlen, "from_ns", &rep->from_ns) == 0 &&
			 proto__reply_field(hdr, (size_t)hlen, "to_ns", &rep->to_ns) == 0;
	rep->has_wall = proto__reply_field(hdr, (size_t)hlen, "from_wall_ns", &rep->from_wall_ns) == 0 &&
			proto__reply_field(hdr, (size_t)hlen, "to_wall_ns", &rep->to_wall_ns) == 0;
	rep->has_period = proto__reply_field(hdr, (size_t)hlen, "period_ns", &rep->period_ns) == 0 &&
			  rep->period_ns > 0;
	rep->has_processes =
		proto__reply_field(hdr, (size_t)hlen, "processes", &rep->processes) == 0;
	if (read_payload(fd, &rep->payload, want, msg, msgsz))
		goto cleanup;
	status = 0;
cleanup:
	close(fd);
	return status;
}

int run_call(const struct proto_request *req, struct reply *rep)
{
	char msg[PROTO_MAX_MESSAGE + 64] = "";
	int status;

	strbuf__reset(&rep->payload);
	rep->has_range = false;
	rep->has_period = false;
	rep->err = 0;
	status = call(req, rep, msg, sizeof(msg));
	if (status)
		print_error(*msg ? msg : "request failed");
	return status;
}

void daemon_params(__u32 *ret_rate, __u64 *ret_window_ns)
{
	struct proto_request req;
	struct reply rep = { 0 };
	char msg[PROTO_MAX_MESSAGE + 64];
	unsigned long long window_s = 0;
	unsigned int rate = 0;
	const char *p;

	proto_request__init(&req, "status");
	if (call(&req, &rep, msg, sizeof(msg)) == 0 && strbuf__append(&rep.payload, "", 0) == 0) {
		p = strstr(rep.payload.buf, "\nrate_hz ");
		if (p && sscanf(p, "\nrate_hz %u", &rate) != 1)
			rate = 0;
		p = strstr(rep.payload.buf, "\nwindow_s ");
		if (p && sscanf(p, "\nwindow_s %llu", &window_s) != 1)
			window_s = 0;
	}
	strbuf__done(&rep.payload);
	*ret_rate = rate;
	if (ret_window_ns)
		*ret_window_ns = window_s * NSEC_PER_SEC;
}
