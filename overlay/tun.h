/*
 * tun.h - the TUN device sluiced reads pod packets from and writes them
 * back to.
 *
 * The device is made persistent: it outlives the daemon, so a restart
 * (crash, upgrade, systemctl restart) keeps the link, its routes and the
 * rules that point at it, and the new daemon attaches to the same device.
 * Only `sluiced --cleanup` removes it. Packets are IP (IFF_NO_PI; the
 * version nibble tells IPv4 from IPv6) behind a struct virtio_net_hdr
 * (IFF_VNET_HDR) on every read and write: with checksum and TSO offloads
 * on, a read may be a TCP super-packet with a partial checksum, and a
 * write may be one (overlay/offload.h). A zeroed header is a plain,
 * complete packet.
 */
#ifndef SLUICE_OVERLAY_TUN_H
#define SLUICE_OVERLAY_TUN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Opens (creating if needed) the TUN device name in this network
 * namespace, non-blocking and close-on-exec. *created says whether it is
 * new. Every packet carries a header of OFFLOAD_VNET_HLEN bytes; with
 * offloads, TUN_F_CSUM, TUN_F_TSO4 and TUN_F_TSO6 are on, without them
 * none (the header is then always "a complete packet"). With
 * multi_queue, the device is (or is made) a multi-queue TUN and the fd is
 * one more of its queues: open it once per worker. Returns the fd or a
 * negative errno with a sentence in err (-EBUSY: another process has it
 * open; -EEXIST: a non-TUN link has that name; -EPROTOTYPE: multi_queue
 * asked of a device that exists without it, or of a non-TUN link: try
 * again without).
 */
int tun_open(const char *name, bool offloads, bool multi_queue,
    bool *created, char *err, size_t errlen);

#endif
