/*
 * frame.h - length-prefixed frames over a byte stream.
 *
 * A frame is a 4-byte big-endian payload length followed by the payload.
 * The reader buffers at most one frame (header + max_payload bytes), so a
 * peer can never make it hold more than that, whatever it sends.
 */
#ifndef SLUICE_COMMON_FRAME_H
#define SLUICE_COMMON_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR_LEN 4

struct frame_reader {
	uint8_t *buf;		/* owned; FRAME_HDR_LEN + max bytes */
	size_t len;		/* bytes buffered */
	size_t max;		/* largest payload accepted */
};

/*
 * Called once per complete frame. The payload is borrowed: valid only
 * until the callback returns. A negative return stops feeding and is
 * passed back by frame_reader_feed().
 */
typedef int (*frame_cb)(void *arg, const uint8_t *payload, size_t len);

/* Returns 0 or -ENOMEM. */
int frame_reader_init(struct frame_reader *fr, size_t max_payload);
/* Accepts NULL and a reader whose init failed. */
void frame_reader_free(struct frame_reader *fr);

/*
 * Consumes all n bytes, calling cb for each frame they complete.
 * Returns 0, -EMSGSIZE when a header announces more than max (the
 * stream cannot be resynchronised: close it), or cb's negative value.
 */
int frame_reader_feed(struct frame_reader *fr, const uint8_t *data, size_t n,
    frame_cb cb, void *arg);

/* True if a frame has been started but not completed. */
int frame_reader_partial(const struct frame_reader *fr);

void frame_header_put(uint8_t hdr[FRAME_HDR_LEN], uint32_t len);
uint32_t frame_header_get(const uint8_t hdr[FRAME_HDR_LEN]);

#endif
