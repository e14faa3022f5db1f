#include "common/frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
frame_reader_init(struct frame_reader *fr, size_t max_payload)
{
	fr->len = 0;
	fr->max = max_payload;
	fr->buf = malloc(FRAME_HDR_LEN + max_payload);
	return fr->buf ? 0 : -ENOMEM;
}

void
frame_reader_free(struct frame_reader *fr)
{
	if (fr == NULL)
		return;
	free(fr->buf);
	fr->buf = NULL;
	fr->len = 0;
}

void
frame_header_put(uint8_t hdr[FRAME_HDR_LEN], uint32_t len)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}

uint32_t
frame_header_get(const uint8_t hdr[FRAME_HDR_LEN])
{
	return (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | (uint32_t)hdr[3];
}

int
frame_reader_partial(const struct frame_reader *fr)
{
	return fr->len > 0;
}

int
frame_reader_feed(struct frame_reader *fr, const uint8_t *data, size_t n,
    frame_cb cb, void *arg)
{
	while (n > 0) {
		size_t want, take;

		if (fr->len < FRAME_HDR_LEN) {
			want = FRAME_HDR_LEN;
		} else {
			uint32_t plen = frame_header_get(fr->buf);

			if (plen > fr->max)
				return -EMSGSIZE;
			want = FRAME_HDR_LEN + plen;
		}
		take = want - fr->len;
		if (take > n)
			take = n;
		memcpy(fr->buf + fr->len, data, take);
		fr->len += take;
		data += take;
		n -= take;

		if (fr->len == FRAME_HDR_LEN &&
		    frame_header_get(fr->buf) > fr->max)
			return -EMSGSIZE;
		if (fr->len >= FRAME_HDR_LEN &&
		    fr->len == FRAME_HDR_LEN + frame_header_get(fr->buf)) {
			int rc = cb(arg, fr->buf + FRAME_HDR_LEN,
			    fr->len - FRAME_HDR_LEN);

			fr->len = 0;
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}
