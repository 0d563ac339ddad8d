/*
 * hist - latency statistics in fixed memory: count, min, max, mean and
 * deviation exactly; quantiles from a log-linear histogram (values below
 * 64 exact, above within 1/64 of the value), whatever the number of
 * samples.  No I/O, no clock: values come in (microseconds, or anything).
 */
#ifndef SESSION_HIST_H
#define SESSION_HIST_H

#include <stdint.h>

#define HIST_SUB	64		/* buckets per power of two */
#define HIST_POW	40		/* rows: values up to 2^45 (a year in microseconds) */

struct hist {
	uint64_t	 n, min, max;
	double		 sum, sumsq;
	uint32_t	 b[HIST_POW * HIST_SUB];
};

void	 hist_init(struct hist *);
void	 hist_add(struct hist *, uint64_t);
/* hist_quantile - the value below which a fraction q (0..1) of the samples
 * lie: the smallest bucket that holds the ceil(q*n)th sample, as that
 * bucket's middle clamped to [min, max]; 0 when empty */
uint64_t hist_quantile(const struct hist *, double q);
double	 hist_mean(const struct hist *);
/* hist_mdev - the standard deviation (ping's mdev) */
double	 hist_mdev(const struct hist *);
/* hist_merge - add b's samples to a */
void	 hist_merge(struct hist *a, const struct hist *b);

#endif
