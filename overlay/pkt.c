#include "overlay/pkt.h"

#include <assert.h>
#include <stdlib.h>

#include "common/log.h"

struct pkt_pool {
	struct pkt *pkts;	/* count descriptors */
	uint8_t *mem;		/* count * bufsize bytes */
	struct pkt *free;
	struct pkt_pool_stats st;
};

struct pkt_pool *
pkt_pool_new(uint32_t count, uint32_t data_size)
{
	size_t bufsize = (size_t)PKT_HEADROOM + data_size;
	struct pkt_pool *pool;

	/* Cache-line aligned buffers keep headers of neighbours apart. */
	bufsize = (bufsize + 63) & ~(size_t)63;
	pool = calloc(1, sizeof(*pool));
	if (pool == NULL)
		return NULL;
	pool->pkts = calloc(count, sizeof(*pool->pkts));
	if (pool->pkts == NULL ||
	    posix_memalign((void **)&pool->mem, 64, count * bufsize) != 0) {
		free(pool->pkts);
		free(pool);
		return NULL;
	}
	for (uint32_t i = count; i-- > 0;) {
		struct pkt *p = &pool->pkts[i];

		p->buf = pool->mem + i * bufsize;
		p->size = (uint32_t)bufsize;
		p->pool = pool;
		pkt_reset(p);
		p->next = pool->free;
		pool->free = p;
	}
	pool->st.count = count;
	pool->st.free = count;
	return pool;
}

void
pkt_pool_destroy(struct pkt_pool *pool)
{
	if (pool == NULL)
		return;
	if (pool->st.free != pool->st.count)
		fatalx("pkt pool destroyed with %u of %u buffers out",
		    pool->st.count - pool->st.free, pool->st.count);
	free(pool->mem);
	free(pool->pkts);
	free(pool);
}

void
pkt_pool_stats_get(const struct pkt_pool *pool, struct pkt_pool_stats *st)
{
	*st = pool->st;
}

struct pkt *
pkt_get(struct pkt_pool *pool)
{
	struct pkt *p = pool->free;

	if (p == NULL) {
		pool->st.exhausted++;
		return NULL;
	}
	pool->free = p->next;
	pool->st.free--;
	p->next = NULL;
	p->in_use = true;
	p->marks = 0;
	pkt_reset(p);
	return p;
}

void
pkt_put(struct pkt *p)
{
	struct pkt_pool *pool;

	if (p == NULL)
		return;
	if (!p->in_use)
		fatalx("pkt_put: buffer %p returned twice", (void *)p);
	pool = p->pool;
	p->in_use = false;
	p->next = pool->free;
	pool->free = p;
	pool->st.free++;
}
