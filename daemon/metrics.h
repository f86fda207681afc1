/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyprofd: the status verb's figures as Prometheus metrics (text exposition
 * format 0.0.4).  The numbers are the socket's: the replies of a privileged
 * "status" and "list all=1" are translated, so that a counter status grows
 * is a metric without code here (pyprofd_<key>_total, or a gauge or a
 * family where the table below says so).
 */
#ifndef PYPROFD_METRICS_H
#define PYPROFD_METRICS_H

struct strbuf;

/*
 * Appends the metrics of status_reply and list_reply (whole socket replies:
 * OK line, then payload) to out.  0, -EPROTO (not OK replies) or -ENOMEM.
 */
int metrics__render(const struct strbuf *status_reply, const struct strbuf *list_reply,
		    struct strbuf *out);

#endif /* PYPROFD_METRICS_H */
