/*
 * pkt.h - the packet buffer and its pools.
 *
 * A pool allocates all its buffers once, at start-up; the data path never
 * allocates. Each buffer keeps PKT_HEADROOM bytes in front of the packet so
 * that encapsulation headers are pushed in place, never copied. Buffers are
 * sized for the largest packet the pipeline will carry (a 64 KiB TUN
 * super-packet once offloads are on; MTU-sized until then).
 *
 * A pool is not thread-safe: each worker owns its own (STYLE.md §5).
 * An empty pool makes pkt_get() return NULL and counts it; the caller
 * drops the packet. Putting a buffer back twice is a bug and asserts.
 */
#ifndef SLUICE_OVERLAY_PKT_H
#define SLUICE_OVERLAY_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Room for what may be pushed in front of an inner IP packet: a
 * virtio-net header (12), outer IPv6 (40), UDP (8), VXLAN (8) and the
 * inner Ethernet header (14) = 82, rounded up.
 */
#define PKT_HEADROOM 128

struct pkt_pool;

struct pkt {
	uint8_t *data;		/* first byte of the packet */
	uint32_t len;		/* bytes of packet at data */
	uint8_t *buf;		/* start of the buffer; data - buf = headroom */
	uint32_t size;		/* bytes in buf */
	struct pkt_pool *pool;	/* owner */
	struct pkt *next;	/* free list, or the holder's batch list */
	bool in_use;
	/*
	 * For the packet path's own use, cleared by pkt_get(): router/ marks
	 * the segments of a super-packet whose flow policy already judged.
	 */
	uint8_t marks;
};

struct pkt_pool_stats {
	uint32_t count;		/* buffers in the pool */
	uint32_t free;		/* not handed out */
	uint64_t exhausted;	/* pkt_get() found none */
};

/*
 * Allocates count buffers of PKT_HEADROOM + data_size bytes each.
 * Returns NULL on allocation failure. Freed with pkt_pool_destroy(), which
 * asserts that every buffer came back.
 */
struct pkt_pool *pkt_pool_new(uint32_t count, uint32_t data_size);
void pkt_pool_destroy(struct pkt_pool *pool);
void pkt_pool_stats_get(const struct pkt_pool *pool, struct pkt_pool_stats *st);

/* A buffer with len 0 and full headroom, or NULL if the pool is empty. */
struct pkt *pkt_get(struct pkt_pool *pool);
/* Returns p to its pool. Accepts NULL. */
void pkt_put(struct pkt *p);

static inline uint32_t
pkt_headroom(const struct pkt *p)
{
	return (uint32_t)(p->data - p->buf);
}

static inline uint32_t
pkt_tailroom(const struct pkt *p)
{
	return p->size - pkt_headroom(p) - p->len;
}

/* Grows the packet at the front; NULL if the headroom is too small. */
static inline uint8_t *
pkt_push(struct pkt *p, uint32_t n)
{
	if (pkt_headroom(p) < n)
		return NULL;
	p->data -= n;
	p->len += n;
	return p->data;
}

/* Removes n bytes from the front; NULL if the packet is shorter. */
static inline uint8_t *
pkt_pull(struct pkt *p, uint32_t n)
{
	if (p->len < n)
		return NULL;
	p->data += n;
	p->len -= n;
	return p->data;
}

/* Cuts the packet to len bytes (never grows it). */
static inline void
pkt_trim(struct pkt *p, uint32_t len)
{
	if (len < p->len)
		p->len = len;
}

/* Empties p and restores the full headroom. */
static inline void
pkt_reset(struct pkt *p)
{
	p->data = p->buf + PKT_HEADROOM;
	p->len = 0;
}

#endif
