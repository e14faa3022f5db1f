#include "overlay/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "overlay/offload.h"

int
tun_open(const char *name, bool offloads, bool multi_queue, bool *created,
    char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, rc, hdrsz = (int)OFFLOAD_VNET_HLEN;

	*created = if_nametoindex(name) == 0;
	if (strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "device name %s is too long", name);
		return -ENAMETOOLONG;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open /dev/net/tun: %s",
		    strerror(errno));
		return rc;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	/*
	 * IFF_ONE_QUEUE is gone from the kernel; the queue length is the
	 * link's txqueuelen. IFF_VNET_HDR puts a virtio_net_hdr in front of
	 * every packet read or written: what carries the offloads below.
	 * IFF_MULTI_QUEUE: each open of the name attaches one more queue,
	 * and the kernel spreads the device's flows over the queues.
	 */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR |
	    (multi_queue ? IFF_MULTI_QUEUE : 0);
	if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
		rc = -errno;
		if (errno == EINVAL && !*created && multi_queue) {
			/* Made single-queue (or not a TUN): the caller asks. */
			snprintf(err, errlen,
			    "%s exists without multiple queues", name);
			close(fd);
			return -EPROTOTYPE;
		}
		if (errno == EINVAL && !*created)
			snprintf(err, errlen,
			    "%s exists and is not a TUN device sluiced can attach to",
			    name);
		else if (errno == EBUSY)
			snprintf(err, errlen,
			    "%s is held open by another process (another sluiced?)",
			    name);
		else
			snprintf(err, errlen, "TUNSETIFF %s: %s", name,
			    strerror(errno));
		close(fd);
		return errno == EINVAL ? -EEXIST : rc;
	}
	/*
	 * Checksum and TSO offload: the kernel hands us TCP super-packets
	 * of up to 64 KiB with partial checksums (overlay/offload.h cuts
	 * them) and takes super-packets back. No USO and no ECN TSO: the
	 * kernel segments those itself before they reach us.
	 */
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdrsz) != 0 ||
	    ioctl(fd, TUNSETOFFLOAD, offloads ? TUN_F_CSUM | TUN_F_TSO4 |
	    TUN_F_TSO6 : 0) != 0) {
		rc = -errno;
		snprintf(err, errlen, "TUN offloads on %s: %s", name,
		    strerror(errno));
		close(fd);
		return rc;
	}
	if (ioctl(fd, TUNSETPERSIST, 1) != 0) {
		rc = -errno;
		snprintf(err, errlen, "TUNSETPERSIST %s: %s", name,
		    strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}
