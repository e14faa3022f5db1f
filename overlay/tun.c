#include "overlay/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int
tun_open(const char *name, bool *created, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, rc;

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
	 * link's txqueuelen. IFF_VNET_HDR arrives with the offload work.
	 */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
		rc = -errno;
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
	if (ioctl(fd, TUNSETPERSIST, 1) != 0) {
		rc = -errno;
		snprintf(err, errlen, "TUNSETPERSIST %s: %s", name,
		    strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}
