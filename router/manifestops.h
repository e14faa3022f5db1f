/*
 * manifestops.h - manifests through the status socket (router/ctlops.c
 * lists the ops):
 *   apply   {name, content}: the file goes into the manifests directory
 *           under name (replacing one of that name) and the directory is
 *           reloaded; a refused set puts the directory back as it was
 *           and answers with the reasons;
 *   delete  {name, content}: the objects content declares are removed by
 *           removing the one manifest file that holds exactly them.
 */
#ifndef SLUICE_ROUTER_MANIFESTOPS_H
#define SLUICE_ROUTER_MANIFESTOPS_H

#include <stddef.h>

#include <msgpack.h>

#include "router/ctlsock.h"

int manifestops_apply(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen);
int manifestops_delete(void *arg, const struct ctl_request *req,
    msgpack_packer *pk, char *err, size_t errlen);

#endif
