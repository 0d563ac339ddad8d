/*
 * test_hist - the fixed-memory latency statistics against exact ones
 * computed from every sample kept and sorted.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "session/hist.h"
#include "tests/tap.h"

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* exact - the ceil(q*n)th smallest sample */
static uint64_t
exact(const uint64_t *v, size_t n, double q)
{
	size_t r = (size_t)(q * (double)n);

	if ((double)r < q * (double)n || r == 0)
		r++;
	return v[r - 1];
}

static uint64_t seed = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

/* check - n samples from gen: quantiles within 1/64 (+1) of the exact */
static void
check(const char *what, size_t n, uint64_t (*gen)(void))
{
	static const double qs[] = { 0.01, 0.5, 0.9, 0.95, 0.99, 0.999 };
	struct hist	*h = malloc(sizeof(*h));
	uint64_t	*v = malloc(n * sizeof(*v));
	double		 sum = 0, sq = 0, m;
	size_t		 i, k;
	int		 good = 1;

	hist_init(h);
	for (i = 0; i < n; i++) {
		v[i] = gen();
		hist_add(h, v[i]);
		sum += (double)v[i];
	}
	qsort(v, n, sizeof(*v), cmp);
	is_int(h->n, n, "%s: count", what);
	is_int(h->min, v[0], "%s: min exact", what);
	is_int(h->max, v[n - 1], "%s: max exact", what);
	for (k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		uint64_t want = exact(v, n, qs[k]), got = hist_quantile(h, qs[k]);
		double err = fabs((double)got - (double)want);
		if (err > (double)want / 64.0 + 1) {
			good = 0;
			printf("# %s q=%g: got %llu want %llu\n", what, qs[k],
			    (unsigned long long)got, (unsigned long long)want);
		}
	}
	ok(good, "%s: quantiles within 1/64 of the exact ones", what);
	m = sum / (double)n;
	for (i = 0; i < n; i++)
		sq += ((double)v[i] - m) * ((double)v[i] - m);
	ok(fabs(hist_mean(h) - m) < 1e-6 * m + 1e-9, "%s: mean exact", what);
	ok(fabs(hist_mdev(h) - sqrt(sq / (double)n)) < 1e-3 * sqrt(sq / (double)n) + 1e-6,
	    "%s: deviation exact", what);
	free(v);
	free(h);
}

static uint64_t small(void) { return rnd() % 50; }
static uint64_t wide(void) { return rnd() % 10000000; }
static uint64_t loglike(void) { return (uint64_t)1 << (rnd() % 36) | (rnd() % 1000); }
static uint64_t same(void) { return 12345; }

int
main(void)
{
	struct hist	*a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	uint64_t	 i;

	check("small values (exact buckets)", 10000, small);
	check("0..10 s in microseconds", 200000, wide);
	check("spread over 36 powers of two", 100000, loglike);
	check("one value", 1000, same);
	check("one sample", 1, wide);

	hist_init(a);
	is_int(hist_quantile(a, 0.5), 0, "empty: quantile 0");
	ok(hist_mean(a) == 0 && hist_mdev(a) == 0, "empty: mean and deviation 0");
	hist_add(a, UINT64_MAX);
	is_int(hist_quantile(a, 0.99), UINT64_MAX, "a huge value is kept as the max");
	hist_init(a);
	hist_init(b);
	for (i = 1; i <= 100; i++)
		hist_add(i % 2 ? a : b, i * 1000);
	hist_merge(a, b);
	is_int(a->n, 100, "merge: count");
	is_int(a->min, 1000, "merge: min");
	is_int(a->max, 100000, "merge: max");
	ok(llabs((long long)hist_quantile(a, 0.5) - 50000) <= 50000 / 64 + 1,
	    "merge: median");
	free(a);
	free(b);
	return tap_done();
}
