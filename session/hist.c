/*
 * hist - see hist.h.  Bucket of v: values below HIST_SUB have a bucket
 * each; above, the power of two of v picks a row and the next six bits
 * below its top bit pick the bucket in it.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "session/hist.h"

#define NB	(HIST_POW * HIST_SUB)

static unsigned
bucket(uint64_t v)
{
	unsigned top, row;

	if (v < HIST_SUB)
		return (unsigned)v;
	top = 63 - (unsigned)__builtin_clzll(v);		/* >= 6 */
	row = top - 5;					/* 1.. */
	if (row >= HIST_POW)
		return NB - 1;
	return row * HIST_SUB + (unsigned)((v >> (top - 6)) & (HIST_SUB - 1));
}

/* lowest - the smallest value of bucket i; width - how many it holds */
static uint64_t
lowest(unsigned i, uint64_t *width)
{
	unsigned row = i / HIST_SUB, sub = i % HIST_SUB;

	if (row == 0) {
		*width = 1;
		return sub;
	}
	*width = (uint64_t)1 << (row - 1);
	return ((uint64_t)(HIST_SUB + sub)) << (row - 1);
}

void
hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void
hist_add(struct hist *h, uint64_t v)
{
	if (h->n == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->n++;
	h->sum += (double)v;
	h->sumsq += (double)v * (double)v;
	h->b[bucket(v)]++;
}

uint64_t
hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, w, v;
	unsigned i;

	if (h->n == 0)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	rank = (uint64_t)(q * (double)h->n);
	if ((double)rank < q * (double)h->n || rank == 0)
		rank++;
	for (i = 0; i < NB; i++) {
		seen += h->b[i];
		if (seen >= rank)
			break;
	}
	if (i == NB)
		return h->max;
	v = lowest(i, &w);
	v += w / 2;
	return v < h->min ? h->min : v > h->max ? h->max : v;
}

double
hist_mean(const struct hist *h)
{
	return h->n ? h->sum / (double)h->n : 0;
}

double
hist_mdev(const struct hist *h)
{
	double m, var;

	if (h->n == 0)
		return 0;
	m = hist_mean(h);
	var = h->sumsq / (double)h->n - m * m;
	return var > 0 ? sqrt(var) : 0;
}

void
hist_merge(struct hist *a, const struct hist *b)
{
	unsigned i;

	if (b->n == 0)
		return;
	if (a->n == 0 || b->min < a->min)
		a->min = b->min;
	if (b->max > a->max)
		a->max = b->max;
	a->n += b->n;
	a->sum += b->sum;
	a->sumsq += b->sumsq;
	for (i = 0; i < NB; i++)
		a->b[i] += b->b[i];
}
